//! The People page: sitters with their number, sign-in and open windows;
//! add a sitter; activate or deactivate with the preview first.

use super::{add_sitter, change_sitter, load_sitters, NewSitterForm, SitterRow};
use crate::domain::ids::SitterId;
use crate::ui::{btn, field, use_toaster, Badge, Card, ConfirmDialog, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Pending {
    id: i64,
    name: String,
    activate: bool,
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let changed = RwSignal::new(0u64);
    let sitters = Resource::new(move || changed.get(), |_| load_sitters());
    let adding = RwSignal::new(false);
    let pending = RwSignal::new(None::<Pending>);
    let dialog_open = RwSignal::new(false);
    let preview = Resource::new(
        move || pending.get(),
        |p| async move {
            match p {
                Some(p) => change_sitter(SitterId(p.id), p.activate, true).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let apply = Action::new(|p: &Pending| change_sitter(SitterId(p.id), p.activate, false));
    let toaster = use_toaster();
    Effect::new(move |_| {
        if let Some(Ok(c)) = apply.value().get() {
            toaster.success(format!("{}: done.", c.summary));
            dialog_open.set(false);
            pending.set(None);
            changed.update(|c| *c += 1);
        }
    });
    let impact = Signal::derive(move || match preview.get() {
        Some(Ok(Some(c))) => c.lines,
        _ => Vec::new(),
    });
    let error = Signal::derive(move || match (preview.get(), apply.value().get()) {
        (Some(Err(e)), _) => Some(e.to_string()),
        (_, Some(Err(e))) => Some(e.to_string()),
        _ => None,
    });
    let can_confirm = Signal::derive(move || matches!(preview.get(), Some(Ok(Some(_)))));
    let title = Signal::derive(move || {
        pending
            .get()
            .map(|p| format!("{} {}?", if p.activate { "Activate" } else { "Deactivate" }, p.name))
            .unwrap_or_default()
    });
    let confirm_label = Signal::derive(move || {
        if pending.get().is_some_and(|p| p.activate) {
            "Activate".to_string()
        } else {
            "Deactivate".to_string()
        }
    });
    let open = move |p: Pending| {
        pending.set(Some(p));
        dialog_open.set(true);
    };
    view! {
        <leptos_meta::Title text="People · Leashline" />
        <PageHeader title="People" subtitle="Your sitters (who can sign in, which business number they text from) and your clients (their phone numbers and whether they opted out).">
            <button type="button" class=btn::PRIMARY data-testid="sitter-add-open" on:click=move |_| adding.update(|a| *a = !*a)>"Add a sitter"</button>
        </PageHeader>
        <Show when=move || adding.get()><AddSitter open=adding changed=changed /></Show>
        <Transition fallback=|| view! { <Loading label="Loading sitters" /> }>
            {move || Suspend::new(async move {
                match sitters.await {
                    Ok(list) if list.is_empty() => view! { <EmptyState title="No sitters yet" body="Add your first sitter, then activate them to give them a business number." /> }.into_any(),
                    Ok(list) => view! {
                        <ul class="grid gap-3 md:grid-cols-2" data-testid="sitter-list">
                            {list.into_iter().map(|s| view! { <SitterCard s=s on_change=Callback::new(open) changed=changed /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDialog
            open=dialog_open
            title=title
            impact=impact
            confirm_label=confirm_label
            destructive=true
            pending=apply.pending()
            can_confirm=can_confirm
            error=error
            on_confirm=Callback::new(move |_| {
                if let Some(p) = pending.get_untracked() {
                    apply.dispatch(p);
                }
            })
        >
            {move || error.get().filter(|e| e.contains("Buy one")).map(|_| view! {
                <a class="text-sm font-semibold text-emerald-700 underline" href="/numbers" data-testid="buy-number-link">"Go to Numbers to buy one"</a>
            })}
        </ConfirmDialog>
        <crate::people::clients::ClientsPanel />
    }
}

#[component]
fn SitterCard(s: SitterRow, on_change: Callback<Pending>, changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let unlock = Action::new(move |id: &i64| super::unlock_sitter(SitterId(*id)));
    Effect::new(move |_| match unlock.value().get() {
        Some(Ok(m)) => {
            toaster.success(m);
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toaster.error(e.to_string()),
        None => {}
    });
    let id = s.id;
    let pending = Pending { id: s.id, name: s.name.clone(), activate: !s.active || s.number.is_none() };
    let label = if !s.active {
        "Activate"
    } else if s.number.is_none() {
        "Give a number"
    } else {
        "Deactivate"
    };
    let danger = s.active && s.number.is_some();
    let editing = RwSignal::new(false);
    let row = s.clone();
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="sitter-card" data-sitter=s.name.clone()>
            <div class="flex items-start justify-between gap-3">
                <div class="min-w-0">
                    <h2 class="truncate text-base font-semibold text-slate-900">{s.name.clone()}</h2>
                    <p class="text-sm text-slate-500">{s.phone.clone().map(|p| format!("Personal phone {p}")).unwrap_or_else(|| "No personal phone on file".into())}</p>
                </div>
                {if s.active { view! { <Badge tone=Tone::Good text="Active" /> }.into_any() } else { view! { <Badge tone=Tone::Neutral text="Inactive" /> }.into_any() }}
            </div>
            <dl class="mt-3 grid grid-cols-2 gap-2 text-sm">
                <div><dt class="text-xs text-slate-500">"Business number"</dt><dd class="text-slate-900" data-testid="sitter-number">{s.number.clone().unwrap_or_else(|| "None".into())}</dd></div>
                <div><dt class="text-xs text-slate-500">"Open windows"</dt><dd class="text-slate-900">{s.open_windows}</dd></div>
                <div class="col-span-2"><dt class="text-xs text-slate-500">"Sign-in"</dt><dd class="truncate text-slate-900">{match (s.can_sign_in, s.email.clone()) {
                    (true, Some(e)) => e,
                    (false, Some(e)) => format!("{e} (can't sign in)"),
                    _ => "No sign-in".into(),
                }}</dd></div>
            </dl>
            {s.locked.then(|| view! {
                <div class="mt-3 flex items-center justify-between gap-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="sitter-locked">
                    <span>"Sign-in locked after too many wrong passwords."</span>
                    <button type="button" class=btn::SMALL data-testid="sitter-unlock" disabled=move || unlock.pending().get() on:click=move |_| { unlock.dispatch(id); }>"Unlock"</button>
                </div>
            })}
            {s.can_sign_in.then(|| view! { <ResetLinkBox id=SitterId(id) /> })}
            <Show when=move || editing.get()>
                <SitterEditor s=row.clone() editing=editing changed=changed />
            </Show>
            <div class="mt-3 flex justify-end gap-2">
                <button type="button" class=btn::SMALL data-testid="sitter-edit" on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                <button type="button" class=if danger { "inline-flex items-center rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-semibold text-red-700 hover:bg-red-50" } else { btn::SMALL }
                    data-testid="sitter-toggle" on:click=move |_| on_change.run(pending.clone())>{label}</button>
            </div>
        </li>
    }
}

/// Name, first name, personal phone and email, saved with what changed.
#[component]
fn SitterEditor(s: SitterRow, editing: RwSignal<bool>, changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let form = RwSignal::new(super::SitterEdit {
        id: s.id,
        name: s.name.clone(),
        first_name: s.first_name.clone(),
        phone: s.phone.clone().unwrap_or_default(),
        email: s.email.clone().unwrap_or_default(),
    });
    let save = Action::new(|f: &super::SitterEdit| super::edit_sitter(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            if changes.is_empty() {
                toaster.success("Nothing to save: no detail changed.");
            } else {
                toaster.success(format!("Saved. {}", changes.join("; ")));
                changed.update(|c| *c += 1);
            }
            editing.set(false);
        }
    });
    let err = move || save.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let input = move |label: &'static str,
                      testid: &'static str,
                      get: fn(&super::SitterEdit) -> String,
                      set: fn(&mut super::SitterEdit, String)| {
        view! {
            <label class="block">
                <span class=field::LABEL>{label}</span>
                <input class=field::INPUT data-testid=testid prop:value=move || form.with(get) on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)); } />
            </label>
        }
    };
    view! {
        <form class="mt-3 space-y-3 rounded-lg border border-emerald-200 bg-emerald-50/40 p-3" data-testid="sitter-editor" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
            {input("Name", "sitter-edit-name", |f| f.name.clone(), |f, v| f.name = v)}
            {input("First name (what clients see)", "sitter-edit-first", |f| f.first_name.clone(), |f, v| f.first_name = v)}
            {input("Personal phone", "sitter-edit-phone", |f| f.phone.clone(), |f, v| f.phone = v)}
            {input("Email (they sign in with it)", "sitter-edit-email", |f| f.email.clone(), |f, v| f.email = v)}
            {move || err().map(|e| view! { <p class="text-sm text-red-700" role="alert" data-testid="sitter-edit-error">{e}</p> })}
            <div class="flex gap-2">
                <button type="submit" class=btn::PRIMARY data-testid="sitter-edit-save" disabled=move || save.pending().get()>"Save"</button>
                <button type="button" class=btn::GHOST on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// "Password reset link": made on request, shown once, to send the sitter.
#[component]
fn ResetLinkBox(id: SitterId) -> impl IntoView {
    let make = Action::new(move |_: &()| crate::account::make_reset_link(id));
    view! {
        {move || match make.value().get() {
            Some(Ok(l)) => view! {
                <div class="mt-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" data-testid="reset-link-box">
                    <p class="font-medium">{format!("Send this to {} (shown once; it works once, until {}):", l.name, l.expires)}</p>
                    <input type="text" readonly class=format!("{} mt-1 font-mono text-xs", field::INPUT) data-testid="reset-link" prop:value=l.url.clone()
                        on:focus=crate::ui::select_all />
                </div>
            }.into_any(),
            Some(Err(e)) => view! { <p class="mt-3 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
            None => view! {
                <div class="mt-3">
                    <button type="button" class=btn::SMALL data-testid="sitter-reset-link" disabled=move || make.pending().get() on:click=move |_| { make.dispatch(()); }>
                        "Password reset link"
                    </button>
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn AddSitter(open: RwSignal<bool>, changed: RwSignal<u64>) -> impl IntoView {
    let form = RwSignal::new(NewSitterForm::default());
    let add = Action::new(|f: &NewSitterForm| add_sitter(f.clone()));
    let toaster = use_toaster();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            toaster.success(format!(
                "{} added. Activate them to give them a business number.",
                form.get_untracked().name.trim()
            ));
            form.set(NewSitterForm::default());
            changed.update(|c| *c += 1);
            open.set(false);
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(add, name);
    let input = move |label: &'static str,
                      name: &'static str,
                      kind: &'static str,
                      get: fn(&NewSitterForm) -> String,
                      set: fn(&mut NewSitterForm, String)| {
        view! {
            <label class="block">
                <span class=field::LABEL>{label}</span>
                <input class=field::INPUT type=kind name=name data-testid=format!("sitter-{name}")
                    aria-invalid=move || err_for(name)().is_some().to_string()
                    prop:value=move || get(&form.get()) on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
                {move || err_for(name)().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
            </label>
        }
    };
    view! {
        <Card title="Add a sitter" class="mb-4">
            <form class="grid gap-3 sm:grid-cols-2" data-testid="sitter-add-form" on:submit=move |ev| { ev.prevent_default(); add.dispatch(form.get_untracked()); }>
                {input("Full name", "name", "text", |f| f.name.clone(), |f, v| f.name = v)}
                {input("Personal phone (optional)", "phone", "tel", |f| f.phone.clone(), |f, v| f.phone = v)}
                {input("Email (optional)", "email", "email", |f| f.email.clone(), |f, v| f.email = v)}
                {input("Password, to let them sign in now (optional)", "password", "password", |f| f.password.clone(), |f, v| f.password = v)}
                <p class="text-xs text-slate-500 sm:col-span-2">"Their personal phone stays private: clients only ever see the business number. Share the password with them yourself."</p>
                {move || match add.value().get() {
                    Some(Err(e)) if e.field_name().is_none() => Some(view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 sm:col-span-2" role="alert">{e.to_string()}</p> }),
                    _ => None,
                }}
                <div class="flex gap-2 sm:col-span-2">
                    <button type="submit" class=btn::PRIMARY data-testid="sitter-add-submit" disabled=move || add.pending().get()>{move || if add.pending().get() { "Adding…" } else { "Add sitter" }}</button>
                    <button type="button" class=btn::GHOST on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        </Card>
    }
}

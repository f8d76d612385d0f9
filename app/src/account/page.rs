//! Your account (`/account`, everyone signed in; the name in the header
//! links here): who you are, and changing your password. Phone first: a
//! sitter changes it between walks.

use super::*;
use crate::shell::use_me;
use crate::ui::{btn, field, use_toaster, Card, PageHeader};

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = use_me();
    let who = me
        .as_ref()
        .map(|m| format!("{} · {} · {}", m.name, m.email, if m.is_owner() { "Owner" } else { "Sitter" }))
        .unwrap_or_default();
    view! {
        <leptos_meta::Title text="Your account · Leashline" />
        <PageHeader title="Your account" subtitle=who />
        <ChangePassword />
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let toaster = use_toaster();
    let form = RwSignal::new(PasswordForm::default());
    let save = Action::new(move |f: &PasswordForm| change_password(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(ended)) = save.value().get() {
            form.set(PasswordForm::default());
            toaster.success(match ended {
                0 => "Password changed.".to_string(),
                1 => "Password changed. Your one other session was signed out.".to_string(),
                n => format!("Password changed. Your {n} other sessions were signed out."),
            });
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(save, name);
    let other =
        move || save.value().get().and_then(|r| r.err()).filter(|e| e.field_name().is_none()).map(|e| e.to_string());
    let input = move |name: &'static str,
                      label: &'static str,
                      auto: &'static str,
                      get: fn(&PasswordForm) -> String,
                      set: fn(&mut PasswordForm, String)| {
        let id = format!("password-{name}");
        let label_for = id.clone();
        view! {
            <label class="block" for=label_for>
                <span class=field::LABEL>{label}</span>
                <input id=id type="password" class=field::INPUT autocomplete=auto data-testid=format!("password-{name}")
                    aria-invalid=move || err_for(name)().is_some().to_string()
                    prop:value=move || form.with(get) on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
                {move || err_for(name)().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="password-error">{e}</span> })}
            </label>
        }
    };
    view! {
        <Card title="Change your password" class="max-w-lg">
            <form class="space-y-4" data-testid="password-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                {input("current", "Current password", "current-password", |f| f.current.clone(), |f, v| f.current = v)}
                {input("new", "New password", "new-password", |f| f.new.clone(), |f, v| f.new = v)}
                <p class=field::HELP>{format!("At least {} characters, and not a common password: a few unrelated words work well.", crate::auth::MIN_PASSWORD)}</p>
                {input("again", "New password again", "new-password", |f| f.again.clone(), |f, v| f.again = v)}
                {move || other().map(|e| view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" role="alert" data-testid="password-error">{e}</p> })}
                <p class="text-xs text-slate-500">"Changing it signs you out everywhere else (another phone, a shared computer)."</p>
                <button type="submit" class=btn::PRIMARY data-testid="password-save" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Change password" }}
                </button>
            </form>
        </Card>
    }
}

/// `/reset/<token>`: a sitter sets a new password with the owner's link,
/// signed out; then signs in with it.
#[component]
pub fn ResetPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
    let whose = Resource::new(move || token.clone(), check_reset_link);
    view! {
        <leptos_meta::Title text="Choose a new password · Leashline" />
        <div class="flex min-h-dvh items-start justify-center bg-slate-50 px-4 py-12">
            <div class="w-full max-w-sm">
                <Transition fallback=|| view! { <crate::ui::Loading label="Checking the link" /> }>
                    {move || Suspend::new(async move {
                        match whose.await {
                            Ok(name) => view! { <ResetForm name=name token=params.with_untracked(|p| p.get("token").unwrap_or_default()) /> }.into_any(),
                            Err(e) => view! {
                                <div class="rounded-xl border border-amber-200 bg-amber-50 p-6 text-amber-900" data-testid="reset-gone">
                                    <h1 class="text-lg font-semibold">"This link doesn't work"</h1>
                                    <p class="mt-2 text-sm">{e.to_string()}</p>
                                    <a href="/login" class="mt-4 inline-block text-sm font-semibold underline">"Go to sign-in"</a>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </div>
    }
}

#[component]
fn ResetForm(name: String, token: String) -> impl IntoView {
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let token = StoredValue::new(token);
    let save = Action::new(move |(n, a): &(String, String)| reset_password(token.get_value(), n.clone(), a.clone()));
    let err_for = move |f: &'static str| move || field::error_of(save, f);
    let other =
        move || save.value().get().and_then(|r| r.err()).filter(|e| e.field_name().is_none()).map(|e| e.to_string());
    let done = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h1 class="text-lg font-semibold text-slate-900">{format!("Choose a new password, {name}")}</h1>
            <Show when=done fallback=move || view! {
                <form class="mt-4 space-y-4" data-testid="reset-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch((new.get_untracked(), again.get_untracked())); }>
                    <label class="block">
                        <span class=field::LABEL>"New password"</span>
                        <input type="password" autocomplete="new-password" class=field::INPUT data-testid="reset-new"
                            prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev)) />
                        <span class=format!("block {}", field::HELP)>{format!("At least {} characters, and not a common password: a few unrelated words work well.", crate::auth::MIN_PASSWORD)}</span>
                        {move || err_for("new")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="reset-error">{e}</span> })}
                    </label>
                    <label class="block">
                        <span class=field::LABEL>"New password again"</span>
                        <input type="password" autocomplete="new-password" class=field::INPUT data-testid="reset-again"
                            prop:value=move || again.get() on:input=move |ev| again.set(event_target_value(&ev)) />
                        {move || err_for("again")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="reset-error">{e}</span> })}
                    </label>
                    {move || other().map(|e| view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" role="alert" data-testid="reset-error">{e}</p> })}
                    <button type="submit" class=format!("{} w-full", btn::PRIMARY) data-testid="reset-save" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Set password" }}
                    </button>
                </form>
            }>
                <p class="mt-3 text-sm text-slate-700" data-testid="reset-done">"Your password is set. Every other device was signed out."</p>
                <a href="/login" class=format!("{} mt-4 w-full", btn::PRIMARY)>"Sign in"</a>
            </Show>
        </div>
    }
}

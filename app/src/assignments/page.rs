//! The assignments page (week / day calendar, list, conflicts, and the
//! assign flow with its preview) and the sitter's own schedule.

use super::{
    assignments_data, create_assignment, delete_window, edit_window, my_schedule, preview_assignment, resolve_conflict,
    AssignForm, AssignPreview, AssignmentBoard, ConflictRow, WindowQuery, WindowRow,
};
use crate::domain::ids::{ClientId, SitterId};
use crate::domain::windows::{AssignmentKind, Resolution, WindowStatus};
use crate::live::use_live;
use crate::ui::{btn, field, use_toaster, Badge, Card, ConfirmDialog, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn status_tone(s: WindowStatus) -> Tone {
    match s {
        WindowStatus::Active => Tone::Good,
        WindowStatus::Future => Tone::Info,
        WindowStatus::Past => Tone::Neutral,
        WindowStatus::Conflicting => Tone::Bad,
    }
}

/// Calendar block colours: active green, future blue, past grey, conflict red.
fn block_class(s: WindowStatus) -> &'static str {
    match s {
        WindowStatus::Active => "border-emerald-300 bg-emerald-50 text-emerald-900",
        WindowStatus::Future => "border-sky-300 bg-sky-50 text-sky-900",
        WindowStatus::Past => "border-slate-200 bg-slate-100 text-slate-500",
        WindowStatus::Conflicting => "border-red-300 bg-red-50 text-red-900",
    }
}

fn clock(minute: u32) -> String {
    if minute >= 1440 {
        return "midnight".into();
    }
    let (h, m) = (minute / 60, minute % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    if m == 0 {
        format!("{h12} {ampm}")
    } else {
        format!("{h12}:{m:02} {ampm}")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Week,
    Day,
    List,
    Conflicts,
}

#[derive(Clone, Copy)]
struct Filters {
    sitter: RwSignal<String>,
    client: RwSignal<String>,
    status: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    week: RwSignal<String>,
    day: RwSignal<Option<String>>,
}

#[component]
pub fn AssignmentsPage() -> impl IntoView {
    let live = use_live();
    let changed = RwSignal::new(0u64);
    let f = Filters {
        sitter: RwSignal::new(String::new()),
        client: RwSignal::new(String::new()),
        status: RwSignal::new(String::new()),
        from: RwSignal::new(String::new()),
        to: RwSignal::new(String::new()),
        week: RwSignal::new(String::new()),
        day: RwSignal::new(None),
    };
    let data = Resource::new(
        move || {
            let q = WindowQuery {
                sitter: f.sitter.get(),
                client: f.client.get(),
                status: f.status.get(),
                from: f.from.get(),
                to: f.to.get(),
                week: f.week.get(),
            };
            (q, live.version.get(), changed.get())
        },
        |(q, _, _)| assignments_data(q),
    );
    let view_mode = RwSignal::new(View::Week);
    // "Assign sitter" in a conversation opens the form with its client chosen.
    let asked_client = use_query_map().with_untracked(|q| q.get("client").filter(|c| c.trim().parse::<i64>().is_ok()));
    let assigning = RwSignal::new(asked_client.is_some());
    let assign = AssignState::new(assigning, changed);
    if let Some(c) = asked_client {
        assign.client.set(c.trim().to_string());
    }
    view! {
        <leptos_meta::Title text="Assignments · Leashline" />
        <PageHeader title="Assignments" subtitle="Which sitter handles which client, and when. Texts reach a sitter only inside their windows.">
            <button type="button" class=btn::PRIMARY data-testid="assign-open" on:click=move |_| assigning.update(|a| *a = !*a)>
                "Assign a sitter"
            </button>
        </PageHeader>
        <Transition fallback=|| view! { <Loading label="Loading assignments" /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! {
                        <Show when=move || assigning.get()>
                            <AssignPanel st=assign sitters=d.sitters.clone() clients=d.clients.clone() open=assigning show_conflicts=Callback::new(move |_| view_mode.set(View::Conflicts)) />
                        </Show>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="rounded-lg bg-red-50 p-4 text-sm text-red-800" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading label="Loading assignments" /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Body d=d mode=view_mode f=f changed=changed /> }.into_any(),
                    Err(e) => view! { <p class="rounded-lg bg-red-50 p-4 text-sm text-red-800" role="alert" data-testid="assignments-error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Body(d: AssignmentBoard, mode: RwSignal<View>, f: Filters, changed: RwSignal<u64>) -> impl IntoView {
    let conflicts = d.conflicts.len();
    let d = StoredValue::new(d);
    let tab = move |v: View, label: &'static str, id: &'static str| {
        view! {
            <button
                type="button"
                data-testid=id
                aria-pressed=move || (mode.get() == v).to_string()
                class="rounded-lg px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 aria-pressed:bg-white aria-pressed:text-slate-900 aria-pressed:shadow-sm"
                on:click=move |_| mode.set(v)
            >
                {label}
                {(v == View::Conflicts && conflicts > 0)
                    .then(|| view! { <span class="ml-1.5 rounded-full bg-red-600 px-1.5 text-xs font-semibold text-white" data-testid="conflict-count">{conflicts}</span> })}
            </button>
        }
    };
    view! {
        <div class="mb-4 inline-flex gap-1 rounded-xl bg-slate-100 p-1" role="group" aria-label="View">
            {tab(View::Week, "Week", "view-week")}
            {tab(View::Day, "Day", "view-day")}
            {tab(View::List, "List", "view-list")}
            {tab(View::Conflicts, "Conflicts", "view-conflicts")}
        </div>
        {move || match mode.get() {
            View::Week => view! { <Week d=d.get_value() f=f /> }.into_any(),
            View::Day => view! { <Day d=d.get_value() f=f /> }.into_any(),
            View::List => view! { <List d=d.get_value() f=f changed=changed /> }.into_any(),
            View::Conflicts => view! { <Conflicts conflicts=d.get_value().conflicts changed=changed /> }.into_any(),
        }}
    }
}

fn week_nav(d: &AssignmentBoard, f: Filters) -> impl IntoView {
    let first =
        chrono::NaiveDate::parse_from_str(&d.week.first().map(|w| w.0.clone()).unwrap_or_default(), "%Y-%m-%d").ok();
    let shift = move |days: i64| {
        if let Some(b) = first {
            f.week.set((b + chrono::Duration::days(days)).format("%Y-%m-%d").to_string());
            f.day.set(None);
        }
    };
    let range = format!(
        "{} – {}",
        d.week.first().map(|w| w.1.clone()).unwrap_or_default(),
        d.week.last().map(|w| w.1.clone()).unwrap_or_default()
    );
    let tz = d.time_zone.clone();
    view! {
        <div class="mb-3 flex flex-wrap items-center gap-2">
            <button type="button" class=btn::SMALL data-testid="week-prev" on:click=move |_| shift(-7)>"← Previous week"</button>
            <button type="button" class=btn::SMALL on:click=move |_| { f.week.set(String::new()); f.day.set(None); }>"This week"</button>
            <button type="button" class=btn::SMALL data-testid="week-next" on:click=move |_| shift(7)>"Next week →"</button>
            <span class="text-sm font-medium text-slate-700" data-testid="week-range">{range}</span>
            <span class="text-xs text-slate-500">{format!("Times in {tz}")}</span>
        </div>
    }
}

fn legend() -> impl IntoView {
    view! {
        <div class="mt-3 flex flex-wrap gap-3 text-xs text-slate-600">
            <span class="flex items-center gap-1"><span class="h-3 w-3 rounded border border-emerald-300 bg-emerald-50"></span>"Active"</span>
            <span class="flex items-center gap-1"><span class="h-3 w-3 rounded border border-sky-300 bg-sky-50"></span>"Upcoming"</span>
            <span class="flex items-center gap-1"><span class="h-3 w-3 rounded border border-slate-200 bg-slate-100"></span>"Past"</span>
            <span class="flex items-center gap-1"><span class="h-3 w-3 rounded border border-red-300 bg-red-50"></span>"Conflict"</span>
        </div>
    }
}

#[component]
fn Week(d: AssignmentBoard, f: Filters) -> impl IntoView {
    let nav = week_nav(&d, f);
    let today = d.today.clone();
    let days = d.week.clone();
    let windows = d.windows.clone();
    view! {
        {nav}
        <div class="grid grid-cols-1 gap-2 sm:grid-cols-7" data-testid="calendar-week">
            {days
                .into_iter()
                .map(|(key, label)| {
                    let is_today = key == today;
                    let here: Vec<(WindowRow, u32, u32)> = windows
                        .iter()
                        .filter_map(|w| w.days.iter().find(|(k, _, _)| *k == key).map(|(_, a, b)| (w.clone(), *a, *b)))
                        .collect();
                    let k2 = key.clone();
                    view! {
                        <div class="min-h-[8rem] rounded-xl border border-slate-200 bg-white p-2" data-testid="calendar-day" data-day=key.clone()>
                            <button
                                type="button"
                                class={if is_today { "mb-2 w-full rounded-md bg-emerald-600 px-2 py-0.5 text-left text-xs font-semibold text-white" } else { "mb-2 w-full rounded-md px-2 py-0.5 text-left text-xs font-semibold text-slate-600 hover:bg-slate-100" }}
                                on:click=move |_| f.day.set(Some(k2.clone()))
                            >
                                {label}
                            </button>
                            <div class="space-y-1.5">
                                {if here.is_empty() {
                                    view! { <p class="px-1 text-xs text-slate-400">"—"</p> }.into_any()
                                } else {
                                    here.into_iter()
                                        .map(|(w, a, b)| {
                                            view! {
                                                <div class=format!("rounded-lg border px-2 py-1 text-xs {}", block_class(w.status)) data-testid="calendar-block" data-status=w.status.as_str()>
                                                    <div class="font-semibold">{format!("{} – {}", clock(a), clock(b))}</div>
                                                    <div class="truncate">{format!("{} · {}", w.sitter, w.client)}</div>
                                                </div>
                                            }
                                        })
                                        .collect_view()
                                        .into_any()
                                }}
                            </div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
        {legend()}
    }
}

#[component]
fn Day(d: AssignmentBoard, f: Filters) -> impl IntoView {
    let nav = week_nav(&d, f);
    let default_day = if d.week.iter().any(|w| w.0 == d.today) {
        d.today.clone()
    } else {
        d.week.first().map(|w| w.0.clone()).unwrap_or_default()
    };
    let week = d.week.clone();
    let windows = d.windows.clone();
    let day = move || f.day.get().unwrap_or_else(|| default_day.clone());
    view! {
        {nav}
        <div class="mb-3 flex flex-wrap gap-1">
            {week
                .into_iter()
                .map(|(key, label)| {
                    let k = key.clone();
                    let k2 = key.clone();
                    let day = day.clone();
                    view! {
                        <button type="button" class=btn::SMALL aria-pressed=move || (day() == k2).to_string() on:click=move |_| f.day.set(Some(k.clone()))>{label}</button>
                    }
                })
                .collect_view()}
        </div>
        <Card>
            <div class="p-4" data-testid="calendar-day-view">
                <div class="mb-2 ml-40 hidden justify-between text-xs text-slate-400 sm:flex">
                    <span>"12 AM"</span><span>"6 AM"</span><span>"12 PM"</span><span>"6 PM"</span><span>"12 AM"</span>
                </div>
                {move || {
                    let key = day();
                    let here: Vec<(WindowRow, u32, u32)> = windows
                        .iter()
                        .filter_map(|w| w.days.iter().find(|(k, _, _)| *k == key).map(|(_, a, b)| (w.clone(), *a, *b)))
                        .collect();
                    if here.is_empty() {
                        return view! { <p class="py-8 text-center text-sm text-slate-500">"No windows on this day."</p> }.into_any();
                    }
                    here.into_iter()
                        .map(|(w, a, b)| {
                            let left = a as f64 / 1440.0 * 100.0;
                            let width = ((b.saturating_sub(a)) as f64 / 1440.0 * 100.0).max(1.0);
                            view! {
                                <div class="flex flex-col gap-1 border-b border-slate-100 py-2 sm:flex-row sm:items-center" data-testid="day-row">
                                    <div class="w-40 shrink-0 text-sm">
                                        <div class="font-medium text-slate-900">{w.sitter.clone()}</div>
                                        <div class="truncate text-xs text-slate-500">{w.client.clone()}</div>
                                    </div>
                                    <div class="relative h-8 flex-1 rounded-md bg-slate-50">
                                        <div
                                            class=format!("absolute inset-y-0 overflow-hidden rounded-md border px-2 text-xs leading-8 {}", block_class(w.status))
                                            style=format!("left: {left:.2}%; width: {width:.2}%")
                                        >
                                            {format!("{} – {}", clock(a), clock(b))}
                                        </div>
                                    </div>
                                </div>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </div>
        </Card>
        {legend()}
    }
}

#[component]
fn List(d: AssignmentBoard, f: Filters, changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let sitters = d.sitters.clone();
    let editing = RwSignal::new(None::<(WindowRow, String, String)>);
    let edit_error = RwSignal::new(None::<String>);
    let save = Action::new(move |(id, s, e): &(crate::domain::ids::WindowId, String, String)| {
        edit_window(*id, s.clone(), e.clone())
    });
    Effect::new(move |_| {
        if let Some(r) = save.value().get() {
            match r {
                Ok(()) => {
                    editing.set(None);
                    edit_error.set(None);
                    toaster.success("Window changed");
                    changed.update(|v| *v += 1);
                }
                Err(e) => edit_error.set(Some(e.to_string())),
            }
        }
    });
    let deleting = RwSignal::new(None::<WindowRow>);
    let del_open = RwSignal::new(false);
    let del_error = RwSignal::new(None::<String>);
    let del = Action::new(move |id: &crate::domain::ids::WindowId| delete_window(*id));
    Effect::new(move |_| {
        if let Some(r) = del.value().get() {
            match r {
                Ok(()) => {
                    del_open.set(false);
                    toaster.success("Window deleted");
                    changed.update(|v| *v += 1);
                }
                Err(e) => del_error.set(Some(e.to_string())),
            }
        }
    });
    let rows = d.windows.clone();
    view! {
        <ListFilters sitters=sitters f=f />
        {(d.truncated).then(|| view! { <p class="mb-2 text-sm text-amber-800">"Showing the first 500 windows. Narrow the dates or pick a sitter."</p> })}
        {if rows.is_empty() {
            view! { <EmptyState title="No windows match" body="Change the filters, or assign a sitter to a client." /> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white">
                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="windows-table">
                        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                            <tr>
                                <th class="px-4 py-2">"Client"</th>
                                <th class="px-4 py-2">"Sitter"</th>
                                <th class="px-4 py-2">"Type"</th>
                                <th class="px-4 py-2">"From"</th>
                                <th class="px-4 py-2">"To"</th>
                                <th class="px-4 py-2">"Status"</th>
                                <th class="px-4 py-2"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {rows
                                .into_iter()
                                .map(|w| {
                                    let w_edit = w.clone();
                                    let w_del = w.clone();
                                    let editable = w.status != WindowStatus::Past;
                                    let id = w.id;
                                    view! {
                                        <tr data-testid="window-row">
                                            <td class="whitespace-nowrap px-4 py-2">
                                                <div class="font-medium text-slate-900">{w.client.clone()}</div>
                                                <div class="text-xs text-slate-500">{format!("on {}", w.number)}</div>
                                            </td>
                                            <td class="whitespace-nowrap px-4 py-2">{w.sitter.clone()}</td>
                                            <td class="px-4 py-2 text-slate-600">{w.kind.label()}</td>
                                            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{w.starts.clone()}</td>
                                            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{w.ends.clone()}</td>
                                            <td class="px-4 py-2"><Badge tone=status_tone(w.status) text=w.status.label() /></td>
                                            <td class="whitespace-nowrap px-4 py-2 text-right">
                                                {editable.then(|| view! {
                                                    <button type="button" class=btn::SMALL data-testid="window-edit" on:click=move |_| {
                                                        edit_error.set(None);
                                                        editing.set(Some((w_edit.clone(), w_edit.starts_local.clone(), w_edit.ends_local.clone())));
                                                    }>"Edit"</button>
                                                })}
                                                " "
                                                <button type="button" class=btn::SMALL data-testid="window-delete" on:click=move |_| {
                                                    del_error.set(None);
                                                    deleting.set(Some(w_del.clone()));
                                                    del_open.set(true);
                                                }>"Delete"</button>
                                            </td>
                                        </tr>
                                        <WindowEditRow id=id editing=editing edit_error=edit_error save=save />
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
        <DeleteWindowDialog deleting=deleting open=del_open del=del error=del_error />
    }
}

/// Confirms deleting a window, saying what the sitter and client notice.
#[component]
fn DeleteWindowDialog(
    deleting: RwSignal<Option<WindowRow>>,
    open: RwSignal<bool>,
    del: Action<crate::domain::ids::WindowId, Result<(), crate::error::AppError>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <ConfirmDialog
            open=open
            title="Delete this window?"
            impact=Signal::derive(move || {
                deleting.get().map(|w| {
                    let mut v = vec![format!("{}'s window with {} ({} – {}) is removed.", w.sitter, w.client, w.starts, w.ends)];
                    if w.status == WindowStatus::Active || w.status == WindowStatus::Conflicting {
                        v.push(format!("{} stops receiving {}'s texts straight away; they go to the owner inbox.", w.sitter, w.client));
                    }
                    v.push("The client isn't told. The deletion is recorded in the audit trail.".into());
                    v
                }).unwrap_or_default()
            })
            confirm_label="Delete window"
            destructive=true
            pending=del.pending()
            error=Signal::derive(move || error.get())
            on_confirm=Callback::new(move |_| {
                if let Some(w) = deleting.get_untracked() {
                    del.dispatch(w.id);
                }
            })
        />
    }
}

#[component]
fn ListFilters(sitters: Vec<super::Choice>, f: Filters) -> impl IntoView {
    view! {
        <div class="mb-3 flex flex-wrap items-end gap-3 text-sm" data-testid="list-filters">
            <label class="flex flex-col gap-1 text-xs text-slate-600">
                "Sitter"
                <select class=field::INPUT data-testid="filter-sitter" on:change=move |ev| f.sitter.set(event_target_value(&ev))>
                    <option value="" selected=move || f.sitter.get().is_empty()>"Everyone"</option>
                    {sitters.into_iter().map(|s| { let v = s.id.to_string(); let v2 = v.clone(); view! { <option value=v selected=move || f.sitter.get() == v2>{s.name}</option> } }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col gap-1 text-xs text-slate-600">
                "Client"
                <input class=field::INPUT data-testid="filter-client" placeholder="Name" prop:value=move || f.client.get() on:change=move |ev| f.client.set(event_target_value(&ev)) />
            </label>
            <label class="flex flex-col gap-1 text-xs text-slate-600">
                "Status"
                <select class=field::INPUT data-testid="filter-status" on:change=move |ev| f.status.set(event_target_value(&ev))>
                    {[("", "Any"), ("active", "Active"), ("future", "Upcoming"), ("past", "Past"), ("conflicting", "Conflict")]
                        .into_iter()
                        .map(|(v, label)| view! { <option value=v selected=move || f.status.get() == v>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="flex flex-col gap-1 text-xs text-slate-600">"From"<input type="date" class=field::INPUT data-testid="filter-from" prop:value=move || f.from.get() on:change=move |ev| f.from.set(event_target_value(&ev)) /></label>
            <label class="flex flex-col gap-1 text-xs text-slate-600">"To"<input type="date" class=field::INPUT data-testid="filter-to" prop:value=move || f.to.get() on:change=move |ev| f.to.set(event_target_value(&ev)) /></label>
        </div>
    }
}

/// The form under a window's row while its times are being changed.
#[component]
fn WindowEditRow(
    id: crate::domain::ids::WindowId,
    editing: RwSignal<Option<(WindowRow, String, String)>>,
    edit_error: RwSignal<Option<String>>,
    save: Action<(crate::domain::ids::WindowId, String, String), Result<(), crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <Show when=move || editing.with(|e| e.as_ref().is_some_and(|(w, _, _)| w.id == id))>
            <tr class="bg-slate-50" data-testid="window-edit-row">
                <td colspan="7" class="px-4 py-3">
                    <div class="flex flex-wrap items-end gap-3">
                        <label class="flex flex-col gap-1 text-xs text-slate-600">"Starts"
                            <input type="datetime-local" class=field::INPUT data-testid="edit-starts"
                                prop:value=move || editing.with(|e| e.as_ref().map(|x| x.1.clone()).unwrap_or_default())
                                on:input=move |ev| editing.update(|e| if let Some(x) = e { x.1 = event_target_value(&ev) }) />
                        </label>
                        <label class="flex flex-col gap-1 text-xs text-slate-600">"Ends"
                            <input type="datetime-local" class=field::INPUT data-testid="edit-ends"
                                prop:value=move || editing.with(|e| e.as_ref().map(|x| x.2.clone()).unwrap_or_default())
                                on:input=move |ev| editing.update(|e| if let Some(x) = e { x.2 = event_target_value(&ev) }) />
                        </label>
                        <button type="button" class=btn::PRIMARY data-testid="edit-save" disabled=move || save.pending().get() on:click=move |_| {
                            if let Some((w, s, e)) = editing.get_untracked() {
                                save.dispatch((w.id, s, e));
                            }
                        }>"Save"</button>
                        <button type="button" class=btn::SECONDARY on:click=move |_| editing.set(None)>"Cancel"</button>
                    </div>
                    <p class="mt-2 text-sm text-slate-700" data-testid="edit-impact">
                        {move || editing.with(|e| e.as_ref().map(|(w, s, en)| format!(
                            "{} will get {}'s texts from {} to {} instead of {} – {}. Overlaps with another window are refused.",
                            w.sitter, w.client, s.replace('T', " "), en.replace('T', " "), w.starts, w.ends
                        )))}
                    </p>
                    {move || edit_error.get().map(|e| view! { <p class="mt-2 text-sm text-red-700" role="alert" data-testid="edit-error">{e}</p> })}
                </td>
            </tr>
        </Show>
    }
}

#[component]
fn Conflicts(conflicts: Vec<ConflictRow>, changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let fix = Action::new(move |r: &Resolution| resolve_conflict(r.clone()));
    Effect::new(move |_| {
        if let Some(r) = fix.value().get() {
            match r {
                Ok(()) => {
                    toaster.success("Conflict resolved");
                    changed.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.to_string()),
            }
        }
    });
    if conflicts.is_empty() {
        return view! { <EmptyState title="No conflicts" body="No two windows of the same conversation overlap. Overlapping windows send texts to the owner inbox until resolved." /> }.into_any();
    }
    view! {
        <ul class="space-y-3" data-testid="conflicts">
            {conflicts
                .into_iter()
                .map(|c| {
                    view! {
                        <li class="rounded-xl border border-red-200 bg-white p-4" data-testid="conflict">
                            <p class="text-sm font-semibold text-slate-900">{format!("{}: two sitters at once", c.first.client)}</p>
                            <p class="mt-1 text-sm text-slate-600">{format!("{}: {} – {}", c.first.sitter, c.first.starts, c.first.ends)}</p>
                            <p class="text-sm text-slate-600">{format!("{}: {} – {}", c.second.sitter, c.second.starts, c.second.ends)}</p>
                            <p class="mt-1 text-xs text-red-700">{format!("Overlap {} — texts go to the owner inbox meanwhile.", c.overlap)}</p>
                            <div class="mt-3 flex flex-wrap gap-2">
                                {c.fixes
                                    .into_iter()
                                    .map(|(label, r)| view! {
                                        <button type="button" class=btn::SMALL data-testid="conflict-fix" disabled=move || fix.pending().get() on:click=move |_| { fix.dispatch(r.clone()); }>{label}</button>
                                    })
                                    .collect_view()}
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// The assign form's state lives with the page, not the panel: the panel is
/// rebuilt whenever the page's data reloads (a live update), and what was
/// typed must survive that.
#[derive(Clone, Copy)]
struct AssignState {
    sitter: RwSignal<String>,
    client: RwSignal<String>,
    kind: RwSignal<AssignmentKind>,
    starts: RwSignal<String>,
    ends: RwSignal<String>,
    /// Send the introduction now even inside quiet hours.
    send_now: RwSignal<bool>,
    /// (field, message, is an overlap)
    problem: RwSignal<Option<(Option<String>, String, bool)>>,
    shown: RwSignal<Option<AssignPreview>>,
    preview: Action<AssignForm, Result<AssignPreview, crate::error::AppError>>,
    create: Action<AssignForm, Result<crate::domain::ids::WindowId, crate::error::AppError>>,
}

impl AssignState {
    fn new(open: RwSignal<bool>, changed: RwSignal<u64>) -> Self {
        let toaster = use_toaster();
        let st = AssignState {
            sitter: RwSignal::new(String::new()),
            client: RwSignal::new(String::new()),
            kind: RwSignal::new(AssignmentKind::WeeklyClient),
            starts: RwSignal::new(String::new()),
            ends: RwSignal::new(String::new()),
            send_now: RwSignal::new(false),
            problem: RwSignal::new(None),
            shown: RwSignal::new(None),
            preview: Action::new(move |f: &AssignForm| preview_assignment(f.clone())),
            create: Action::new(move |f: &AssignForm| create_assignment(f.clone())),
        };
        Effect::new(move |_| {
            if let Some(r) = st.preview.value().get() {
                match r {
                    Ok(p) => {
                        st.problem.set(None);
                        st.shown.set(Some(p));
                    }
                    Err(e) => {
                        st.shown.set(None);
                        let conflict = matches!(e, crate::error::AppError::Conflict(_));
                        st.problem.set(Some((e.field_name().map(str::to_string), e.to_string(), conflict)));
                    }
                }
            }
        });
        Effect::new(move |_| {
            if let Some(r) = st.create.value().get() {
                match r {
                    Ok(_) => {
                        toaster.success("Window created");
                        open.set(false);
                        st.shown.set(None);
                        st.client.set(String::new());
                        st.send_now.set(false);
                        changed.update(|v| *v += 1);
                    }
                    Err(e) => {
                        let conflict = matches!(e, crate::error::AppError::Conflict(_));
                        st.problem.set(Some((e.field_name().map(str::to_string), e.to_string(), conflict)));
                        st.shown.set(None);
                    }
                }
            }
        });
        st
    }

    fn form(&self) -> Result<AssignForm, String> {
        let s = self.sitter.get_untracked().parse::<i64>().map_err(|_| "Choose a sitter.".to_string())?;
        let c = self.client.get_untracked().parse::<i64>().map_err(|_| "Choose a client.".to_string())?;
        Ok(AssignForm {
            sitter: SitterId(s),
            client: ClientId(c),
            kind: self.kind.get_untracked(),
            starts: self.starts.get_untracked(),
            ends: self.ends.get_untracked(),
            send_intro_now: self.send_now.get_untracked(),
        })
    }
}

#[component]
fn AssignPanel(
    st: AssignState,
    sitters: Vec<super::Choice>,
    clients: Vec<super::Choice>,
    open: RwSignal<bool>,
    show_conflicts: Callback<()>,
) -> impl IntoView {
    let AssignState { sitter, client, kind, starts, ends, send_now, problem, shown, preview, create } = st;
    // A client asked for in the address who can't be assigned (unknown, gone) isn't kept.
    if !clients.iter().any(|c| c.id.to_string() == client.get_untracked()) {
        client.set(String::new());
    }
    let form = move || st.form();
    // Any change makes the preview stale: it must be looked at again.
    let touch = move || shown.set(None);
    let invalid = move |name: &'static str| {
        move || problem.with(|p| p.as_ref().is_some_and(|(f, _, _)| f.as_deref() == Some(name))).to_string()
    };
    view! {
        <Card title="Assign a sitter" class="mb-6">
            <form
                class="grid gap-4 p-5 md:grid-cols-2 lg:grid-cols-5"
                data-testid="assign-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    match form() {
                        Ok(f) => {
                            problem.set(None);
                            // The preview shows when the text would wait; the tick is read on create.
                            preview.dispatch(AssignForm { send_intro_now: false, ..f });
                        }
                        Err(m) => problem.set(Some((None, m, false))),
                    }
                }
            >
                <div>
                    <label class=field::LABEL for="assign-sitter">"Sitter"</label>
                    <select id="assign-sitter" class=field::INPUT data-testid="assign-sitter" aria-invalid=invalid("sitter") on:change=move |ev| { sitter.set(event_target_value(&ev)); touch(); }>
                        <option value="">"Choose a sitter…"</option>
                        {sitters.into_iter().map(|s| { let v = s.id.to_string(); let v2 = v.clone(); view! { <option value=v selected=move || sitter.get() == v2>{s.name}</option> } }).collect_view()}
                    </select>
                </div>
                <div>
                    <label class=field::LABEL for="assign-client">"Client"</label>
                    <select id="assign-client" class=field::INPUT data-testid="assign-client" aria-invalid=invalid("client") on:change=move |ev| { client.set(event_target_value(&ev)); touch(); }>
                        <option value="">"Choose a client…"</option>
                        {clients.into_iter().map(|c| { let v = c.id.to_string(); let v2 = v.clone(); view! { <option value=v selected=move || client.get() == v2>{c.name}</option> } }).collect_view()}
                    </select>
                </div>
                <div>
                    <label class=field::LABEL for="assign-kind">"Type"</label>
                    <select id="assign-kind" class=field::INPUT data-testid="assign-kind" aria-invalid=invalid("kind") on:change=move |ev| {
                        kind.set(AssignmentKind::parse(&event_target_value(&ev)).unwrap_or(AssignmentKind::WeeklyClient));
                        touch();
                    }>
                        {AssignmentKind::ALL.into_iter().map(|k| view! { <option value=k.as_str() selected=move || kind.get() == k>{k.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label class=field::LABEL for="assign-starts">"Starts"</label>
                    <input id="assign-starts" type="datetime-local" class=field::INPUT data-testid="assign-starts" aria-invalid=invalid("starts") prop:value=move || starts.get() on:input=move |ev| { starts.set(event_target_value(&ev)); touch(); } />
                </div>
                <div>
                    <label class=field::LABEL for="assign-ends">"Ends"</label>
                    <input id="assign-ends" type="datetime-local" class=field::INPUT data-testid="assign-ends" aria-invalid=invalid("ends") prop:value=move || ends.get() on:input=move |ev| { ends.set(event_target_value(&ev)); touch(); } />
                </div>
                <div class="flex flex-wrap items-center gap-2 md:col-span-2 lg:col-span-5">
                    <button type="submit" class=btn::SECONDARY data-testid="assign-preview" disabled=move || preview.pending().get()>
                        {move || if preview.pending().get() { "Checking…" } else { "Preview" }}
                    </button>
                    <button type="button" class=btn::GHOST on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
            {move || problem.get().map(|(_, m, conflict)| view! {
                <div class="mx-5 mb-5 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800" role="alert" data-testid="assign-error">
                    <p>{m}</p>
                    {conflict.then(|| view! { <button type="button" class="mt-1 font-semibold underline" data-testid="see-conflicts" on:click=move |_| show_conflicts.run(())>"Open the conflicts view"</button> })}
                </div>
            })}
            {move || shown.get().map(|p| view! {
                <div class="mx-5 mb-5 rounded-lg border border-emerald-200 bg-emerald-50 p-4" data-testid="assign-preview-box">
                    <p class="font-semibold text-emerald-900" data-testid="assign-summary">{p.summary.clone()}</p>
                    <ul class="mt-2 list-disc space-y-1 pl-5 text-sm text-emerald-900">
                        {p.lines.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}
                    </ul>
                    {p.message.clone().map(|m| view! {
                        <div class="mt-3">
                            <p class="text-xs font-semibold uppercase tracking-wide text-emerald-800">"The client will get"</p>
                            <p class="mt-1 rounded-lg bg-white px-3 py-2 text-sm text-slate-800" data-testid="assign-message">{m}</p>
                        </div>
                    })}
                    {p.waits_until.clone().map(|t| view! {
                        <div class="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="assign-quiet-hours">
                            <p>{format!("Quiet hours: the text goes {t}.")}</p>
                            <label class="mt-1 flex items-center gap-2 font-medium">
                                <input type="checkbox" data-testid="assign-send-now" prop:checked=move || send_now.get() on:change=move |ev| send_now.set(event_target_checked(&ev)) />
                                "Send it now anyway"
                            </label>
                        </div>
                    })}
                    <button type="button" class=format!("{} mt-3", btn::PRIMARY) data-testid="assign-confirm" disabled=move || create.pending().get() on:click=move |_| {
                        if let Ok(f) = form() {
                            create.dispatch(f);
                        }
                    }>{move || if create.pending().get() { "Creating…" } else { "Confirm and create" }}</button>
                </div>
            })}
        </Card>
    }
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    let live = use_live();
    let rows = Resource::new(move || live.version.get(), |_| my_schedule());
    view! {
        <leptos_meta::Title text="My schedule · Leashline" />
        <PageHeader title="My schedule" subtitle="Your assignment windows. You can text a client only while their window is active." />
        <Transition fallback=|| view! { <Loading label="Loading your windows" /> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(list) if list.is_empty() => view! { <EmptyState title="No windows yet" body="When the owner assigns you to a client, the window shows up here." /> }.into_any(),
                    Ok(list) => {
                        let group = |title: &'static str, want: &'static [WindowStatus], list: &[WindowRow]| {
                            let mut items: Vec<WindowRow> = list.iter().filter(|w| want.contains(&w.status)).cloned().collect();
                            // Newest first from the server; what's next reads better soonest first.
                            if want.contains(&WindowStatus::Future) {
                                items.reverse();
                            }
                            (!items.is_empty()).then(|| view! {
                                <section class="mb-6">
                                    <h2 class="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">{title}</h2>
                                    <ul class="space-y-2">
                                        {items.into_iter().map(|w| view! {
                                            <li class=format!("rounded-xl border p-4 {}", block_class(w.status)) data-testid="schedule-item">
                                                <div class="flex items-start justify-between gap-2">
                                                    <div class="min-w-0">
                                                        <p class="font-semibold" data-testid="schedule-client">{w.client.clone()}</p>
                                                        <p class="text-sm">{format!("{} – {}", w.starts, w.ends)}</p>
                                                        <p class="text-xs opacity-80">{format!("{} · texts on {}", w.kind.label(), w.number)}</p>
                                                    </div>
                                                    <Badge tone=status_tone(w.status) text=w.status.label() />
                                                </div>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            })
                        };
                        view! {
                            <div data-testid="schedule">
                                {group("Now", &[WindowStatus::Active, WindowStatus::Conflicting], &list)}
                                {group("Upcoming", &[WindowStatus::Future], &list)}
                                {group("Past 30 days", &[WindowStatus::Past], &list)}
                            </div>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="rounded-lg bg-red-50 p-4 text-sm text-red-800" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

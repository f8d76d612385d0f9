//! The Automations screens: the list (with templates to start from) and the
//! builder with its status, test and execution log.

use super::*;
use crate::domain::automation::conditions::{Condition, ConditionGroup, GroupOp, Operator, Value, FIELDS};
use crate::domain::automation::definition::{
    lane_label, problems, templates, Action as AutoAction, ActionKind, Recipient, RunStatus, Trigger, TriggerKind,
    LANES,
};
use crate::domain::automation::template::{render, sample_values, KNOWN_VARIABLES};
use crate::ui::{btn, field, use_toaster, Badge, ConfirmDialog, EmptyState, Loading, PageHeader, Tone};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

pub fn status_tone(s: AutomationStatus) -> Tone {
    match s {
        AutomationStatus::Active => Tone::Good,
        AutomationStatus::Paused => Tone::Warn,
        AutomationStatus::Draft => Tone::Neutral,
        AutomationStatus::Archived => Tone::Neutral,
    }
}

fn run_tone(status: RunStatus) -> Tone {
    match status {
        RunStatus::Succeeded | RunStatus::TestPassed => Tone::Good,
        RunStatus::Skipped => Tone::Neutral,
        RunStatus::Retrying => Tone::Warn,
        RunStatus::Failed | RunStatus::TestFailed => Tone::Bad,
    }
}

#[component]
pub fn AutomationsPage() -> impl IntoView {
    let archived = RwSignal::new(false);
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (archived.get(), changed.get()), |(a, _)| list_automations(a));
    let toaster = use_toaster();
    let confirm_open = RwSignal::new(false);
    let target = RwSignal::new(None::<(AutomationRow, AutomationStatus)>);
    let set = Action::new(|(id, s): &(i64, AutomationStatus)| set_automation_status(*id, *s));
    Effect::new(move |_| {
        if let Some(Ok(())) = set.value().get() {
            if let Some((row, to)) = target.get_untracked() {
                toaster.success(match to {
                    AutomationStatus::Active => format!("\"{}\" is on", row.name),
                    _ => format!("\"{}\" is paused", row.name),
                });
            }
            confirm_open.set(false);
            changed.update(|v| *v += 1);
        }
    });
    let tab = move |is_archive: bool, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (archived.get() == is_archive).to_string()
                class=move || format!(
                    "rounded-lg px-3 py-1.5 text-sm font-medium {}",
                    if archived.get() == is_archive { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" }
                )
                on:click=move |_| archived.set(is_archive)>{label}</button>
        }
    };
    view! {
        <leptos_meta::Title text="Automations · Leashline" />
        <PageHeader title="Automations" subtitle="Texts and alerts that happen by themselves at the right moment. Every run is logged.">
            <div class="inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
                {tab(false, "In use")}
                {tab(true, "Archived")}
            </div>
            <a href="/automations/new" class=btn::PRIMARY data-testid="automation-new">"New automation"</a>
        </PageHeader>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading automations" /></div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) if rows.is_empty() && archived.get_untracked() => view! {
                        <EmptyState title="Nothing archived" body="Automations you archive are kept here with their run history." />
                    }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <EmptyState title="No automations yet" body="Start from one of the templates below, or build your own. Nothing sends until you test and switch it on." />
                    }.into_any(),
                    Ok(rows) => view! {
                        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="automation-table">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr>
                                        <th class="px-4 py-2">"Name"</th>
                                        <th class="px-4 py-2">"For"</th>
                                        <th class="px-4 py-2">"Status"</th>
                                        <th class="px-4 py-2">"When"</th>
                                        <th class="px-4 py-2">"Last run"</th>
                                        <th class="px-4 py-2 text-right">"Runs (24 h)"</th>
                                        <th class="px-4 py-2"><span class="sr-only">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {rows.into_iter().map(|r| {
                                        let row = r.clone();
                                        let toggle = match r.status {
                                            AutomationStatus::Active => Some((AutomationStatus::Paused, "Pause")),
                                            AutomationStatus::Draft | AutomationStatus::Paused => Some((AutomationStatus::Active, "Switch on")),
                                            AutomationStatus::Archived => None,
                                        };
                                        view! {
                                            <tr data-testid="automation-row" data-status=r.status.as_str()>
                                                <td class="px-4 py-3">
                                                    <a class="font-medium text-slate-900 hover:text-emerald-700 hover:underline" href=format!("/automations/{}", r.id)>{r.name.clone()}</a>
                                                    {r.flagged.clone().map(|f| view! { <p class="mt-0.5 text-xs text-amber-700">{f}</p> })}
                                                </td>
                                                <td class="px-4 py-3 text-slate-600">{lane_label(&r.lane)}</td>
                                                <td class="px-4 py-3"><Badge tone=status_tone(r.status) text=r.status.label() /></td>
                                                <td class="px-4 py-3 text-slate-600">{r.trigger.clone()}</td>
                                                <td class="px-4 py-3 text-slate-600">{r.last_run.clone().unwrap_or_else(|| "Never".into())}</td>
                                                <td class="px-4 py-3 text-right tabular-nums text-slate-700">
                                                    {r.runs_24h}
                                                    {(r.failed_24h > 0).then(|| view! { <span class="ml-1 text-xs text-red-700">{format!("({} failed)", r.failed_24h)}</span> })}
                                                </td>
                                                <td class="px-4 py-3 text-right">
                                                    {toggle.map(|(to, label)| view! {
                                                        <button type="button" class=btn::SMALL data-testid="automation-toggle"
                                                            on:click=move |_| { set.clear(); target.set(Some((row.clone(), to))); confirm_open.set(true); }>{label}</button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {template_gallery()}
        <ConfirmDialog
            open=confirm_open
            title=Signal::derive(move || target.get().map(|(r, to)| match to {
                AutomationStatus::Active => format!("Switch on \"{}\"?", r.name),
                _ => format!("Pause \"{}\"?", r.name),
            }).unwrap_or_default())
            impact=Signal::derive(move || target.get().map(|(r, to)| match to {
                AutomationStatus::Active => vec![format!("It runs whenever: {}.", r.trigger.to_lowercase()), "Texts go out from the conversation's business number; quiet hours hold them until morning.".to_string()],
                _ => vec!["It stops running now. Texts it already queued still go out.".to_string(), "You can switch it on again at any time.".to_string()],
            }).unwrap_or_default())
            confirm_label=Signal::derive(move || target.get().map(|(_, to)| if to == AutomationStatus::Active { "Switch on" } else { "Pause" }).unwrap_or("OK").to_string())
            on_confirm=Callback::new(move |_| if let Some((r, to)) = target.get_untracked() { set.dispatch((r.id, to)); })
            pending=set.pending()
            error=Signal::derive(move || match set.value().get() { Some(Err(e)) => Some(e.to_string()), _ => None })
        />
    }
}

/// Ready-made automations, each opened in the builder as a draft.
fn template_gallery() -> impl IntoView {
    view! {
        <section class="mt-8">
            <h2 class="text-sm font-semibold text-slate-900">"Start from a template"</h2>
            <p class="mt-0.5 text-sm text-slate-500">"Each opens in the builder as a draft; nothing sends until you test it and switch it on."</p>
            <div class="mt-3 grid gap-3 md:grid-cols-3">
                {templates().into_iter().map(|(key, d)| view! {
                    <a href=format!("/automations/new?template={key}") data-testid="automation-template"
                        class="block rounded-xl border border-slate-200 bg-white p-4 shadow-sm hover:border-emerald-300 hover:shadow">
                        <p class="font-medium text-slate-900">{d.name.clone()}</p>
                        <p class="mt-1 text-sm text-slate-600">{d.description.clone()}</p>
                        <p class="mt-2 text-xs font-medium text-emerald-700">"Use this template →"</p>
                    </a>
                }).collect_view()}
            </div>
        </section>
    }
}

const STEPS: [&str; 6] = ["Basics", "Trigger", "Conditions", "Actions", "Messages", "Review"];

#[component]
pub fn AutomationEditorPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id_param = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(id_param, |p| async move {
        match p.parse::<i64>() {
            Ok(id) => load_automation(id).await.map(Some),
            Err(_) => Ok(None),
        }
    });
    view! {
        <leptos_meta::Title text="Automation · Leashline" />
        <p class="mb-2 text-sm"><a href="/automations" class="font-medium text-emerald-700 hover:underline">"← All automations"</a></p>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading the automation" /></div> }>
            {move || Suspend::new(async move {
                let (template, step) = query.with_untracked(|q| (
                    q.get("template"),
                    q.get("step").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0).min(STEPS.len() - 1),
                ));
                match detail.await {
                    Ok(d) => view! { <Editor detail=d template=template step=step /> }.into_any(),
                    Err(e) => view! { <EmptyState title="Automation not found" body=e.to_string()><a class=btn::SECONDARY href="/automations">"Back to automations"</a></EmptyState> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(_) => v.to_string(),
    }
}

/// Typed value for what the owner wrote, by the field's kind.
fn value_for(field: &str, raw: &str) -> Value {
    let t = raw.trim();
    match field {
        "hour_of_day" | "minutes_waiting" => {
            t.parse::<f64>().map(Value::Number).unwrap_or_else(|_| Value::Text(raw.to_string()))
        }
        "client.is_new" | "message.is_automated" => match t.to_lowercase().as_str() {
            "yes" | "true" => Value::Bool(true),
            "no" | "false" => Value::Bool(false),
            _ => Value::Text(raw.to_string()),
        },
        _ => Value::Text(raw.to_string()),
    }
}

fn cond_mut(d: &mut Draft, g: Option<usize>, i: usize) -> Option<&mut Condition> {
    match g {
        None => d.conditions.conditions.get_mut(i),
        Some(g) => d.conditions.groups.get_mut(g)?.conditions.get_mut(i),
    }
}

fn cond_get(d: &Draft, g: Option<usize>, i: usize) -> Option<Condition> {
    match g {
        None => d.conditions.conditions.get(i).cloned(),
        Some(g) => d.conditions.groups.get(g)?.conditions.get(i).cloned(),
    }
}

fn new_condition() -> Condition {
    Condition { field: "message.text".into(), operator: Operator::Contains, value: Value::Text(String::new()) }
}

fn describe_conditions(g: &ConditionGroup) -> Vec<String> {
    let mut out: Vec<String> =
        g.conditions.iter().map(|c| format!("{} {} {}", c.field, c.operator.label(), c.value)).collect();
    for sub in &g.groups {
        let inner = describe_conditions(sub);
        if !inner.is_empty() {
            out.push(format!("({})", inner.join(if sub.op == GroupOp::And { " and " } else { " or " })));
        }
    }
    out
}

#[component]
fn Editor(detail: Option<AutomationDetail>, template: Option<String>, step: usize) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let id = detail.as_ref().map(|d| d.id);
    let template_key = template.clone().filter(|_| id.is_none());
    let initial = match (&detail, &template_key) {
        (Some(d), _) => d.draft.clone(),
        (None, Some(k)) => {
            templates().into_iter().find(|(key, _)| key == k).map(|(_, d)| d).unwrap_or_else(Draft::blank)
        }
        (None, None) => Draft::blank(),
    };
    let draft = RwSignal::new(initial.clone());
    let saved = RwSignal::new(detail.as_ref().map(|d| d.draft.clone()));
    let step = RwSignal::new(step);
    // Bumped when rows are added, removed or moved, so typing in a row
    // never re-renders the list under the cursor.
    let shape = RwSignal::new(0u32);
    let bump = move || shape.update(|v| *v += 1);
    let status = RwSignal::new(detail.as_ref().map(|d| d.status));
    let tested = RwSignal::new(detail.as_ref().map(|d| d.tested).unwrap_or(false));
    let flagged = detail.as_ref().and_then(|d| d.flagged.clone());
    let dirty = move || saved.with(|s| s.as_ref() != Some(&draft.get()));

    let save = Action::new(move |d: &Draft| save_automation(id, d.clone(), template_key.clone()));
    let nav = navigate.clone();
    Effect::new(move |_| {
        if let Some(Ok(out)) = save.value().get() {
            saved.set(Some(draft.get_untracked()));
            tested.set(false);
            if out.paused {
                status.set(Some(AutomationStatus::Paused));
                toaster.success("Saved as a new version. It was paused: run a test, then switch it on again.");
            } else {
                toaster.success("Saved. Run a test before switching it on.");
            }
            if id.is_none() {
                nav(&format!("/automations/{}?step=5", out.id), Default::default());
            }
        }
    });

    let step_nav = move || {
        STEPS
            .iter()
            .enumerate()
            .map(|(i, label)| {
                view! {
                    <li>
                        <button type="button" data-testid=format!("builder-step-{i}")
                            aria-current=move || (step.get() == i).then_some("step")
                            class=move || format!(
                                "flex w-full items-center gap-2 rounded-lg px-3 py-2 text-left text-sm {}",
                                if step.get() == i { "bg-emerald-50 font-semibold text-emerald-800" } else { "text-slate-600 hover:bg-slate-50" }
                            )
                            on:click=move |_| step.set(i)>
                            <span class=move || format!(
                                "flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs {}",
                                if step.get() == i { "bg-emerald-600 text-white" } else { "bg-slate-100 text-slate-600" }
                            )>{i + 1}</span>
                            {*label}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };

    let title = if id.is_some() { initial.name.clone() } else { "New automation".to_string() };
    view! {
        <PageHeader title=title subtitle="Build it step by step. It starts as a draft and only runs after a passing test and your go-ahead.">
            {move || status.get().map(|s| view! { <span data-testid="automation-status"><Badge tone=status_tone(s) text=s.label() /></span> })}
        </PageHeader>
        {flagged.map(|f| view! { <p class="mb-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-800" role="status">{f}</p> })}
        <div class="grid gap-6 lg:grid-cols-[13rem_1fr]">
            <nav aria-label="Builder steps">
                <ol class="flex gap-1 overflow-x-auto lg:flex-col">{step_nav()}</ol>
            </nav>
            <div class="min-w-0 space-y-6">
                <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="builder-panel">
                    {move || match step.get() {
                        0 => view! { <BasicsStep draft=draft /> }.into_any(),
                        1 => view! { <TriggerStep draft=draft /> }.into_any(),
                        2 => view! { <ConditionsStep draft=draft shape=shape /> }.into_any(),
                        3 => view! { <ActionsStep draft=draft shape=shape /> }.into_any(),
                        4 => view! { <MessagesStep draft=draft shape=shape /> }.into_any(),
                        _ => view! { <ReviewStep draft=draft /> }.into_any(),
                    }}
                    {move || match save.value().get() {
                        Some(Err(e)) => Some(view! { <p class="mt-4 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="builder-error">{e.to_string()}</p> }),
                        _ => None,
                    }}
                    <div class="mt-6 flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-4">
                        <button type="button" class=btn::GHOST disabled=move || step.get() == 0 on:click=move |_| step.update(|s| *s = s.saturating_sub(1))>"Back"</button>
                        <div class="flex items-center gap-2">
                            {move || dirty().then(|| view! { <span class="text-xs text-slate-500" data-testid="builder-unsaved">"Unsaved changes"</span> })}
                            <button type="button" class=btn::SECONDARY data-testid="builder-save"
                                disabled=move || save.pending().get() || !dirty()
                                on:click=move |_| { save.dispatch(draft.get_untracked()); }>
                                {move || if save.pending().get() { "Saving…" } else if id.is_some() { "Save changes" } else { "Save draft" }}
                            </button>
                            {move || (step.get() + 1 < STEPS.len()).then(|| view! {
                                <button type="button" class=btn::PRIMARY data-testid="builder-next" on:click=move |_| { bump(); step.update(|s| *s += 1) }>"Next"</button>
                            })}
                        </div>
                    </div>
                </section>
                {id.map(|id| view! { <StatusPanel id=id status=status tested=tested dirty=Signal::derive(dirty) /> })}
            </div>
        </div>
    }
}

#[component]
fn BasicsStep(draft: RwSignal<Draft>) -> impl IntoView {
    view! {
        <h2 class="text-base font-semibold text-slate-900">"Basics"</h2>
        <div class="mt-4 grid gap-4 sm:grid-cols-2">
            <label class="block sm:col-span-2">
                <span class=field::LABEL>"Name"</span>
                <input class=field::INPUT data-testid="automation-name" maxlength="80" placeholder="e.g. Thank-you after a visit"
                    prop:value=move || draft.with(|d| d.name.clone())
                    on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"Who it's for"</span>
                <select class=field::INPUT data-testid="automation-lane" prop:value=move || draft.with(|d| d.lane.clone())
                    on:change=move |ev| draft.update(|d| d.lane = event_target_value(&ev))>
                    {LANES.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label class="block sm:col-span-2">
                <span class=field::LABEL>"Description (optional)"</span>
                <textarea class=field::INPUT rows="2" data-testid="automation-description"
                    prop:value=move || draft.with(|d| d.description.clone())
                    on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))></textarea>
            </label>
        </div>
    }
}

#[component]
fn TriggerStep(draft: RwSignal<Draft>) -> impl IntoView {
    view! {
        <h2 class="text-base font-semibold text-slate-900">"When should it run?"</h2>
        <fieldset class="mt-4 space-y-2">
            <legend class="sr-only">"Trigger"</legend>
            {TriggerKind::ALL.into_iter().map(|k| view! {
                <label class="flex cursor-pointer items-center gap-3 rounded-lg border border-slate-200 px-3 py-2 hover:bg-slate-50 has-[:checked]:border-emerald-400 has-[:checked]:bg-emerald-50">
                    <input type="radio" name="trigger" class="h-4 w-4 text-emerald-600" data-testid=format!("trigger-{}", k.as_str())
                        prop:checked=move || draft.with(|d| d.trigger.kind == k)
                        on:change=move |_| draft.update(|d| {
                            let minutes = if k.needs_minutes() { d.trigger.minutes.or(Some(if k == TriggerKind::WindowStarting { 60 } else { 30 })) } else { None };
                            d.trigger = Trigger { kind: k, minutes };
                        }) />
                    <span class="text-sm text-slate-800">{k.label()}</span>
                </label>
            }).collect_view()}
        </fieldset>
        {move || draft.with(|d| d.trigger.kind.needs_minutes()).then(|| view! {
            <label class="mt-4 block max-w-xs">
                <span class=field::LABEL>{move || if draft.with(|d| d.trigger.kind == TriggerKind::WindowStarting) { "Minutes before the window starts" } else { "Minutes without a reply" }}</span>
                <input type="number" min="1" max="10080" class=field::INPUT data-testid="trigger-minutes"
                    prop:value=move || draft.with(|d| d.trigger.minutes.map(|m| m.to_string()).unwrap_or_default())
                    on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| d.trigger.minutes = v.trim().parse().ok()); } />
                <span class=field::HELP>"1 to 10,080 (a week)."</span>
            </label>
        })}
    }
}

#[component]
fn ConditionRow(draft: RwSignal<Draft>, shape: RwSignal<u32>, group: Option<usize>, index: usize) -> impl IntoView {
    let get = move || draft.with(|d| cond_get(d, group, index));
    let testid = match group {
        None => format!("condition-{index}"),
        Some(g) => format!("condition-{g}-{index}"),
    };
    view! {
        <div class="grid gap-2 sm:grid-cols-[1fr_10rem_1fr_auto]" data-testid=testid>
            <select class=field::INPUT aria-label="Field" data-testid="condition-field"
                prop:value=move || get().map(|c| c.field).unwrap_or_default()
                on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(c) = cond_mut(d, group, index) { c.value = value_for(&v, &value_text(&c.value)); c.field = v; }) }>
                {FIELDS.iter().map(|(f, help)| view! { <option value=*f title=*help>{*f}</option> }).collect_view()}
            </select>
            <select class=field::INPUT aria-label="Operator" data-testid="condition-operator"
                prop:value=move || get().map(|c| c.operator.as_str().to_string()).unwrap_or_default()
                on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let (Some(c), Some(op)) = (cond_mut(d, group, index), Operator::parse(&v)) { c.operator = op; }) }>
                {Operator::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
            </select>
            <input class=field::INPUT aria-label="Value" data-testid="condition-value"
                prop:value=move || get().map(|c| value_text(&c.value)).unwrap_or_default()
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(c) = cond_mut(d, group, index) { c.value = value_for(&c.field.clone(), &v); }) } />
            <button type="button" class=btn::GHOST aria-label="Remove condition"
                on:click=move |_| { draft.update(|d| match group {
                    None => { if index < d.conditions.conditions.len() { d.conditions.conditions.remove(index); } }
                    Some(g) => if let Some(gr) = d.conditions.groups.get_mut(g) { if index < gr.conditions.len() { gr.conditions.remove(index); } },
                }); shape.update(|v| *v += 1); }>"Remove"</button>
        </div>
    }
}

fn op_select(draft: RwSignal<Draft>, group: Option<usize>, testid: String) -> impl IntoView {
    view! {
        <select class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm" data-testid=testid
            prop:value=move || draft.with(|d| {
                let op = match group { None => d.conditions.op, Some(g) => d.conditions.groups.get(g).map(|x| x.op).unwrap_or(GroupOp::And) };
                if op == GroupOp::And { "and" } else { "or" }.to_string()
            })
            on:change=move |ev| {
                let op = if event_target_value(&ev) == "or" { GroupOp::Or } else { GroupOp::And };
                draft.update(|d| match group { None => d.conditions.op = op, Some(g) => if let Some(x) = d.conditions.groups.get_mut(g) { x.op = op } });
            }>
            <option value="and">"all of these"</option>
            <option value="or">"any of these"</option>
        </select>
    }
}

#[component]
fn ConditionsStep(draft: RwSignal<Draft>, shape: RwSignal<u32>) -> impl IntoView {
    view! {
        <h2 class="text-base font-semibold text-slate-900">"Only if… (optional)"</h2>
        <p class="mt-1 text-sm text-slate-500">"With no conditions it runs every time the trigger happens. Values are compared without caring about capitals."</p>
        <div class="mt-4 flex items-center gap-2 text-sm text-slate-700">"Run when " {op_select(draft, None, "conditions-op".into())} " match:"</div>
        {move || {
            shape.track();
            let (n, groups) = draft.with_untracked(|d| (d.conditions.conditions.len(), d.conditions.groups.iter().map(|g| g.conditions.len()).collect::<Vec<_>>()));
            view! {
                <div class="mt-3 space-y-2">
                    {(0..n).map(|i| view! { <ConditionRow draft=draft shape=shape group=None index=i /> }).collect_view()}
                </div>
                {groups.into_iter().enumerate().map(|(g, len)| view! {
                    <div class="mt-3 rounded-lg border border-dashed border-slate-300 bg-slate-50 p-3" data-testid=format!("condition-group-{g}")>
                        <div class="mb-2 flex items-center justify-between gap-2 text-sm text-slate-700">
                            <span>"A group where " {op_select(draft, Some(g), format!("group-op-{g}"))} " match:"</span>
                            <button type="button" class=btn::GHOST on:click=move |_| { draft.update(|d| { if g < d.conditions.groups.len() { d.conditions.groups.remove(g); } }); shape.update(|v| *v += 1); }>"Remove group"</button>
                        </div>
                        <div class="space-y-2">
                            {(0..len).map(|i| view! { <ConditionRow draft=draft shape=shape group=Some(g) index=i /> }).collect_view()}
                        </div>
                        <button type="button" class=format!("{} mt-2", btn::SMALL)
                            on:click=move |_| { draft.update(|d| if let Some(x) = d.conditions.groups.get_mut(g) { x.conditions.push(new_condition()) }); shape.update(|v| *v += 1); }>"Add to group"</button>
                    </div>
                }).collect_view()}
            }
        }}
        <div class="mt-3 flex flex-wrap gap-2">
            <button type="button" class=btn::SMALL data-testid="condition-add"
                on:click=move |_| { draft.update(|d| d.conditions.conditions.push(new_condition())); shape.update(|v| *v += 1); }>"Add condition"</button>
            <button type="button" class=btn::SMALL data-testid="condition-group-add"
                on:click=move |_| { draft.update(|d| d.conditions.groups.push(ConditionGroup { op: GroupOp::Or, conditions: vec![new_condition()], groups: vec![] })); shape.update(|v| *v += 1); }>"Add an either/or group"</button>
        </div>
        <details class="mt-4 text-xs text-slate-500">
            <summary class="cursor-pointer">"What each field means"</summary>
            <dl class="mt-2 grid gap-x-4 gap-y-1 sm:grid-cols-[12rem_1fr]">
                {FIELDS.iter().map(|(f, h)| view! { <dt class="font-mono">{*f}</dt><dd>{*h}</dd> }).collect_view()}
            </dl>
        </details>
    }
}

#[component]
fn ActionsStep(draft: RwSignal<Draft>, shape: RwSignal<u32>) -> impl IntoView {
    let swap = move |a: usize, b: usize| {
        draft.update(|d| {
            if a < d.actions.len() && b < d.actions.len() {
                d.actions.swap(a, b)
            }
        });
        shape.update(|v| *v += 1);
    };
    view! {
        <h2 class="text-base font-semibold text-slate-900">"Then do this, in order"</h2>
        <p class="mt-1 text-sm text-slate-500">"Texts to the client leave from the conversation's business number, through the same checks as any other text (quiet hours, opt-outs, anti-poaching). Texts to the sitter or the owner go to their own mobile from the Front Desk number, and wait out quiet hours too. Alerts appear on the Alerts page."</p>
        {move || {
            shape.track();
            let n = draft.with_untracked(|d| d.actions.len());
            if n == 0 {
                return view! { <p class="mt-4 rounded-lg bg-slate-50 px-3 py-4 text-center text-sm text-slate-500">"No actions yet."</p> }.into_any();
            }
            view! {
                <ol class="mt-4 space-y-2">
                    {(0..n).map(|i| view! {
                        <li class="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 p-3" data-testid=format!("action-{i}")>
                            <span class="flex h-6 w-6 items-center justify-center rounded-full bg-slate-100 text-xs font-semibold text-slate-700">{i + 1}</span>
                            <select class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm" aria-label="Action" data-testid="action-kind"
                                prop:value=move || draft.with(|d| d.actions.get(i).map(|a| match (a.kind, a.recipient) {
                                    (ActionKind::CreateAlert, _) => "alert",
                                    (ActionKind::SendSms, Some(Recipient::Sitter)) => "sitter",
                                    (ActionKind::SendSms, Some(Recipient::Owner)) => "owner",
                                    (ActionKind::SendSms, _) => "client",
                                }).unwrap_or("client").to_string())
                                on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(a) = d.actions.get_mut(i) {
                                    let to = match v.as_str() { "sitter" => Some(Recipient::Sitter), "owner" => Some(Recipient::Owner), "alert" => None, _ => Some(Recipient::Client) };
                                    match to {
                                        None => { a.kind = ActionKind::CreateAlert; a.recipient = None; a.severity = Some("warning".into()); }
                                        Some(r) => { a.kind = ActionKind::SendSms; a.recipient = Some(r); a.severity = None; }
                                    }
                                }); shape.update(|v| *v += 1); }>
                                <option value="client">"Text the client"</option>
                                <option value="sitter">"Text the assigned sitter"</option>
                                <option value="owner">"Text the owner"</option>
                                <option value="alert">"Create an alert for the owner"</option>
                            </select>
                            {draft.with_untracked(|d| d.actions.get(i).map(|a| a.kind == ActionKind::CreateAlert).unwrap_or(false)).then(|| view! {
                                <select class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm" aria-label="Severity" data-testid="action-severity"
                                    prop:value=move || draft.with(|d| d.actions.get(i).and_then(|a| a.severity.clone()).unwrap_or_default())
                                    on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(a) = d.actions.get_mut(i) { a.severity = Some(v) }) }>
                                    <option value="critical">"Critical"</option>
                                    <option value="warning">"Warning"</option>
                                    <option value="info">"Info"</option>
                                </select>
                            })}
                            <span class="ml-auto flex gap-1">
                                <button type="button" class=btn::GHOST aria-label="Move up" disabled=i == 0 on:click=move |_| swap(i, i.saturating_sub(1))>"↑"</button>
                                <button type="button" class=btn::GHOST aria-label="Move down" disabled=i + 1 == n on:click=move |_| swap(i, i + 1)>"↓"</button>
                                <button type="button" class=btn::GHOST on:click=move |_| { draft.update(|d| { if i < d.actions.len() { d.actions.remove(i); } }); shape.update(|v| *v += 1); }>"Remove"</button>
                            </span>
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
        <div class="mt-3 flex flex-wrap gap-2">
            <button type="button" class=btn::SMALL data-testid="action-add-sms"
                on:click=move |_| { draft.update(|d| d.actions.push(AutoAction { kind: ActionKind::SendSms, recipient: Some(Recipient::Client), template: String::new(), severity: None })); shape.update(|v| *v += 1); }>"Add a text to the client"</button>
            <button type="button" class=btn::SMALL data-testid="action-add-alert"
                on:click=move |_| { draft.update(|d| d.actions.push(AutoAction { kind: ActionKind::CreateAlert, recipient: None, template: String::new(), severity: Some("warning".into()) })); shape.update(|v| *v += 1); }>"Add an alert"</button>
        </div>
    }
}

#[component]
fn MessagesStep(draft: RwSignal<Draft>, shape: RwSignal<u32>) -> impl IntoView {
    let samples = sample_values();
    view! {
        <h2 class="text-base font-semibold text-slate-900">"Messages"</h2>
        <p class="mt-1 text-sm text-slate-500">"Write each message; click a variable to add it. The preview uses sample values."</p>
        {move || {
            shape.track();
            let n = draft.with_untracked(|d| d.actions.len());
            if n == 0 {
                return view! { <p class="mt-4 rounded-lg bg-slate-50 px-3 py-4 text-center text-sm text-slate-500">"Add an action first (step 4)."</p> }.into_any();
            }
            let samples = samples.clone();
            view! {
                <div class="mt-4 space-y-6">
                    {(0..n).map(|i| {
                        let samples = samples.clone();
                        let kind = draft.with_untracked(|d| d.actions.get(i).map(|a| a.kind));
                        view! {
                            <div data-testid=format!("message-{i}")>
                                <label class="block">
                                    <span class=field::LABEL>{format!("{}. {}", i + 1, if kind == Some(ActionKind::CreateAlert) { "Alert text" } else { "Text to the client" })}</span>
                                    <textarea class=field::INPUT rows="3" data-testid="message-template"
                                        prop:value=move || draft.with(|d| d.actions.get(i).map(|a| a.template.clone()).unwrap_or_default())
                                        on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(a) = d.actions.get_mut(i) { a.template = v }) }></textarea>
                                </label>
                                <div class="mt-2 flex flex-wrap gap-1" aria-label="Variables">
                                    {KNOWN_VARIABLES.iter().map(|(name, _, help)| view! {
                                        <button type="button" title=*help data-testid=format!("var-{name}")
                                            class="rounded-md bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700 hover:bg-emerald-50 hover:text-emerald-800"
                                            on:click=move |_| draft.update(|d| if let Some(a) = d.actions.get_mut(i) {
                                                if !a.template.is_empty() && !a.template.ends_with(' ') { a.template.push(' '); }
                                                a.template.push_str(&format!("{{{{{name}}}}}"));
                                            })>{format!("{{{{{name}}}}}")}</button>
                                    }).collect_view()}
                                </div>
                                {move || {
                                    let r = draft.with(|d| d.actions.get(i).map(|a| render(&a.template, &samples)));
                                    r.map(|r| view! {
                                        <div class="mt-3 rounded-lg bg-slate-50 p-3" data-testid="message-preview">
                                            <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Preview"</p>
                                            <p class="mt-1 whitespace-pre-wrap text-sm text-slate-800" data-testid="message-preview-text">{r.text.clone()}</p>
                                            {(!r.unknown.is_empty()).then(|| view! {
                                                <p class="mt-2 text-sm text-red-700" data-testid="message-unknown">
                                                    {format!("Unknown: {}. It can't be switched on until these are fixed.", r.unknown.iter().map(|u| format!("{{{{{u}}}}}")).collect::<Vec<_>>().join(", "))}
                                                </p>
                                            })}
                                        </div>
                                    })
                                }}
                            </div>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn ReviewStep(draft: RwSignal<Draft>) -> impl IntoView {
    let samples = sample_values();
    view! {
        <h2 class="text-base font-semibold text-slate-900">"Review"</h2>
        {move || {
            let d = draft.get();
            let conditions = describe_conditions(&d.conditions);
            let blockers: Vec<String> = d.save_problems().into_iter().map(|(_, m)| m)
                .chain(problems(&d.trigger, &d.conditions, &d.actions)).collect();
            view! {
                <dl class="mt-4 space-y-3 text-sm">
                    <div><dt class="font-medium text-slate-500">"Name"</dt><dd class="text-slate-900" data-testid="review-name">{if d.name.trim().is_empty() { "(no name yet)".to_string() } else { d.name.clone() }}</dd></div>
                    <div><dt class="font-medium text-slate-500">"When"</dt><dd class="text-slate-900" data-testid="review-trigger">{match (d.trigger.kind.needs_minutes(), d.trigger.minutes) {
                        (true, Some(m)) => format!("{} ({m} min)", d.trigger.kind.label()),
                        _ => d.trigger.kind.label().to_string(),
                    }}</dd></div>
                    <div><dt class="font-medium text-slate-500">"Only if"</dt><dd class="text-slate-900" data-testid="review-conditions">{if conditions.is_empty() { "Always".to_string() } else { conditions.join(if d.conditions.op == GroupOp::And { " and " } else { " or " }) }}</dd></div>
                    <div>
                        <dt class="font-medium text-slate-500">"Then"</dt>
                        <dd>
                            <ol class="mt-1 list-decimal space-y-1 pl-5 text-slate-900" data-testid="review-actions">
                                {d.actions.iter().map(|a| view! {
                                    <li>
                                        {match (a.kind, a.recipient) {
                                            (ActionKind::SendSms, Some(Recipient::Sitter)) => "Text the assigned sitter: ".to_string(),
                                            (ActionKind::SendSms, Some(Recipient::Owner)) => "Text the owner: ".to_string(),
                                            (ActionKind::SendSms, _) => "Text the client: ".to_string(),
                                            (ActionKind::CreateAlert, _) => format!("Raise a {} alert: ", a.severity.clone().unwrap_or_default()),
                                        }}
                                        <span class="text-slate-600">{format!("\u{201c}{}\u{201d}", render(&a.template, &samples).text)}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </dd>
                    </div>
                </dl>
                {if blockers.is_empty() {
                    view! { <p class="mt-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800" data-testid="review-ok">"Complete. Save it, run a test, then switch it on."</p> }.into_any()
                } else {
                    view! {
                        <div class="mt-4 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="review-problems">
                            <p class="font-medium">"Before it can be switched on:"</p>
                            <ul class="mt-1 list-disc pl-5">{blockers.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul>
                            <p class="mt-1 text-xs">"You can still save it as a draft."</p>
                        </div>
                    }.into_any()
                }}
            }
        }}
    }
}

#[component]
fn StatusPanel(
    id: i64,
    status: RwSignal<Option<AutomationStatus>>,
    tested: RwSignal<bool>,
    dirty: Signal<bool>,
) -> impl IntoView {
    let toaster = use_toaster();
    let threads = Resource::new(|| (), |_| sample_threads());
    let chosen = RwSignal::new(String::new());
    let log_version = RwSignal::new(0u32);
    let test = Action::new(move |thread: &i64| test_automation(id, *thread));
    let set = Action::new(move |s: &AutomationStatus| set_automation_status(id, *s));
    let archive_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(r)) = test.value().get() {
            tested.set(r.status == RunStatus::TestPassed);
            log_version.update(|v| *v += 1);
        }
    });
    // Remember where it is going, to show the new status once saved.
    let last_target = RwSignal::new(None::<AutomationStatus>);
    Effect::new(move |_| {
        if let Some(Ok(())) = set.value().get() {
            if let Some(to) = last_target.get_untracked() {
                status.set(Some(to));
                toaster.success(match to {
                    AutomationStatus::Active => "Switched on. Its runs will appear in the log below.",
                    AutomationStatus::Paused => "Paused.",
                    _ => "Archived.",
                });
            }
            archive_open.set(false);
            log_version.update(|v| *v += 1);
        }
    });
    let go = move |to: AutomationStatus| {
        last_target.set(Some(to));
        set.dispatch(to);
    };
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="automation-controls">
            <h2 class="text-base font-semibold text-slate-900">"Test and switch on"</h2>
            <p class="mt-1 text-sm text-slate-500">"A test renders every message and checks every condition against a real conversation. Nothing is sent."</p>
            <div class="mt-4 flex flex-col gap-2 sm:flex-row sm:items-end">
                <label class="block flex-1">
                    <span class=field::LABEL>"Conversation to test against"</span>
                    <Transition fallback=|| view! { <Loading label="Loading conversations" /> }>
                        {move || Suspend::new(async move {
                            match threads.await {
                                Ok(list) if list.is_empty() => view! { <p class="text-sm text-slate-500">"No conversations yet: a test needs one."</p> }.into_any(),
                                Ok(list) => {
                                    if chosen.get_untracked().is_empty() {
                                        if let Some(first) = list.first() { chosen.set(first.id.to_string()); }
                                    }
                                    view! {
                                        <select class=field::INPUT data-testid="test-thread" prop:value=move || chosen.get()
                                            on:change=move |ev| chosen.set(event_target_value(&ev))>
                                            {list.into_iter().map(|t| view! { <option value=t.id.to_string()>{t.label}</option> }).collect_view()}
                                        </select>
                                    }.into_any()
                                }
                                Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                </label>
                <button type="button" class=btn::SECONDARY data-testid="test-run"
                    disabled=move || test.pending().get() || dirty.get() || chosen.get().is_empty()
                    title=move || dirty.get().then_some("Save your changes first")
                    on:click=move |_| { if let Ok(t) = chosen.get_untracked().parse::<i64>() { test.dispatch(t); } }>
                    {move || if test.pending().get() { "Testing…" } else { "Run test" }}
                </button>
            </div>
            {move || dirty.get().then(|| view! { <p class="mt-2 text-xs text-amber-700">"Save your changes first: tests run on the saved version."</p> })}
            {move || test.value().get().map(|r| match r {
                Ok(r) => view! { <div class="mt-4" data-testid="test-result"><ExecutionCard run=r open=true /></div> }.into_any(),
                Err(e) => view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            <div class="mt-5 flex flex-wrap items-center gap-2 border-t border-slate-100 pt-4">
                {move || match status.get() {
                    Some(AutomationStatus::Active) => view! {
                        <button type="button" class=btn::SECONDARY data-testid="automation-pause" on:click=move |_| go(AutomationStatus::Paused)>"Pause"</button>
                    }.into_any(),
                    Some(AutomationStatus::Archived) => view! { <span class="text-sm text-slate-500">"Archived: kept with its history, never deleted."</span> }.into_any(),
                    _ => view! {
                        <button type="button" class=btn::PRIMARY data-testid="automation-activate" disabled=move || set.pending().get() || dirty.get()
                            on:click=move |_| go(AutomationStatus::Active)>"Switch on"</button>
                        <span class="text-xs text-slate-500" data-testid="automation-tested">{move || if tested.get() { "Tested since the last edit." } else { "Needs a passing test since the last edit." }}</span>
                    }.into_any(),
                }}
                {move || (status.get() != Some(AutomationStatus::Archived)).then(|| view! {
                    <button type="button" class=format!("{} ml-auto", btn::GHOST) data-testid="automation-archive" on:click=move |_| archive_open.set(true)>"Archive"</button>
                })}
            </div>
            {move || match set.value().get() {
                Some(Err(e)) => Some(view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="automation-status-error">{e.to_string()}</p> }),
                _ => None,
            }}
        </section>
        <ExecutionLog id=id log_version=log_version />
        <ConfirmDialog
            open=archive_open
            title="Archive this automation?"
            impact=vec!["It stops running and can't be switched on again.".to_string(), "Its run history is kept; you'll find it under Archived.".to_string()]
            confirm_label="Archive"
            destructive=true
            on_confirm=Callback::new(move |_| go(AutomationStatus::Archived))
            pending=set.pending()
        />
    }
}

/// Every run of the automation, tests included, newest first.
#[component]
fn ExecutionLog(id: i64, log_version: RwSignal<u32>) -> impl IntoView {
    let log = Resource::new(move || log_version.get(), move |_| automation_executions(id));
    view! {
        <section class="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="execution-log">
            <div class="flex items-center justify-between border-b border-slate-100 px-5 py-3">
                <h2 class="text-sm font-semibold text-slate-900">"Execution log"</h2>
                <button type="button" class=btn::SMALL data-testid="execution-refresh" on:click=move |_| log_version.update(|v| *v += 1)>"Refresh"</button>
            </div>
            <div class="p-5">
                <Transition fallback=|| view! { <Loading label="Loading runs" /> }>
                    {move || Suspend::new(async move {
                        match log.await {
                            Ok(runs) if runs.is_empty() => view! { <p class="text-sm text-slate-500">"No runs yet. Tests and real runs appear here with every condition and action."</p> }.into_any(),
                            Ok(runs) => view! {
                                <ul class="space-y-3">{runs.into_iter().map(|r| view! { <li data-testid="execution"><ExecutionCard run=r open=false /></li> }).collect_view()}</ul>
                            }.into_any(),
                            Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}

#[component]
fn ExecutionCard(run: ExecutionView, open: bool) -> impl IntoView {
    let label = if run.is_test { format!("Test · {}", run.status.as_str()) } else { run.status.as_str().to_string() };
    view! {
        <details class="rounded-lg border border-slate-200" open=open data-status=run.status.as_str()>
            <summary class="flex cursor-pointer flex-wrap items-center gap-2 px-3 py-2 text-sm">
                <Badge tone=run_tone(run.status) text=label />
                <span class="text-slate-700">{run.trigger.clone()}</span>
                {run.client.clone().map(|c| view! { <span class="text-slate-500">{format!("· {c}")}</span> })}
                <span class="ml-auto text-xs text-slate-500">{format!("{} · version {}", run.at, run.version)}</span>
            </summary>
            <div class="space-y-3 border-t border-slate-100 px-3 py-3 text-sm">
                <div>
                    <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Conditions"</p>
                    {if run.conditions.is_empty() {
                        view! { <p class="text-slate-600">"None: it always runs."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-1 space-y-0.5">
                                {run.conditions.iter().map(|c| view! {
                                    <li class=if c.passed { "text-emerald-800" } else { "text-slate-600" }>
                                        {if c.passed { "✓ " } else { "✗ " }}{c.explanation.clone()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
                {(run.matched == Some(false)).then(|| view! {
                    <p class="rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900" data-testid="test-not-matched">
                        "The conditions don't hold for this conversation, so a real run here would do nothing. The messages below show what it would send where they do."
                    </p>
                })}
                <div>
                    <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Actions"</p>
                    {if run.actions.is_empty() {
                        view! { <p class="text-slate-600">"Nothing done: the conditions didn't match."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="mt-1 space-y-1" data-testid="execution-actions">
                                {run.actions.iter().map(|a| view! {
                                    <li>
                                        <span class="font-medium text-slate-800">{if a.n > 0 { format!("{}. {}", a.n, a.result) } else { format!("↻ {}", a.result) }}</span>
                                        {a.detail.clone().map(|d| view! { <span class="text-slate-600">{format!(": {d}")}</span> })}
                                        {a.problems.iter().map(|p| view! { <p class="text-red-700">{p.clone()}</p> }).collect_view()}
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                </div>
                {run.thread_id.map(|t| view! { <a class="text-xs font-medium text-emerald-700 underline" href=format!("/inbox/{t}")>"Open the conversation"</a> })}
            </div>
        </details>
    }
}

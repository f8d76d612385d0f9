//! Escalation rules (SPEC §3.7, §4.8): "an alert of this severity still
//! open after N minutes → text this phone from the Front Desk number, or
//! notify the owner in the app". The worker checks every half minute; each
//! rule fires once per alert (a unique row in `escalation_events`), and the
//! history lists every firing with its outcome.

use super::page::tone;
#[cfg(feature = "ssr")]
use crate::domain::alerts::EscalationAction;
use crate::domain::alerts::Severity;
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, Loading};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRuleView {
    pub id: i64,
    pub name: String,
    pub severity: Severity,
    pub after_minutes: i64,
    /// "Text +1 (512) 555-0199 from the Front Desk" / "Notify the owner in the app"
    pub does: String,
    pub enabled: bool,
    pub fired: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationEventView {
    pub at: String,
    pub rule: String,
    pub alert: String,
    pub outcome: String,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationForm {
    pub name: String,
    pub severity: String,
    pub after_minutes: String,
    pub action: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalations {
    pub rules: Vec<EscalationRuleView>,
    pub history: Vec<EscalationEventView>,
}

#[server]
pub async fn list_escalations() -> Result<Escalations, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&crate::platform::state()?, &u).await
    })
    .await
}

#[server]
pub async fn save_escalation(form: EscalationForm) -> Result<i64, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::create(&crate::platform::state()?, &u, &u.actor(crate::platform::ctx::request_id()), form).await
    })
    .await
}

#[server]
pub async fn set_escalation_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::set_enabled(&crate::platform::state()?, &u, &u.actor(crate::platform::ctx::request_id()), id, enabled)
            .await
    })
    .await
}

#[cfg(feature = "ssr")]
fn describe(action: EscalationAction, target: &str) -> String {
    match action {
        EscalationAction::Text => {
            let shown =
                crate::domain::phone::E164::from_canonical(target).map(|e| e.display()).unwrap_or(target.to_string());
            format!("Text {shown} from the Front Desk number")
        }
        EscalationAction::Notify => "Notify the owner in the app".to_string(),
    }
}

#[cfg(feature = "ssr")]
pub mod store;

/// Rules and history, shown under the alerts.
#[component]
pub fn EscalationSection() -> impl IntoView {
    let toaster = use_toaster();
    let changed = RwSignal::new(0u32);
    let data = Resource::new(move || changed.get(), |_| list_escalations());
    let form = RwSignal::new(EscalationForm {
        severity: "critical".into(),
        after_minutes: "15".into(),
        action: "text".into(),
        ..Default::default()
    });
    let adding = RwSignal::new(false);
    let save = Action::new(|f: &EscalationForm| save_escalation(f.clone()));
    let toggle = Action::new(|(id, on): &(i64, bool)| set_escalation_enabled(*id, *on));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toaster.success("Escalation rule added");
            adding.set(false);
            form.update(|f| {
                f.name.clear();
                f.target.clear();
            });
            changed.update(|v| *v += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = toggle.value().get() {
            changed.update(|v| *v += 1);
        }
    });
    view! {
        <section class="mt-10" data-testid="escalations">
            <div class="mb-3 flex items-end justify-between gap-3">
                <div>
                    <h2 class="text-base font-semibold text-slate-900">"Escalation rules"</h2>
                    <p class="text-sm text-slate-500">"When an alert stays open too long, make sure someone hears about it."</p>
                </div>
                <button type="button" class=btn::SECONDARY data-testid="escalation-add" on:click=move |_| { save.clear(); adding.update(|a| *a = !*a); }>"Add rule"</button>
            </div>
            <Show when=move || adding.get()>
                <EscalationEditor form=form save=save adding=adding />
            </Show>
            <Transition fallback=|| view! { <Loading label="Loading escalation rules" /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        Ok(d) => view! {
                            {if d.rules.is_empty() {
                                view! { <p class="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-500">"No escalation rules yet. A good first one: a critical alert still open after 15 minutes texts your phone."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm">
                                        {d.rules.into_iter().map(|r| {
                                            let id = r.id;
                                            let on = r.enabled;
                                            view! {
                                                <li class="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:justify-between" data-testid="escalation-rule">
                                                    <div>
                                                        <p class="font-medium text-slate-900">{r.name.clone()}
                                                            {(!on).then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500">"(off)"</span> })}</p>
                                                        <p class="text-sm text-slate-600">
                                                            <Badge tone=tone(r.severity) text=r.severity.label() />
                                                            {format!(" open {} min → {} · fired {} time{}", r.after_minutes, r.does, r.fired, if r.fired == 1 { "" } else { "s" })}
                                                        </p>
                                                    </div>
                                                    <button type="button" class=btn::SMALL data-testid="escalation-toggle" on:click=move |_| { toggle.dispatch((id, !on)); }>
                                                        {if on { "Switch off" } else { "Switch on" }}
                                                    </button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <h3 class="mt-6 text-sm font-semibold text-slate-900">"Escalation history"</h3>
                            {if d.history.is_empty() {
                                view! { <p class="mt-1 text-sm text-slate-500">"Nothing has been escalated yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="mt-2 space-y-1 text-sm" data-testid="escalation-history">
                                        {d.history.into_iter().map(|h| view! {
                                            <li class="text-slate-700" data-testid="escalation-event">
                                                <span class="text-slate-500">{h.at}</span>" · "{h.rule}" · "{h.alert}" → "
                                                <span class="font-medium">{h.outcome}</span>
                                                {h.detail.map(|d| format!(" ({d})"))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The form for a new escalation rule.
#[component]
fn EscalationEditor(
    form: RwSignal<EscalationForm>,
    save: Action<EscalationForm, Result<i64, AppError>>,
    adding: RwSignal<bool>,
) -> impl IntoView {
    let error = move |name: &'static str| field::error_of(save, name);
    view! {
        <form class="mb-4 grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2" data-testid="escalation-form"
            on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
            <label class="block sm:col-span-2">
                <span class=field::LABEL>"Name"</span>
                <input class=field::INPUT data-testid="escalation-name" placeholder="e.g. Wake the owner" prop:value=move || form.get().name
                    on:input=move |ev| form.update(|f| f.name = event_target_value(&ev)) />
                {move || error("name").map(|e| view! { <span class="mt-1 block text-xs text-red-700">{e}</span> })}
            </label>
            <label class="block">
                <span class=field::LABEL>"When a … alert"</span>
                <select class=field::INPUT data-testid="escalation-severity" prop:value=move || form.get().severity
                    on:change=move |ev| form.update(|f| f.severity = event_target_value(&ev))>
                    <option value="critical">"Critical"</option>
                    <option value="warning">"Warning"</option>
                    <option value="info">"Info"</option>
                </select>
            </label>
            <label class="block">
                <span class=field::LABEL>"is still open after (minutes)"</span>
                <input type="number" min="1" max="1440" class=field::INPUT data-testid="escalation-minutes" prop:value=move || form.get().after_minutes
                    on:input=move |ev| form.update(|f| f.after_minutes = event_target_value(&ev)) />
                {move || error("after_minutes").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="escalation-minutes-error">{e}</span> })}
            </label>
            <label class="block">
                <span class=field::LABEL>"then"</span>
                <select class=field::INPUT data-testid="escalation-action" prop:value=move || form.get().action
                    on:change=move |ev| form.update(|f| f.action = event_target_value(&ev))>
                    <option value="text">"Text a phone from the Front Desk number"</option>
                    <option value="notify">"Notify the owner in the app"</option>
                </select>
            </label>
            <Show when=move || form.get().action == "text">
                <label class="block">
                    <span class=field::LABEL>"Phone to text"</span>
                    <input class=field::INPUT type="tel" data-testid="escalation-target" placeholder="+1 512 555 0199" prop:value=move || form.get().target
                        on:input=move |ev| form.update(|f| f.target = event_target_value(&ev)) />
                    {move || error("target").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="escalation-target-error">{e}</span> })}
                </label>
            </Show>
            <div class="flex justify-end gap-2 sm:col-span-2">
                <button type="button" class=btn::GHOST on:click=move |_| adding.set(false)>"Cancel"</button>
                <button type="submit" class=btn::PRIMARY data-testid="escalation-save" disabled=move || save.pending().get()>"Add rule"</button>
            </div>
        </form>
    }
}

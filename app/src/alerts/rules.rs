//! Alert rules (SPEC §3.7): the owner switches them on or off, sets their
//! severity and tunes their thresholds. Event rules are consulted when they
//! fire (`service::raise`); scheduled rules (a client waiting, the delivery
//! failure rate, a window conflict, a cooldown ending) are checked by the
//! worker every half minute, raise once per cause, and a "client waiting"
//! alert closes itself once somebody answers.

use crate::domain::alerts::{RuleForm, Severity, Threshold};
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, Loading, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub key: String,
    pub label: String,
    pub explains: String,
    pub severity: Severity,
    pub enabled: bool,
    pub locked: bool,
    pub threshold: Threshold,
    /// The main threshold as the owner typed it ("" = the default).
    pub value: String,
    pub min_sent: String,
    /// "After 15 min (the response-time target in Settings)".
    pub summary: String,
    /// "Changed by Olivia Grant, 2 hours ago".
    pub changed: Option<String>,
}

#[server]
pub async fn list_alert_rules() -> Result<Vec<AlertRuleView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&crate::platform::state()?, &u).await
    })
    .await
}

#[server(input = server_fn::codec::Json)]
pub async fn save_alert_rule(form: RuleForm) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::save(&crate::platform::state()?, &u, &u.actor(crate::platform::ctx::request_id()), &form).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store;

fn tone(s: Severity) -> Tone {
    match s {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Info,
    }
}

/// What the main threshold field is called, per kind.
fn value_label(t: Threshold) -> Option<(&'static str, &'static str)> {
    match t {
        Threshold::WaitMinutes => Some(("Minutes without a reply", "blank = the response-time target")),
        Threshold::CooldownDays => Some(("Days before the cooldown ends", "1–30")),
        Threshold::FailureRate => Some(("Failed share of texts (%)", "1–100")),
        Threshold::None | Threshold::Health => None,
    }
}

/// The rules and their thresholds, under the alerts.
#[component]
pub fn AlertRulesSection() -> impl IntoView {
    let toaster = use_toaster();
    let changed = RwSignal::new(0u32);
    let data = Resource::new(move || changed.get(), |_| list_alert_rules());
    let editing = RwSignal::new(None::<String>);
    let form = RwSignal::new(RuleForm::default());
    let save = Action::new(|f: &RuleForm| save_alert_rule(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            toaster.success("Alert rule saved");
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    view! {
        <section class="mt-10" data-testid="alert-rules">
            <div class="mb-3">
                <h2 class="text-base font-semibold text-slate-900">"Alert rules"</h2>
                <p class="text-sm text-slate-500">"What raises an alert, how loud it is, and when. Checked as things happen and every half minute."</p>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading alert rules" /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        Ok(rules) => view! {
                            <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm">
                                {rules.into_iter().map(|r| {
                                    let key = r.key.clone();
                                    let open_key = r.key.clone();
                                    let is_open = move || editing.get().as_deref() == Some(key.as_str());
                                    let start = {
                                        let r = r.clone();
                                        move |_| {
                                            save.clear();
                                            form.set(RuleForm {
                                                rule: r.key.clone(),
                                                enabled: r.enabled,
                                                severity: r.severity.as_str().to_string(),
                                                value: r.value.clone(),
                                                min_sent: r.min_sent.clone(),
                                            });
                                            editing.set(Some(open_key.clone()));
                                        }
                                    };
                                    let threshold = r.threshold;
                                    let locked = r.locked;
                                    view! {
                                        <li class="px-4 py-3" data-testid="alert-rule" data-rule=r.key.clone()>
                                            <div class="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
                                                <div class="min-w-0">
                                                    <p class="font-medium text-slate-900">
                                                        {r.label.clone()}" "
                                                        <Badge tone=tone(r.severity) text=r.severity.label() />
                                                        {(!r.enabled).then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500" data-testid="alert-rule-off">"(off)"</span> })}
                                                        {r.locked.then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500">"Always on"</span> })}
                                                    </p>
                                                    <p class="text-sm text-slate-600">{r.explains.clone()}</p>
                                                    <p class="text-sm text-slate-800" data-testid="alert-rule-summary">{r.summary.clone()}</p>
                                                    {r.changed.clone().map(|c| view! { <p class="text-xs text-slate-500">{c}</p> })}
                                                </div>
                                                {(!locked).then(|| view! {
                                                    <button type="button" class=btn::SMALL data-testid="alert-rule-edit" on:click=start>"Edit"</button>
                                                })}
                                            </div>
                                            <Show when=is_open.clone()>
                                                <RuleEditor threshold=threshold locked=locked form=form save=save editing=editing />
                                            </Show>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The form under a rule while it is being changed.
#[component]
fn RuleEditor(
    threshold: Threshold,
    locked: bool,
    form: RwSignal<RuleForm>,
    save: Action<RuleForm, Result<(), AppError>>,
    editing: RwSignal<Option<String>>,
) -> impl IntoView {
    let error = move |name: &'static str| field::error_of(save, name);
    view! {
        <form class="mt-3 grid gap-3 rounded-lg border border-slate-200 bg-slate-50 p-3 sm:grid-cols-2" data-testid="alert-rule-form"
            on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
            <label class="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" data-testid="alert-rule-enabled" disabled=locked
                    prop:checked=move || form.get().enabled
                    on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev)) />
                "Raise this alert"
            </label>
            <label class="block">
                <span class=field::LABEL>"Severity"</span>
                <select class=field::INPUT data-testid="alert-rule-severity" disabled=locked prop:value=move || form.get().severity
                    on:change=move |ev| form.update(|f| f.severity = event_target_value(&ev))>
                    <option value="critical">"Critical"</option>
                    <option value="warning">"Warning"</option>
                    <option value="info">"Info"</option>
                </select>
            </label>
            {value_label(threshold).map(|(label, hint)| view! {
                <label class="block">
                    <span class=field::LABEL>{label}</span>
                    <input class=field::INPUT inputmode="numeric" data-testid="alert-rule-value" placeholder=hint
                        prop:value=move || form.get().value
                        on:input=move |ev| form.update(|f| f.value = event_target_value(&ev)) />
                    <span class="mt-1 block text-xs text-slate-500">{hint}</span>
                    {move || error("value").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="alert-rule-value-error">{e}</span> })}
                </label>
            })}
            {(threshold == Threshold::FailureRate).then(|| view! {
                <label class="block">
                    <span class=field::LABEL>"Only once at least this many texts were sent"</span>
                    <input class=field::INPUT inputmode="numeric" data-testid="alert-rule-min-sent"
                        prop:value=move || form.get().min_sent
                        on:input=move |ev| form.update(|f| f.min_sent = event_target_value(&ev)) />
                    {move || error("min_sent").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="alert-rule-min-sent-error">{e}</span> })}
                </label>
            })}
            {(threshold == Threshold::Health).then(|| view! {
                <p class="text-sm text-slate-600 sm:col-span-2">"The red threshold is a number health setting: "
                    <a class="font-medium text-indigo-700 hover:underline" href="/settings">"change it in Settings"</a>"."</p>
            })}
            {move || error("enabled").map(|e| view! { <p class="text-sm text-red-700 sm:col-span-2">{e}</p> })}
            <div class="flex justify-end gap-2 sm:col-span-2">
                <button type="button" class=btn::GHOST on:click=move |_| editing.set(None)>"Cancel"</button>
                <button type="submit" class=btn::PRIMARY data-testid="alert-rule-save" disabled=move || save.pending().get()>"Save rule"</button>
            </div>
        </form>
    }
}

//! Messaging rules in Settings (SPEC §4.10, §3.5, §3.6): the business's
//! time zone, quiet hours for automatic texts, the anti-poaching action per
//! rule for sitters (phone numbers and emails can't be log-only: the domain
//! refuses it), owners' "send anyway" warnings, the numbers anyone may
//! share (the allow-list), the response-time target
//! and the low-balance warning. Saved in one transaction with its audit.

use super::RulesForm;
use crate::domain::policy::{HitKind, PolicyAction};
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Card};
use leptos::prelude::*;

#[server]
pub async fn load_rules_settings() -> Result<RulesForm, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        super::service::load_rules(&u).await
    })
    .await
}

/// Saves the form; returns what changed, one line each.
#[server]
pub async fn save_rules_settings(form: RulesForm) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        super::service::save_rules(&u, &form).await
    })
    .await
}

#[component]
pub fn RulesSettings() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| load_rules_settings());
    view! {
        <Card title="Messaging rules" class="mb-6">
            <Transition fallback=|| view! { <crate::ui::Loading label="Loading messaging rules" /> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(f) => view! { <RulesFormView initial=f /> }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn RulesFormView(initial: RulesForm) -> impl IntoView {
    let mut zones: Vec<&str> = crate::domain::time::OFFERED_ZONES.iter().map(|(z, _)| *z).collect();
    let current_zone = initial.time_zone.clone();
    let form = RwSignal::new(initial);
    let save = Action::new(|f: &RulesForm| save_rules_settings(f.clone()));
    let toaster = use_toaster();
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            if changes.is_empty() {
                toaster.success("Nothing to save: the rules are unchanged.");
            } else {
                toaster.success(format!("Saved. {}", changes.join("; ")));
            }
        }
    });
    let err_for = move |name: String| move || field::error_of(save, &name);
    let zone_options = {
        let mut z: Vec<String> = zones.drain(..).map(str::to_string).collect();
        if !z.contains(&current_zone) {
            z.insert(0, current_zone);
        }
        z
    };
    view! {
        <form class="space-y-5" data-testid="rules-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
            <fieldset>
                <legend class="mb-2 text-sm font-semibold text-slate-900">"Time"</legend>
                <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                    <label class="block">
                        <span class=field::LABEL>"Time zone"</span>
                        <select class=field::INPUT data-testid="rules-time-zone" prop:value=move || form.get().time_zone
                            on:change=move |ev| form.update(|f| f.time_zone = event_target_value(&ev))>
                            {zone_options.into_iter().map(|z| view! { <option value=z.clone()>{z.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex items-end gap-2 pb-2 text-sm text-slate-700">
                        <input type="checkbox" class="h-4 w-4" data-testid="rules-quiet-enabled" prop:checked=move || form.get().quiet_enabled
                            on:change=move |ev| form.update(|f| f.quiet_enabled = event_target_checked(&ev)) />
                        <span>"Quiet hours for automatic texts"</span>
                    </label>
                    <label class="block">
                        <span class=field::LABEL>"Quiet from"</span>
                        <input type="time" class=field::INPUT data-testid="rules-quiet-start" prop:value=move || form.get().quiet_start
                            on:input=move |ev| form.update(|f| f.quiet_start = event_target_value(&ev)) />
                        {move || err_for("quiet_start".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                    </label>
                    <label class="block">
                        <span class=field::LABEL>"Until"</span>
                        <input type="time" class=field::INPUT data-testid="rules-quiet-end" prop:value=move || form.get().quiet_end
                            on:input=move |ev| form.update(|f| f.quiet_end = event_target_value(&ev)) />
                        {move || err_for("quiet_end".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
                    </label>
                </div>
                <p class=field::HELP>"Automatic texts that fall in quiet hours wait until they end. People's own replies are never held."</p>
            </fieldset>
            <fieldset>
                <legend class="mb-2 text-sm font-semibold text-slate-900">"When a sitter's text shares contact details"</legend>
                <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
                    {HitKind::ALL.into_iter().map(|k| {
                        let key = k.as_str().to_string();
                        let key2 = key.clone();
                        let name = format!("policy_{key}");
                        view! {
                            <label class="block">
                                <span class=field::LABEL>{k.title()}</span>
                                <select class=field::INPUT data-testid=format!("rules-policy-{key}")
                                    prop:value=move || form.get().sitter_actions.iter().find(|(x, _)| *x == key).map(|(_, a)| a.clone()).unwrap_or_default()
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        form.update(|f| {
                                            match f.sitter_actions.iter_mut().find(|(x, _)| *x == key2) {
                                                Some(p) => p.1 = v,
                                                None => f.sitter_actions.push((key2.clone(), v)),
                                            }
                                        })
                                    }>
                                    {[PolicyAction::Block, PolicyAction::Hold, PolicyAction::Log].into_iter().map(|a| view! {
                                        <option value=a.as_str()>{a.label()}</option>
                                    }).collect_view()}
                                </select>
                                {move || err_for(name.clone())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <p class=field::HELP>"Block stops the text; Hold keeps it for you to approve; Log only sends it and records it. Phone numbers and emails are always blocked or held for sitters."</p>
                <label class="mt-3 flex items-start gap-2 text-sm text-slate-700">
                    <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="rules-owner-warnings" prop:checked=move || form.get().owner_warnings
                        on:change=move |ev| form.update(|f| f.owner_warnings = event_target_checked(&ev)) />
                    <span>"Warn owners and dispatchers too (they can still send anyway; that is recorded)."</span>
                </label>
                <label class="mt-3 block">
                    <span class=field::LABEL>"Numbers anyone may share"</span>
                    <textarea class=field::INPUT rows="3" data-testid="rules-allowlist" placeholder="Riverside Vet: 512 555 0100"
                        prop:value=move || form.get().allowlist
                        on:input=move |ev| form.update(|f| f.allowlist = event_target_value(&ev))></textarea>
                    <span class=format!("block {}", field::HELP)>"One per line, with a label if you like (\u{201c}Riverside Vet: 512 555 0100\u{201d}). These are never flagged; your business numbers never are either."</span>
                    {move || err_for("allowlist".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
                </label>
            </fieldset>
            <HelpReply form=form save=save />
            <TargetFields form=form save=save />
            {move || match save.value().get() {
                Some(Err(e)) if e.field_name().is_none_or(|f| f == "time_zone" || f == "policy" || f == "low_balance_cents") => {
                    Some(view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> })
                }
                _ => None,
            }}
            <button type="submit" class=btn::PRIMARY data-testid="rules-save" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save messaging rules" }}
            </button>
        </form>
    }
}

/// The response-time target, the low-balance warning and the automation
/// rate.
#[component]
fn TargetFields(form: RwSignal<RulesForm>, save: Action<RulesForm, Result<Vec<String>, AppError>>) -> impl IntoView {
    let err_for = move |name: String| move || field::error_of(save, &name);
    view! {
    <fieldset>
        <legend class="mb-2 text-sm font-semibold text-slate-900">"Targets and warnings"</legend>
        <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <label class="block">
                <span class=field::LABEL>"Reply within (minutes)"</span>
                <input class=field::INPUT inputmode="numeric" data-testid="rules-response-target" prop:value=move || form.get().response_target_minutes
                    on:input=move |ev| form.update(|f| f.response_target_minutes = event_target_value(&ev)) />
                <span class=format!("block {}", field::HELP)>"The response-time target in reports; 1 to 1,440."</span>
                {move || err_for("response_target_minutes".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
            </label>
            <label class="block">
                <span class=field::LABEL>"Warn when the provider balance is below ($)"</span>
                <input class=field::INPUT inputmode="decimal" data-testid="rules-low-balance" prop:value=move || form.get().low_balance
                    on:input=move |ev| form.update(|f| f.low_balance = event_target_value(&ev)) />
                {move || err_for("low_balance".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
            </label>
            <label class="block">
                <span class=field::LABEL>"Automated texts per conversation, per hour"</span>
                <input class=field::INPUT inputmode="numeric" data-testid="rules-automation-rate" prop:value=move || form.get().automation_rate_per_thread_hour
                    on:input=move |ev| form.update(|f| f.automation_rate_per_thread_hour = event_target_value(&ev)) />
                <span class=format!("block {}", field::HELP)>"Past this, automations skip the conversation until the hour is up, so they can't answer each other; 1 to 60."</span>
                {move || err_for("automation_rate_per_thread_hour".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
            </label>
        </div>
    </fieldset>
    }
}

/// The reply to HELP: carriers ask that it names the business and says how to stop.
#[component]
fn HelpReply(form: RwSignal<RulesForm>, save: Action<RulesForm, Result<Vec<String>, AppError>>) -> impl IntoView {
    let err_for = move |name: String| move || field::error_of(save, &name);
    view! {
        <fieldset>
            <legend class="mb-2 text-sm font-semibold text-slate-900">"Automatic replies"</legend>
            <label class="block">
                <span class=field::LABEL>"Reply to HELP"</span>
                <textarea class=field::INPUT rows="2" maxlength="400" data-testid="rules-help"
                    prop:value=move || form.get().help_text
                    on:input=move |ev| form.update(|f| f.help_text = event_target_value(&ev))></textarea>
                <span class=format!("block {}", field::HELP)>"What a client gets when they text HELP: your business name, how to reach you, and \u{201c}Reply STOP to opt out\u{201d} (carriers require it). Empty it to go back to the default."</span>
                {move || err_for("help_text".into())().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="rules-error">{e}</span> })}
            </label>
        </fieldset>
    }
}

//! The dashboard screen.

use super::*;
use crate::ui::{Card, Loading, PageHeader, StatCard};

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let live = crate::live::use_live();
    let data = Resource::new(move || live.version.get(), |_| dashboard_today());
    view! {
        <leptos_meta::Title text="Dashboard · Leashline" />
        <PageHeader title="Dashboard" subtitle="Today at a glance." />
        <Transition fallback=|| view! { <Loading label="Loading today" /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(t) => {
                        let (critical, warning, info) = t.alerts;
                        let bad = |n: i64| if n > 0 { "text-red-600" } else { "text-slate-900" };
                        let unread_tone = if t.unread_threads > 0 { "text-emerald-700" } else { "text-slate-900" };
                        let (violation_tone, failure_tone) = (bad(t.open_violations), bad(t.failed_deliveries));
                        let alert_tone = if critical > 0 { "text-red-600" } else if warning > 0 { "text-amber-600" } else { "text-slate-900" };
                        view! {
                            <div data-testid="dashboard">
                                {(!t.ready).then(|| view! {
                                    <div class="mb-4 flex flex-col gap-2 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 sm:flex-row sm:items-center sm:justify-between" data-testid="readiness-banner" role="status">
                                        <span><b>"Texting is off until setup is finished. "</b>"Clients' texts are still received; replies wait for you."</span>
                                        <a class="font-semibold underline" href="/setup">"Finish setup"</a>
                                    </div>
                                })}
                                {t.demo.then(|| view! {
                                    <p class="mb-4 rounded-lg bg-sky-50 px-4 py-2 text-sm text-sky-900" data-testid="demo-banner">"Demo mode: numbers and texts are simulated; nothing reaches a real phone."</p>
                                })}
                                <div class="grid grid-cols-2 gap-3 lg:grid-cols-5">
                                    <StatCard label="Unread conversations" value=t.unread_threads.to_string() href="/inbox?filter=unread" tone=unread_tone />
                                    <StatCard label="Windows active now" value=t.active_now.len().to_string() href="/assignments" />
                                    <StatCard label="Open violations" value=t.open_violations.to_string() href="/audit/violations" tone=violation_tone />
                                    <StatCard label="Failed deliveries" value=t.failed_deliveries.to_string() href="/audit/failures" tone=failure_tone />
                                    <StatCard label="Open alerts" value=(critical + warning + info).to_string() href="/alerts" tone=alert_tone />
                                </div>
                                <p class="mt-2 text-xs text-slate-500">{format!("Alerts: {} critical, {} warning, {} info.", critical, warning, info)}</p>
                                <div class="mt-6 grid gap-6 lg:grid-cols-2">
                                    <Card title="Windows">
                                        <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Now"</h3>
                                        {if t.active_now.is_empty() {
                                            view! { <p class="mt-1 text-sm text-slate-500">"No one is on a visit right now: texts go to your inbox."</p> }.into_any()
                                        } else {
                                            view! { <ul class="mt-1 space-y-1 text-sm" data-testid="active-now">
                                                {t.active_now.into_iter().map(|w| view! { <li><b>{w.sitter}</b>{format!(" with {} ", w.client)}<span class="text-slate-500">{w.when}</span></li> }).collect_view()}
                                            </ul> }.into_any()
                                        }}
                                        <h3 class="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Next"</h3>
                                        {if t.next_up.is_empty() {
                                            view! { <p class="mt-1 text-sm text-slate-500">"Nothing booked yet. "<a class="font-medium text-emerald-700 underline" href="/assignments">"Assign a sitter"</a></p> }.into_any()
                                        } else {
                                            view! { <ul class="mt-1 space-y-1 text-sm" data-testid="next-up">
                                                {t.next_up.into_iter().map(|w| view! { <li><b>{w.sitter}</b>{format!(" with {} ", w.client)}<span class="text-slate-500">{w.when}</span></li> }).collect_view()}
                                            </ul> }.into_any()
                                        }}
                                    </Card>
                                    <Card title="Recent activity">
                                        {if t.recent.is_empty() {
                                            view! { <p class="text-sm text-slate-500">"Nothing has happened yet."</p> }.into_any()
                                        } else {
                                            view! { <ul class="space-y-2 text-sm" data-testid="recent-activity">
                                                {t.recent.into_iter().map(|a| view! {
                                                    <li class="flex gap-3"><span class="w-20 shrink-0 text-xs text-slate-500">{a.when}</span><span class="min-w-0"><b>{a.actor}</b>{format!(": {}", a.summary)}</span></li>
                                                }).collect_view()}
                                            </ul> }.into_any()
                                        }}
                                        <a class="mt-3 inline-block text-sm font-medium text-emerald-700 underline" href="/audit">"Full audit trail"</a>
                                    </Card>
                                </div>
                                <p class="sr-only">{plural(t.unread_threads, "unread conversation", "unread conversations")}</p>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

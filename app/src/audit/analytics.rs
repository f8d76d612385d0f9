//! Analytics (SPEC §4.9): response time by sitter, by conversation and per
//! day with the share within the target; message volume per day by number
//! class; peak hours. Charts are SVG drawn by our own code (no chart
//! library or CDN), each with its numbers in a table beside it; a date
//! range and sitter filter; CSV export of the same figures.

use crate::domain::analytics::duration_label;
use crate::error::AppError;
use crate::ui::{btn, field, EmptyState, Loading, PageHeader};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsFilter {
    /// YYYY-MM-DD, business time; empty = 14 days ago.
    #[serde(default)]
    pub from: String,
    /// YYYY-MM-DD inclusive; empty = today.
    #[serde(default)]
    pub to: String,
    /// Response times of one sitter only.
    #[serde(default)]
    pub sitter: Option<i64>,
}

impl AnalyticsFilter {
    pub fn query_string(&self) -> String {
        let mut q = vec![format!("from={}", self.from), format!("to={}", self.to)];
        if let Some(s) = self.sitter {
            q.push(format!("sitter={s}"));
        }
        q.join("&")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRow {
    pub label: String,
    pub link: Option<String>,
    pub responses: i64,
    pub median_seconds: Option<i64>,
    pub within_pct: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    /// YYYY-MM-DD
    pub date: String,
    /// "Nov 24"
    pub label: String,
    pub responses: i64,
    pub median_seconds: Option<i64>,
    pub front_desk: i64,
    pub sitter: i64,
    pub pool: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    pub from: String,
    pub to: String,
    pub target_minutes: i64,
    pub overall: ResponseRow,
    pub by_sitter: Vec<ResponseRow>,
    pub by_thread: Vec<ResponseRow>,
    pub days: Vec<DayRow>,
    /// Client texts per hour of the day (0–23), business time.
    pub peak: Vec<i64>,
    pub sitters: Vec<(i64, String)>,
}

#[server]
pub async fn load_analytics(filter: AnalyticsFilter) -> Result<Analytics, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let mut c = st.db.read.acquire().await?;
        store::compute(&mut c, u.org_id, &filter, crate::platform::now()).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store;

fn minutes(v: Option<i64>) -> String {
    v.map(duration_label).unwrap_or_else(|| "—".into())
}

/// A bar chart: one bar per value, labels under some bars.
#[component]
fn Bars(
    title: String,
    values: Vec<(String, f64)>,
    /// Label every n-th bar.
    every: usize,
    #[prop(into)] unit: String,
    testid: &'static str,
) -> impl IntoView {
    let max = values.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max).max(1.0);
    let n = values.len().max(1) as f64;
    let (w, h, pad) = (600.0_f64, 180.0_f64, 24.0_f64);
    let bw = (w - pad) / n;
    let label = title.clone();
    view! {
        <svg viewBox=format!("0 0 {w} {}", h + pad) class="h-auto w-full" role="img" aria-label=label data-testid=testid>
            <title>{title}</title>
            <line x1=pad y1=h x2=w y2=h stroke="#cbd5e1" stroke-width="1" />
            <text x="0" y="10" font-size="10" fill="#64748b">{format!("{} {unit}", max.round())}</text>
            {values.iter().enumerate().map(|(i, (label, v))| {
                let bh = (v / max) * (h - 16.0);
                let x = pad + i as f64 * bw;
                view! {
                    <g>
                        <rect x=x + bw * 0.15 y=h - bh width=(bw * 0.7).max(1.0) height=bh rx="2" fill="#10b981">
                            <title>{format!("{label}: {v}")}</title>
                        </rect>
                        {(i % every.max(1) == 0).then(|| view! {
                            <text x=x + bw / 2.0 y=h + 14.0 font-size="10" text-anchor="middle" fill="#64748b">{label.clone()}</text>
                        })}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// Stacked bars: message volume per day by number class.
#[component]
fn Stacked(days: Vec<DayRow>) -> impl IntoView {
    let max = days.iter().map(|d| d.front_desk + d.sitter + d.pool).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(1) as f64;
    let (w, h, pad) = (600.0_f64, 180.0_f64, 24.0_f64);
    let bw = (w - pad) / n;
    let every = (days.len() / 7).max(1);
    let colours = [("Front Desk", "#0ea5e9"), ("Sitter numbers", "#10b981"), ("Pool", "#a78bfa")];
    view! {
        <svg viewBox=format!("0 0 {w} {}", h + pad + 16.0) class="h-auto w-full" role="img" aria-label="Messages per day by number type" data-testid="chart-volume">
            <title>"Messages per day by number type"</title>
            <line x1=pad y1=h x2=w y2=h stroke="#cbd5e1" stroke-width="1" />
            <text x="0" y="10" font-size="10" fill="#64748b">{format!("{}", max as i64)}</text>
            {days.iter().enumerate().map(|(i, d)| {
                let x = pad + i as f64 * bw;
                let mut y = h;
                let parts = [(d.front_desk, colours[0].1), (d.sitter, colours[1].1), (d.pool, colours[2].1)];
                view! {
                    <g>
                        {parts.into_iter().map(|(v, colour)| {
                            let bh = v as f64 / max * (h - 16.0);
                            y -= bh;
                            view! { <rect x=x + bw * 0.15 y=y width=(bw * 0.7).max(1.0) height=bh fill=colour /> }
                        }).collect_view()}
                        {(i % every == 0).then(|| view! { <text x=x + bw / 2.0 y=h + 14.0 font-size="10" text-anchor="middle" fill="#64748b">{d.label.clone()}</text> })}
                    </g>
                }
            }).collect_view()}
            {colours.into_iter().enumerate().map(|(i, (label, colour))| view! {
                <g>
                    <rect x=pad + i as f64 * 130.0 y=h + pad + 4.0 width="10" height="10" fill=colour />
                    <text x=pad + i as f64 * 130.0 + 14.0 y=h + pad + 13.0 font-size="10" fill="#475569">{label}</text>
                </g>
            }).collect_view()}
        </svg>
    }
}

const TH: &str = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500";
const TD: &str = "px-3 py-2 text-slate-700";
const TDN: &str = "px-3 py-2 text-right tabular-nums text-slate-700";

fn response_table(rows: Vec<ResponseRow>, first: &'static str, testid: &'static str) -> impl IntoView {
    view! {
        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid=testid>
            <thead><tr>
                <th class=TH scope="col">{first}</th>
                <th class=format!("{TH} text-right") scope="col">"Replies"</th>
                <th class=format!("{TH} text-right") scope="col">"Median"</th>
                <th class=format!("{TH} text-right") scope="col">"Within target"</th>
            </tr></thead>
            <tbody class="divide-y divide-slate-100">
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td class=TD>{match r.link.clone() { Some(l) => view! { <a class="text-emerald-700 hover:underline" href=l>{r.label.clone()}</a> }.into_any(), None => r.label.clone().into_any() }}</td>
                        <td class=TDN>{r.responses}</td>
                        <td class=TDN>{minutes(r.median_seconds)}</td>
                        <td class=TDN>{r.within_pct.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Panel(title: String, #[prop(optional, into)] note: Option<String>, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-xl border border-slate-200 bg-white shadow-sm">
            <div class="border-b border-slate-100 px-5 py-3">
                <h2 class="text-sm font-semibold text-slate-900">{title}</h2>
                {note.map(|n| view! { <p class="text-xs text-slate-500">{n}</p> })}
            </div>
            <div class="p-5">{children()}</div>
        </section>
    }
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let draft = RwSignal::new(AnalyticsFilter::default());
    let applied = RwSignal::new(AnalyticsFilter::default());
    let data = Resource::new(move || applied.get(), load_analytics);
    // The sitter choices arrive with the figures.
    let sitters = RwSignal::new(Vec::<(i64, String)>::new());
    Effect::new(move |_| {
        if let Some(Ok(a)) = data.get() {
            // Show the dates the figures cover when none were typed.
            draft.update(|f| {
                if f.from.is_empty() && f.to.is_empty() {
                    f.from = a.from.clone();
                    f.to = a.to.clone();
                }
            });
            sitters.set(a.sitters);
        }
    });
    view! {
        <leptos_meta::Title text="Analytics · Leashline" />
        <PageHeader title="Audit & compliance" subtitle="How fast clients get answers, how much texting there is, and when it peaks." />
        <super::AuditTabs current="analytics" />
        <form class="mb-5 flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
            on:submit=move |ev| { ev.prevent_default(); applied.set(draft.get_untracked()); }>
            <label class="block">
                <span class=field::LABEL>"From"</span>
                <input type="date" class=field::INPUT data-testid="analytics-from" prop:value=move || draft.get().from
                    on:input=move |ev| draft.update(|f| f.from = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"To"</span>
                <input type="date" class=field::INPUT data-testid="analytics-to" prop:value=move || draft.get().to
                    on:input=move |ev| draft.update(|f| f.to = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"Replies by"</span>
                <select class=field::INPUT data-testid="analytics-sitter"
                    prop:value=move || draft.get().sitter.map(|s| s.to_string()).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); draft.update(|f| f.sitter = v.parse().ok()); }>
                    <option value="">"Everyone"</option>
                    {move || sitters.get().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class=btn::PRIMARY data-testid="analytics-apply">"Show"</button>
            <a class=btn::SECONDARY data-testid="analytics-export" href=move || format!("/audit/analytics.csv?{}", applied.get().query_string()) download="">"Export CSV"</a>
        </form>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Crunching the numbers" /></div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="analytics-error">{e.to_string()}</p> }.into_any(),
                    Ok(a) if a.days.iter().all(|d| d.front_desk + d.sitter + d.pool == 0) => view! {
                        <EmptyState title="No texts in these dates" body="Pick a wider date range; charts fill in as clients and sitters text." />
                    }.into_any(),
                    Ok(a) => figures(a),
                }
            })}
        </Transition>
    }
}

/// The summary, the four charts with their tables, and the slowest
/// conversations.
fn figures(a: Analytics) -> AnyView {
    let every = (a.days.len() / 7).max(1);
    let trend: Vec<(String, f64)> =
        a.days.iter().map(|d| (d.label.clone(), d.median_seconds.unwrap_or(0) as f64 / 60.0)).collect();
    let sitter_bars: Vec<(String, f64)> =
        a.by_sitter.iter().map(|r| (r.label.clone(), r.median_seconds.unwrap_or(0) as f64 / 60.0)).collect();
    let peak: Vec<(String, f64)> = a.peak.iter().enumerate().map(|(h, n)| (format!("{h}"), *n as f64)).collect();
    let days = a.days.clone();
    view! {
        <div class="grid gap-4 sm:grid-cols-3" data-testid="analytics-summary">
            <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <p class="text-xs font-medium uppercase tracking-wide text-slate-500">"Median first reply"</p>
                <p class="mt-1 text-2xl font-bold text-slate-900" data-testid="analytics-median">{minutes(a.overall.median_seconds)}</p>
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <p class="text-xs font-medium uppercase tracking-wide text-slate-500">{format!("Within {} min", a.target_minutes)}</p>
                <p class="mt-1 text-2xl font-bold text-slate-900" data-testid="analytics-within">{a.overall.within_pct.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</p>
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <p class="text-xs font-medium uppercase tracking-wide text-slate-500">"Replies measured"</p>
                <p class="mt-1 text-2xl font-bold text-slate-900" data-testid="analytics-replies">{a.overall.responses}</p>
            </div>
        </div>
        <div class="mt-6 grid gap-6 xl:grid-cols-2">
            <Panel title="Response time by sitter".to_string() note="Median minutes from a client's text to the first reply by a person; automated replies don't count.">
                <Bars title="Median response time by sitter, minutes".to_string() values=sitter_bars every=1 unit="min" testid="chart-sitters" />
                <div class="mt-4 overflow-x-auto">{response_table(a.by_sitter.clone(), "Sitter", "table-sitters")}</div>
            </Panel>
            <Panel title="Response time per day".to_string() note="Median of the replies to texts that arrived that day.">
                <Bars title="Median response time per day, minutes".to_string() values=trend every=every unit="min" testid="chart-trend" />
                <details class="mt-4">
                    <summary class="cursor-pointer text-xs font-medium text-slate-600">"Show the numbers"</summary>
                    <table class="mt-2 min-w-full divide-y divide-slate-200 text-sm" data-testid="table-trend">
                        <thead><tr><th class=TH scope="col">"Day"</th><th class=format!("{TH} text-right") scope="col">"Replies"</th><th class=format!("{TH} text-right") scope="col">"Median"</th></tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {a.days.iter().map(|d| view! { <tr><td class=TD>{d.label.clone()}</td><td class=TDN>{d.responses}</td><td class=TDN>{minutes(d.median_seconds)}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </Panel>
            <Panel title="Message volume".to_string() note="Texts in and out per day, by the kind of business number.">
                <Stacked days=days.clone() />
                <details class="mt-4">
                    <summary class="cursor-pointer text-xs font-medium text-slate-600">"Show the numbers"</summary>
                    <table class="mt-2 min-w-full divide-y divide-slate-200 text-sm" data-testid="table-volume">
                        <thead><tr>
                            <th class=TH scope="col">"Day"</th>
                            <th class=format!("{TH} text-right") scope="col">"Front Desk"</th>
                            <th class=format!("{TH} text-right") scope="col">"Sitter numbers"</th>
                            <th class=format!("{TH} text-right") scope="col">"Pool"</th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {days.into_iter().map(|d| view! { <tr><td class=TD>{d.label}</td><td class=TDN>{d.front_desk}</td><td class=TDN>{d.sitter}</td><td class=TDN>{d.pool}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </Panel>
            <Panel title="Peak hours".to_string() note="Client texts by hour of the day, business time.">
                <Bars title="Client texts by hour of the day".to_string() values=peak every=3 unit="texts" testid="chart-peak" />
                <details class="mt-4">
                    <summary class="cursor-pointer text-xs font-medium text-slate-600">"Show the numbers"</summary>
                    <table class="mt-2 min-w-full divide-y divide-slate-200 text-sm" data-testid="table-peak">
                        <thead><tr><th class=TH scope="col">"Hour"</th><th class=format!("{TH} text-right") scope="col">"Client texts"</th></tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {a.peak.iter().enumerate().map(|(h, n)| view! { <tr><td class=TD>{format!("{h:02}:00")}</td><td class=TDN>{*n}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </Panel>
        </div>
        <div class="mt-6">
            <Panel title="Slowest conversations".to_string() note="The 20 conversations with the slowest median reply in these dates.">
                <div class="overflow-x-auto">{response_table(a.by_thread.clone(), "Conversation", "table-threads")}</div>
            </Panel>
        </div>
    }.into_any()
}

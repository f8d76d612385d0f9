use crate::domain::routing::{Rule, StepResult, TraceStep};
use crate::ui::{Badge, Tone};
use leptos::prelude::*;

fn result_badge(r: StepResult) -> (Tone, &'static str) {
    match r {
        StepResult::Pass => (Tone::Good, "Pass"),
        StepResult::Fail => (Tone::Bad, "Failed"),
        StepResult::Matched => (Tone::Brand, "Decides"),
        StepResult::NoMatch => (Tone::Neutral, "Doesn't apply"),
        StepResult::Skipped => (Tone::Neutral, "Not evaluated"),
    }
}

fn rule_label(r: Rule) -> &'static str {
    r.label()
}

/// A decision's reason and its trace, step by step.
#[component]
pub fn TraceView(#[prop(into)] reason: String, trace: Vec<TraceStep>, #[prop(into)] ruleset: String) -> impl IntoView {
    view! {
        <div data-testid="trace">
            <p class="rounded-lg bg-slate-50 px-3 py-2 text-sm font-medium text-slate-900" data-testid="decision-reason">{reason}</p>
            <ol class="mt-3 space-y-2">
                {trace
                    .into_iter()
                    .map(|s| {
                        let (tone, label) = result_badge(s.result);
                        let dim = s.result == StepResult::Skipped;
                        view! {
                            <li class={if dim { "flex gap-3 opacity-50" } else { "flex gap-3" }} data-testid="trace-step">
                                <span class="mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-slate-100 text-xs font-semibold text-slate-600">
                                    {s.step}
                                </span>
                                <div class="min-w-0 flex-1">
                                    <div class="flex flex-wrap items-center gap-2">
                                        <span class="text-xs font-semibold uppercase tracking-wide text-slate-500">{rule_label(s.rule)}</span>
                                        <Badge tone=tone text=label />
                                    </div>
                                    <p class="text-sm text-slate-700">{s.condition.clone()}</p>
                                    <p class="text-sm text-slate-500">{s.explanation.clone()}</p>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <p class="mt-3 text-xs text-slate-400">"Rules " {ruleset}</p>
        </div>
    }
}

//! The background worker: claims due jobs from the queue and hands each to
//! its capability. Jobs survive restarts (they are rows); a job whose
//! worker died is picked up again once its lease runs out.

use crate::platform::jobs::{self, Job, Outcome};
use crate::platform::{audit, AppState};
use chrono::Utc;
use std::time::Duration;

pub async fn handle(state: &AppState, job: &Job) -> Outcome {
    match job.kind.as_str() {
        "send" => crate::messaging::delivery::run_send(state, job).await,
        "demo.status" => crate::messaging::status::run_demo_status(state, job).await,
        "media.fetch" => crate::messaging::media::run_fetch(state, job).await,
        "override.expire" => crate::routing::service::run_expire(state, job).await,
        crate::alerts::escalation::store::TEXT_JOB => crate::alerts::escalation::store::run_text(state, job).await,
        crate::numbers::store::RELEASE_JOB => crate::numbers::store::run_release(state, job).await,
        crate::automations::runner::JOB | crate::automations::runner::MESSAGE_JOB => {
            crate::automations::runner::run(state, job).await
        }
        crate::automations::runner::RETRY_JOB => crate::automations::runner::run_retry(state, job).await,
        crate::automations::runner::STAFF_JOB => crate::automations::runner::run_staff_text(state, job).await,
        other => Outcome::Fail { error: format!("no handler for job kind {other:?}") },
    }
}

/// Records a dead-lettered job in the audit trail (Settings lists them).
async fn dead(state: &AppState, job: &Job, error: &str) {
    let Some(org) = job.org_id else { return };
    let res = async {
        let mut tx = state.db.begin().await?;
        audit::append(
            &mut tx,
            org,
            &audit::Actor::system(None),
            audit::Event::new(
                "job.dead_lettered",
                "job",
                job.id,
                format!("Background task \"{}\" gave up after {} attempts", job.kind, job.attempts),
            )
            .payload(serde_json::json!({ "error": error, "payload": job.payload })),
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = res {
        tracing::error!(job = job.id, error = %e, "could not audit a dead job");
    }
}

/// Runs one batch; returns how many jobs ran.
pub async fn tick(state: &AppState, worker_id: &str) -> usize {
    let now = Utc::now();
    let batch = match jobs::claim(&state.db, worker_id, now, 8).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "claiming jobs failed");
            return 0;
        }
    };
    let n = batch.len();
    let mut set = tokio::task::JoinSet::new();
    for job in batch {
        let state = state.clone();
        set.spawn(async move {
            let outcome = handle(&state, &job).await;
            match jobs::finish(&state.db, &job, &outcome, Utc::now()).await {
                Ok(true) => {
                    let err = match &outcome {
                        Outcome::Retry { error, .. } | Outcome::Fail { error } => error.clone(),
                        _ => String::new(),
                    };
                    tracing::warn!(job = job.id, kind = %job.kind, error = %err, "job dead-lettered");
                    dead(&state, &job, &err).await;
                }
                Ok(false) => {}
                Err(e) => tracing::error!(job = job.id, error = %e, "could not record job outcome"),
            }
        });
    }
    while set.join_next().await.is_some() {}
    n
}

/// Runs forever: wakes on new jobs, when the next one is due, or every second.
pub async fn run(state: AppState) {
    let worker_id = format!("worker-{}", crate::platform::crypto::short_id());
    match state.db.kind {
        // One process owns a SQLite file: anything "running" was abandoned.
        crate::platform::DbKind::Sqlite => {
            if let Ok(n) = jobs::recover_all_running(&state.db).await {
                if n > 0 {
                    tracing::info!(jobs = n, "resumed jobs interrupted by the last shutdown");
                }
            }
        }
        crate::platform::DbKind::Postgres => {
            let _ = jobs::recover_stale(&state.db, Utc::now()).await;
        }
    }
    let mut last_recovery = std::time::Instant::now();
    let mut last_sweep = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        let ran = tick(&state, &worker_id).await;
        if last_sweep.elapsed() > Duration::from_secs(30) {
            if let Err(e) = crate::automations::runner::sweep(&state).await {
                tracing::error!(error = %e, "the automation sweep failed");
            }
            if let Err(e) = crate::automations::runner::revalidate(&state).await {
                tracing::error!(error = %e, "checking automations against the roster failed");
            }
            if let Err(e) = crate::alerts::sweep::sweep(&state).await {
                tracing::error!(error = %e, "the alert rule sweep failed");
            }
            if let Err(e) = crate::alerts::escalation::store::sweep(&state).await {
                tracing::error!(error = %e, "the escalation sweep failed");
            }
            if let Err(e) = crate::numbers::store::return_cooled_down(&state).await {
                tracing::error!(error = %e, "returning cooled-down numbers to the pool failed");
            }
            last_sweep = std::time::Instant::now();
        }
        if last_recovery.elapsed() > Duration::from_secs(30) {
            let _ = jobs::recover_stale(&state.db, Utc::now()).await;
            last_recovery = std::time::Instant::now();
        }
        if ran > 0 {
            continue;
        }
        let wait = match jobs::next_due(&state.db).await {
            Ok(Some(t)) => (t - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(Duration::from_secs(1)),
            _ => Duration::from_secs(1),
        };
        tokio::select! {
            _ = state.jobs_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

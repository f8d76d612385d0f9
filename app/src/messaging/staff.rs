//! Texts to people who aren't clients: an escalation's target, a sitter or
//! an owner told something by an automation. Each is a job: it leaves from
//! the Front Desk number, behind the provider breaker, retried with
//! backoff, and a try that got no answer asks the provider before sending
//! again. The caller records how it ended in its own words.

use crate::domain::breaker::{self, AfterFailure};
use crate::domain::ids::OrgId;
use crate::domain::phone::E164;
use crate::messaging::store as mstore;
use crate::messaging::{delivery, provider};
use crate::platform::jobs::{Job, Outcome};
use crate::platform::AppState;

/// How a staff text ended, once that is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    Texted,
    /// Why, in business words.
    Failed(String),
}

/// One try of a staff text job. Returns what the job queue should do next
/// and, when the text's fate is decided, how it ended.
pub async fn attempt(
    state: &AppState,
    job: &Job,
    org: OrgId,
    to: &E164,
    body: &str,
    reference: &str,
) -> Result<(Outcome, Option<Ended>), sqlx::Error> {
    let t = chrono::Utc::now();
    let probing = match delivery::pass_gate(state, org, t).await? {
        Ok(probing) => probing,
        Err(until) => return Ok((Outcome::Defer { until }, None)),
    };
    let ctx = {
        let mut c = state.db.read.acquire().await?;
        mstore::org_context(&mut c, org).await?
    };
    let Some(from) = ctx.front_desk.clone() else {
        let why = "there is no Front Desk number in service to text from".to_string();
        return Ok((Outcome::Done, Some(Ended::Failed(why))));
    };
    let provider = match provider::for_org(state, org, ctx.settings.delivery.timeout_seconds as u64).await {
        Ok(p) => p,
        Err(e) => return Ok((Outcome::Fail { error: e.to_string() }, Some(Ended::Failed(e.to_string())))),
    };
    if job.attempts > 1 {
        if let Ok(Some(_)) = provider.find_sent(&from, to, body, job.created_at, reference).await {
            return Ok((Outcome::Done, Some(Ended::Texted)));
        }
    }
    let base = {
        let mut c = state.db.read.acquire().await?;
        mstore::hookup_base_of(&mut c, org, &from, &state.public_base_url).await?
    };
    let (_, status_url) = provider::webhook_urls(&base);
    match provider.send(&from, to, body, &status_url, reference).await {
        Ok(_) => {
            delivery::breaker_success(state, org).await?;
            Ok((Outcome::Done, Some(Ended::Texted)))
        }
        Err(e) if !e.transient => {
            delivery::breaker_success(state, org).await?;
            Ok((Outcome::Done, Some(Ended::Failed(e.explain()))))
        }
        Err(e) => {
            let failure = breaker::Failure {
                probing,
                attempt: job.attempts.clamp(0, u32::MAX as i64) as u32,
                max_attempts: job.max_attempts.clamp(0, u32::MAX as i64) as u32,
                waited: t - job.created_at,
            };
            Ok(match delivery::breaker_failure(state, org, &e.message, t, failure).await? {
                AfterFailure::Retry => (
                    Outcome::Retry {
                        error: e.message.clone(),
                        after: delivery::backoff(ctx.settings.delivery.backoff_seconds, job.attempts),
                    },
                    None,
                ),
                AfterFailure::Wait { until, .. } => {
                    (Outcome::Defer { until: until + chrono::Duration::seconds(1) }, None)
                }
                AfterFailure::GiveUp => {
                    let why = format!(
                        "We couldn't reach the texting provider after {} attempts. {}",
                        job.attempts,
                        e.explain()
                    );
                    (Outcome::Fail { error: format!("provider kept failing: {}", e.message) }, Some(Ended::Failed(why)))
                }
            })
        }
    }
}

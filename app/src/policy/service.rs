//! Reviewing findings: load → decide → persist, with the audit event in
//! the same transaction. The server functions call these with the owner
//! already checked.

use super::{store, Review, ViolationView};
use crate::domain::ids::{NumberId, OrgId};
use crate::domain::policy::ViolationStatus;
use crate::error::{AppError, AppResult};
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{now, AppState, Db};

/// The feed for one status tab; an empty filter means open.
pub async fn list(db: &Db, org: OrgId, status: &str) -> AppResult<Vec<ViolationView>> {
    let status = match status.trim() {
        "" => ViolationStatus::Open,
        s => ViolationStatus::parse(s)
            .ok_or_else(|| AppError::field("status", format!("\"{s}\" isn't a violation status.")))?,
    };
    let mut c = db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, org).await?.tz;
    Ok(store::list(&mut c, org, status, now(), tz).await?)
}

const MAX_NOTE: usize = 500;

/// Approves and sends a stopped text, or dismisses or resolves a finding.
/// Approving needs a reason and a text that can still leave: the client
/// hasn't opted out since, and the number is still in service.
pub async fn review(st: &AppState, u: &SessionUser, id: i64, review: Review, note: &str) -> AppResult<()> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(AppError::field("note", "Keep the note under 500 characters."));
    }
    if review == Review::ApproveAndSend && note.is_empty() {
        return Err(AppError::field(
            "note",
            "Say why this text is fine to send: approving overrides the anti-poaching check and is recorded.",
        ));
    }
    let t = now();
    let mut tx = st.db.begin().await?;
    let f = store::finding(&mut tx, u.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That violation doesn't exist.".into()))?;
    if f.status != Some(ViolationStatus::Open) {
        return Err(AppError::Conflict("Someone already reviewed this violation; it's under its new status.".into()));
    }
    if review == Review::ApproveAndSend {
        let (Some(message), Some("blocked" | "held")) = (f.message, f.message_status.as_deref()) else {
            return Err(AppError::Conflict(
                "There's no stopped text to send for this violation (it was delivered or only logged). Resolve or dismiss it instead.".into(),
            ));
        };
        if let (Some(n), Some(to)) = (f.number, f.to.as_ref()) {
            if mstore::opted_out(&mut tx, u.org_id, to, NumberId(n)).await? {
                return Err(AppError::Conflict(
                    "The client has opted out of texts from this number since; it can't be sent.".into(),
                ));
            }
            if !store::number_in_service(&mut tx, n).await? {
                return Err(AppError::Conflict(
                    "The conversation's business number is out of service, so the text can't leave from it.".into(),
                ));
            }
        }
        store::queue_stopped_text(&mut tx, u.org_id, message).await?;
    }
    let status = review.status();
    store::mark_reviewed(&mut tx, id, f.thread, status, u.user_id.0, (!note.is_empty()).then_some(note), t).await?;
    let actor = u.actor(request_id());
    let redacted = &f.redacted;
    let (kind, summary) = match review {
        Review::ApproveAndSend => {
            ("policy.overridden", format!("{} approved and sent a stopped text (\"{redacted}\"): {note}", actor.name))
        }
        Review::Dismiss => ("violation.dismissed", format!("{} dismissed the violation \"{redacted}\"", actor.name)),
        Review::Resolve => ("violation.resolved", format!("{} resolved the violation \"{redacted}\"", actor.name)),
    };
    let mut ev = Event::new(kind, "violation", id, summary).payload(serde_json::json!({
        "before": "open", "after": status.as_str(), "note": note, "message_id": f.message
    }));
    ev.thread_id = f.thread;
    ev.message_id = f.message;
    audit::append(&mut tx, u.org_id, &actor, ev).await?;
    tx.commit().await?;
    if review == Review::ApproveAndSend {
        st.wake_worker();
    }
    st.publish(LiveEvent {
        org_id: u.org_id.0,
        thread_id: f.thread,
        owner_only: false,
        kind: "violation.reviewed".into(),
        data: serde_json::json!({ "id": id, "thread_id": f.thread }),
    });
    Ok(())
}

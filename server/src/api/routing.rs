//! Stored routing decisions: what decided where a text went, and a replay
//! that re-runs the engine on the stored snapshot.

use super::extract::Id;
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::domain::ids::OrgId;
use app::domain::routing::{decide, RoutingSnapshot};
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{AnyConnection, Row};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_decision)).routes(routes!(replay_decision))
}

async fn load(c: &mut AnyConnection, org: OrgId, message: i64) -> ApiResult<RoutingDecision> {
    let m = sqlx::query("SELECT routing_decision_id, direction FROM messages WHERE id = $1 AND org_id = $2")
        .bind(message)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Problem::not_found("There is no message with that id."))?;
    let Some(decision) = m.try_get::<Option<i64>, _>("routing_decision_id")? else {
        return Err(Problem::not_found(
            "That message has no routing decision: only texts from clients are routed (outbound texts and notes aren't).",
        ));
    };
    let r = sqlx::query(
        "SELECT id, message_id, thread_id, evaluated_at, rule, target, target_sitter_id, reason, ruleset_version, snapshot, decision
         FROM routing_decisions WHERE id = $1 AND org_id = $2",
    )
    .bind(decision)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| Problem::not_found("That message's routing decision is missing."))?;
    let snapshot: String = r.try_get("snapshot")?;
    let stored: String = r.try_get("decision")?;
    Ok(RoutingDecision {
        id: r.try_get("id")?,
        message_id: r.try_get::<Option<i64>, _>("message_id")?.or(Some(message)),
        thread_id: r.try_get("thread_id")?,
        evaluated_at: time_ms(r.try_get("evaluated_at")?),
        rule: r.try_get("rule")?,
        target: r.try_get("target")?,
        target_sitter_id: r.try_get("target_sitter_id")?,
        reason: r.try_get("reason")?,
        ruleset_version: r.try_get("ruleset_version")?,
        snapshot: serde_json::from_str(&snapshot).unwrap_or_else(|_| serde_json::json!({})),
        decision: serde_json::from_str(&stored).unwrap_or_else(|_| serde_json::json!({})),
    })
}

/// The routing decision stored with an inbound message: target, reason, trace and the snapshot it was made from.
#[utoipa::path(get, path = "/messages/{id}/routing-decision", tag = "routing", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = RoutingDecision), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_decision(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, caller.key.org_id, id).await?))
}

/// Re-runs the routing engine on the stored snapshot and compares; changes nothing.
#[utoipa::path(get, path = "/messages/{id}/routing-decision/replay", tag = "routing", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Replay), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn replay_decision(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    let d = load(&mut c, caller.key.org_id, id).await?;
    let snapshot: RoutingSnapshot = serde_json::from_value(d.snapshot.clone()).map_err(|e| {
        let reference = app::platform::crypto::short_id();
        tracing::error!(reference = %reference, error = %e, "stored snapshot unreadable");
        Problem::internal(&reference)
    })?;
    let replayed = serde_json::to_value(decide(&snapshot)).map_err(|_| Problem::internal("replay"))?;
    Ok(json(
        StatusCode::OK,
        &Replay { decision_id: d.id, identical: replayed == d.decision, stored: d.decision, replayed },
    ))
}

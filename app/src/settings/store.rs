//! The business's settings row: read with the rest of its context
//! (`messaging::store::org_context`), written here with the audit event
//! that lists what changed, in the caller's transaction.

use crate::domain::ids::OrgId;
use crate::domain::settings::OrgSettings;
use crate::error::AppResult;
use crate::platform::audit::{self, Event};
use crate::platform::sessions::SessionUser;
use sqlx::AnyConnection;

/// Saves the settings (and the time zone, when given) and appends one
/// "settings.changed" event naming every change.
pub async fn write(
    c: &mut AnyConnection,
    u: &SessionUser,
    s: &OrgSettings,
    time_zone: Option<&str>,
    changes: &[String],
) -> AppResult<()> {
    let json = serde_json::to_string(s)?;
    match time_zone {
        Some(tz) => {
            sqlx::query("UPDATE organisations SET settings = $1, time_zone = $2 WHERE id = $3")
                .bind(json)
                .bind(tz)
                .bind(u.org_id.0)
                .execute(&mut *c)
                .await?
        }
        None => {
            sqlx::query("UPDATE organisations SET settings = $1 WHERE id = $2")
                .bind(json)
                .bind(u.org_id.0)
                .execute(&mut *c)
                .await?
        }
    };
    audit::append(
        c,
        u.org_id,
        &u.actor(crate::platform::ctx::request_id()),
        Event::new("settings.changed", "organisation", u.org_id.0, format!("Settings changed. {}", changes.join("; ")))
            .payload(serde_json::json!({ "changes": changes })),
    )
    .await?;
    Ok(())
}

/// The business's HELP reply (`None` = the default one).
pub async fn write_help(c: &mut AnyConnection, org: OrgId, text: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET help_text = $1 WHERE id = $2")
        .bind(text.map(str::to_string))
        .bind(org.0)
        .execute(&mut *c)
        .await?;
    Ok(())
}

//! The inbox's queries, per role. Everything a sitter receives passes
//! through here, so this is where masking happens: first names only, no
//! client numbers, flagged messages redacted, no system notes, and only
//! messages inside the sitter's own windows.

use super::*;
use crate::domain::ids::{OrgId, SitterId};
use crate::domain::outbound::{self, Sender};
use crate::domain::phone::E164;
use crate::domain::policy::Hit;
use crate::domain::routing::{decide, Decision, RoutingSnapshot};
use crate::domain::time::{self, BusinessTz};
use crate::messaging::send::{self, SendOutcome, SendRequest};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::messaging::visibility::{sitter_text, sitter_visible};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::ctx::{request_id, require_user, state};
use crate::platform::sessions::SessionUser;
use crate::platform::sql::{like_pattern, Sql};
use crate::platform::{from_ms, ms, now, DbKind};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

const PAGE: usize = 40;

enum Viewer {
    Owner(SessionUser),
    Sitter(SessionUser, SitterId),
}

impl Viewer {
    fn user(&self) -> &SessionUser {
        match self {
            Viewer::Owner(u) | Viewer::Sitter(u, _) => u,
        }
    }
    fn org(&self) -> OrgId {
        self.user().org_id
    }
    fn actor(&self) -> Actor {
        self.user().actor(request_id())
    }
    fn sender(&self) -> Sender {
        match self {
            Viewer::Owner(_) => Sender::Owner,
            Viewer::Sitter(_, s) => Sender::Sitter { sitter_id: *s },
        }
    }
}

async fn viewer() -> AppResult<Viewer> {
    let u = require_user().await?;
    if u.is_owner() {
        return Ok(Viewer::Owner(u));
    }
    match u.sitter_id {
        Some(s) => Ok(Viewer::Sitter(u, s)),
        None => Err(AppError::Forbidden(
            "Your account isn't linked to a sitter profile. Ask the owner to fix it in People.".into(),
        )),
    }
}

use crate::error::AppResult;

/// What a sitter may do with a thread right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SitterAccess {
    Active,
    Past,
    None,
}

async fn sitter_access(
    c: &mut AnyConnection,
    sitter: SitterId,
    thread: ThreadId,
    now: DateTime<Utc>,
) -> Result<SitterAccess, sqlx::Error> {
    let r = sqlx::query(
        "SELECT
           (SELECT COUNT(*) FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL AND starts_at <= $3 AND ends_at > $3) AS active,
           (SELECT COUNT(*) FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL AND ends_at <= $3) AS past",
    )
    .bind(thread.0)
    .bind(sitter.0)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?;
    Ok(if r.try_get::<i64, _>("active")? > 0 {
        SitterAccess::Active
    } else if r.try_get::<i64, _>("past")? > 0 {
        SitterAccess::Past
    } else {
        SitterAccess::None
    })
}

fn not_yours() -> AppError {
    AppError::Forbidden(
        "This conversation isn't assigned to you. You can see conversations while your assignment window is active."
            .into(),
    )
}

/// Words of a search, safe for full-text queries.
fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(8).map(|w| w.to_lowercase()).collect()
}

fn fts_query(kind: DbKind, terms: &[String]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    Some(match kind {
        DbKind::Sqlite => terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" "),
        DbKind::Postgres => terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & "),
    })
}

pub async fn list_threads(q: ThreadQuery) -> AppResult<ThreadPage> {
    let v = viewer().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, v.org()).await?;
    let now = now();
    let from = crate::domain::time::form_day(&q.from).map_err(AppError::on("from"))?;
    let to = crate::domain::time::form_day(&q.to).map_err(AppError::on("to"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::field("to", "The end date is before the start date."));
        }
    }
    let mut s = Sql::new("");
    let p_now = s.int(ms(now));
    let p_org = s.int(v.org().0);
    let p_me = s.int(v.user().user_id.0);
    let p_floor = s.int(read_floor(&mut c, v.user().user_id.0).await?);
    let unread_sql = unread_for_me(&p_floor);
    let active_window = format!(
        "FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id WHERE w.thread_id = t.id AND w.deleted_at IS NULL AND w.starts_at <= {p_now} AND w.ends_at > {p_now}"
    );
    s.push(&format!(
        "SELECT t.id, t.last_message_at, t.last_message_preview, t.unread_count, t.open_violations, t.failed_deliveries,
                c.name AS client_name, c.first_name, c.is_unknown, n.e164, n.class,
                {unread_sql} AS my_unread,
                (SELECT s.first_name {active_window} ORDER BY w.starts_at, w.id LIMIT 1) AS assigned_name,
                (SELECT w.ends_at {active_window} ORDER BY w.starts_at, w.id LIMIT 1) AS assigned_until
         FROM threads t JOIN clients c ON c.id = t.client_id JOIN numbers n ON n.id = t.number_id
         LEFT JOIN thread_reads tr ON tr.thread_id = t.id AND tr.user_id = {p_me}
         WHERE t.org_id = {p_org} AND t.last_message_at IS NOT NULL"
    ));
    if let Viewer::Sitter(_, sid) = &v {
        let p_s = s.int(sid.0);
        let active = format!(
            "SELECT w.thread_id FROM assignment_windows w WHERE w.sitter_id = {p_s} AND w.deleted_at IS NULL AND w.starts_at <= {p_now} AND w.ends_at > {p_now}"
        );
        if q.past {
            s.push(&format!(
                " AND t.id IN (SELECT w.thread_id FROM assignment_windows w WHERE w.sitter_id = {p_s} AND w.deleted_at IS NULL AND w.ends_at <= {p_now}) AND t.id NOT IN ({active})"
            ));
        } else {
            s.push(&format!(" AND t.id IN ({active})"));
        }
    }
    match q.filter {
        InboxFilter::All => {}
        InboxFilter::Unread => {
            s.push(&format!(" AND {unread_sql} = 1"));
        }
        InboxFilter::Assigned => {
            s.push(&format!(" AND EXISTS (SELECT 1 {active_window})"));
        }
        InboxFilter::Unassigned => {
            s.push(&format!(" AND NOT EXISTS (SELECT 1 {active_window})"));
        }
        InboxFilter::Violations => {
            s.push(" AND t.open_violations > 0");
        }
        InboxFilter::Failures => {
            s.push(" AND t.failed_deliveries > 0");
        }
    }
    let needle = q.q.trim();
    if !needle.is_empty() {
        push_search(&mut s, &v, st.db.kind, &p_org, needle);
    }
    if from.is_some() || to.is_some() {
        let lo = from.map(|d| ms(ctx.tz.start_of_day(d))).unwrap_or(0);
        let hi = to.and_then(|d| d.succ_opt()).map(|d| ms(ctx.tz.start_of_day(d))).unwrap_or(i64::MAX);
        let (p_lo, p_hi) = (s.int(lo), s.int(hi));
        let visible = match &v {
            Viewer::Owner(_) => "1 = 1".to_string(),
            Viewer::Sitter(_, sid) => sitter_visible(&s.int(sid.0)),
        };
        s.push(&format!(" AND EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.created_at >= {p_lo} AND m.created_at < {p_hi} AND {visible})"));
    }
    let offset = push_order(&mut s, q.sort, q.cursor.as_deref(), &unread_sql);
    let p_limit = s.int(PAGE as i64 + 1);
    s.push(&format!(" LIMIT {p_limit}"));
    if offset > 0 {
        let p_off = s.int(offset);
        s.push(&format!(" OFFSET {p_off}"));
    }
    let rows = s.query().fetch_all(&mut *c).await?;
    let more = rows.len() > PAGE;
    let mut items = Vec::with_capacity(PAGE);
    let mut last_key: Option<serde_json::Value> = None;
    for r in rows.iter().take(PAGE) {
        let (summary, sort_name) = summary_of(&mut c, &v, r, &ctx, now).await?;
        let (id, at) = (summary.id.0, r.try_get::<i64, _>("last_message_at")?);
        last_key = Some(match q.sort {
            InboxSort::Recent => serde_json::json!([at, id]),
            InboxSort::UnreadFirst => serde_json::json!([i64::from(summary.unread > 0), at, id]),
            InboxSort::ClientName => serde_json::json!([sort_name, id]),
            InboxSort::Assignment => serde_json::json!(offset + PAGE as i64),
        });
        items.push(summary);
    }
    let next_cursor = if more { last_key.map(|k| k.to_string()) } else { None };
    let unread_threads = unread_for(&mut c, &v, now).await?;
    Ok(ThreadPage { items, next_cursor, unread_threads })
}

/// One row of the list as this viewer sees it, and the client's name as
/// the name sort orders it (lower case).
async fn summary_of(
    c: &mut AnyConnection,
    v: &Viewer,
    r: &sqlx::any::AnyRow,
    ctx: &OrgContext,
    now: DateTime<Utc>,
) -> AppResult<(ThreadSummary, String)> {
    let id = ThreadId(r.try_get("id")?);
    let at: i64 = r.try_get("last_message_at")?;
    // Mine: what came since I last read it (counted for the page's unread rows only).
    let unread: i64 = match r.try_get::<i64, _>("my_unread")? {
        0 => 0,
        _ => my_unread(c, id, v.user().user_id.0).await?.max(1),
    };
    let name: String = r.try_get("client_name")?;
    let first: String = r.try_get("first_name")?;
    let unknown = r.try_get::<i64, _>("is_unknown")? == 1;
    let class = crate::domain::numbers::NumberClass::parse(&r.try_get::<String, _>("class")?)
        .unwrap_or(crate::domain::numbers::NumberClass::FrontDesk);
    let number: String = r.try_get("e164")?;
    let assigned: Option<String> = r.try_get("assigned_name")?;
    let until: Option<i64> = r.try_get("assigned_until")?;
    let (client, preview) = match v {
        Viewer::Owner(_) => (name.clone(), r.try_get::<Option<String>, _>("last_message_preview")?.unwrap_or_default()),
        Viewer::Sitter(_, sid) => (sitter_name_for(unknown, &first), sitter_preview(c, id, *sid).await?),
    };
    let summary = ThreadSummary {
        id,
        client,
        preview,
        when: time::relative(from_ms(at), now, ctx.tz),
        unread,
        assignment: assigned.map(|n| match until {
            Some(u) => format!("{n} until {}", ctx.tz.time_relative_to(from_ms(u), now)),
            None => n,
        }),
        class,
        number: E164::from_canonical(&number).map(|e| e.display()).unwrap_or(number),
        violations: r.try_get::<i64, _>("open_violations")? > 0,
        failures: r.try_get::<i64, _>("failed_deliveries")? > 0,
    };
    Ok((summary, name.to_lowercase()))
}

/// Adds the search: a client's or sitter's name, the text of messages
/// (full-text), or digits of a number. Sitters search exactly what they
/// may see.
fn push_search(s: &mut Sql, v: &Viewer, kind: DbKind, p_org: &str, needle: &str) {
    // Sitters search exactly what they may see: first names (not a new
    // client's), the business number, and the text of their own
    // windows' messages as they are shown to them.
    let sitter = match v {
        Viewer::Owner(_) => None,
        Viewer::Sitter(_, sid) => Some(s.int(sid.0)),
    };
    let p_like = s.text(like_pattern(needle));
    match &sitter {
        None => {
            s.push(&format!(" AND (LOWER(c.name) LIKE {p_like} ESCAPE '\\'"));
            s.push(&format!(
                " OR EXISTS (SELECT 1 FROM assignment_windows w2 JOIN sitters s2 ON s2.id = w2.sitter_id WHERE w2.thread_id = t.id AND w2.deleted_at IS NULL AND LOWER(s2.name) LIKE {p_like} ESCAPE '\\')"
            ));
        }
        Some(_) => {
            s.push(&format!(" AND ((c.is_unknown = 0 AND LOWER(c.first_name) LIKE {p_like} ESCAPE '\\')"));
        }
    }
    let terms = search_terms(needle);
    if let Some(fts) = fts_query(kind, &terms) {
        let p_fts = s.text(fts);
        let mut visible = String::from("m.direction <> 'note'");
        if let Some(p_s) = &sitter {
            visible = sitter_visible(p_s);
            // The words must be in the text as the sitter sees it,
            // not only in what was hidden from them.
            for t in &terms {
                let p_t = s.text(like_pattern(t));
                visible.push_str(&format!(" AND LOWER({}) LIKE {p_t} ESCAPE '\\'", sitter_text(p_s)));
            }
        }
        match kind {
            DbKind::Sqlite => s.push(&format!(
                " OR t.id IN (SELECT m.thread_id FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH {p_fts} AND m.org_id = {p_org} AND {visible})"
            )),
            DbKind::Postgres => s.push(&format!(
                " OR t.id IN (SELECT m.thread_id FROM messages m WHERE m.org_id = {p_org} AND {visible} AND m.body_tsv @@ to_tsquery('simple', {p_fts}))"
            )),
        };
    }
    let digits: String = needle.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 3 {
        let p_digits = s.text(format!("%{digits}%"));
        s.push(&format!(" OR n.e164 LIKE {p_digits}"));
        if sitter.is_none() {
            // Only owners may find a client by their own number.
            s.push(&format!(
                " OR EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = c.id AND cc.e164 LIKE {p_digits})"
            ));
        }
    }
    s.push(")");
}

/// Adds the sort, continuing after `cursor` (keyset pagination where the
/// order allows it); returns the offset for the sort that can't.
fn push_order(s: &mut Sql, sort: InboxSort, cursor: Option<&str>, unread_sql: &str) -> i64 {
    let cursor: Option<serde_json::Value> = cursor.and_then(|c| serde_json::from_str(c).ok());
    let mut offset = 0i64;
    match sort {
        InboxSort::Recent => {
            if let Some((at, id)) = cursor.and_then(|c| serde_json::from_value::<(i64, i64)>(c).ok()) {
                let (pa, pi) = (s.int(at), s.int(id));
                s.push(&format!(" AND (t.last_message_at < {pa} OR (t.last_message_at = {pa} AND t.id < {pi}))"));
            }
            s.push(" ORDER BY t.last_message_at DESC, t.id DESC");
        }
        InboxSort::UnreadFirst => {
            let u = unread_sql;
            if let Some((flag, at, id)) = cursor.and_then(|c| serde_json::from_value::<(i64, i64, i64)>(c).ok()) {
                let (pu, pa, pi) = (s.int(flag), s.int(at), s.int(id));
                s.push(&format!(
                    " AND ({u} < {pu} OR ({u} = {pu} AND (t.last_message_at < {pa} OR (t.last_message_at = {pa} AND t.id < {pi}))))"
                ));
            }
            s.push(&format!(" ORDER BY {u} DESC, t.last_message_at DESC, t.id DESC"));
        }
        InboxSort::ClientName => {
            if let Some((name, id)) = cursor.and_then(|c| serde_json::from_value::<(String, i64)>(c).ok()) {
                let (pn, pi) = (s.text(name), s.int(id));
                s.push(&format!(" AND (LOWER(c.name) > {pn} OR (LOWER(c.name) = {pn} AND t.id > {pi}))"));
            }
            s.push(" ORDER BY LOWER(c.name), t.id");
        }
        InboxSort::Assignment => {
            offset = cursor.and_then(|c| c.as_i64()).unwrap_or(0).max(0);
            s.push(" ORDER BY assigned_name ASC NULLS LAST, t.last_message_at DESC, t.id DESC");
        }
    }
    offset
}

fn sitter_name_for(unknown: bool, first: &str) -> String {
    if unknown {
        "New client".into()
    } else {
        first.to_string()
    }
}

/// The last message a sitter may see in a thread, as they may see it.
async fn sitter_preview(c: &mut AnyConnection, thread: ThreadId, sitter: SitterId) -> Result<String, sqlx::Error> {
    let r = sqlx::query(&format!(
        "SELECT {} AS shown FROM messages m WHERE m.thread_id = $1 AND {} ORDER BY m.id DESC LIMIT 1",
        sitter_text("$2"),
        sitter_visible("$2")
    ))
    .bind(thread.0)
    .bind(sitter.0)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match r {
        Some(r) => r.try_get::<String, _>("shown")?.chars().take(120).collect(),
        None => String::new(),
    })
}

/// Whether thread `t` is unread for the user whose `thread_reads` row is
/// joined as `tr` (1 or 0): a text came after they last read it (or, if they
/// never opened it, after `floor`: when they joined), or they marked it unread.
pub(crate) fn unread_for_me(floor: &str) -> String {
    format!("(CASE WHEN tr.marked_unread = 1 OR t.last_inbound_at > COALESCE(tr.read_at, {floor}) THEN 1 ELSE 0 END)")
}

/// Where a person's unread texts start: when they joined.
async fn read_floor(c: &mut AnyConnection, user: i64) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query("SELECT created_at FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get::<i64, _>("created_at"))
        .transpose()?
        .unwrap_or(0))
}

/// How many unread threads a person has (the badge in the navigation).
pub(crate) async fn unread_threads_of(
    c: &mut AnyConnection,
    org: OrgId,
    user: i64,
    sitter: Option<SitterId>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let floor = read_floor(c, user).await?;
    let mine = "LEFT JOIN thread_reads tr ON tr.thread_id = t.id AND tr.user_id = $2";
    let unread = unread_for_me("$3");
    match sitter {
        None => sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM threads t {mine} WHERE t.org_id = $1 AND t.last_message_at IS NOT NULL AND {unread} = 1"
        ))
        .bind(org.0)
        .bind(user)
        .bind(floor)
        .fetch_one(&mut *c)
        .await?
        .try_get("n"),
        Some(s) => sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM threads t {mine} WHERE t.org_id = $1 AND {unread} = 1 AND t.id IN
               (SELECT thread_id FROM assignment_windows WHERE sitter_id = $4 AND deleted_at IS NULL AND starts_at <= $5 AND ends_at > $5)"
        ))
        .bind(org.0)
        .bind(user)
        .bind(floor)
        .bind(s.0)
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await?
        .try_get("n"),
    }
}

async fn unread_for(c: &mut AnyConnection, v: &Viewer, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let sitter = match v {
        Viewer::Owner(_) => None,
        Viewer::Sitter(_, s) => Some(*s),
    };
    unread_threads_of(c, v.org(), v.user().user_id.0, sitter, now).await
}

/// How many texts in one thread one person hasn't read (at least 1 when
/// they marked it unread).
async fn my_unread(c: &mut AnyConnection, thread: ThreadId, user: i64) -> Result<i64, sqlx::Error> {
    let (since, marked) =
        match sqlx::query("SELECT read_at, marked_unread FROM thread_reads WHERE thread_id = $1 AND user_id = $2")
            .bind(thread.0)
            .bind(user)
            .fetch_optional(&mut *c)
            .await?
        {
            Some(r) => (r.try_get::<i64, _>("read_at")?, r.try_get::<i64, _>("marked_unread")? == 1),
            None => (read_floor(c, user).await?, false),
        };
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE thread_id = $1 AND direction = 'inbound' AND created_at > $2",
    )
    .bind(thread.0)
    .bind(since)
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?;
    Ok(if marked { n.max(1) } else { n })
}

pub async fn unread_count() -> AppResult<i64> {
    let v = viewer().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    Ok(unread_for(&mut c, &v, now()).await?)
}

struct Header {
    org: OrgId,
    client_id: i64,
    client_name: String,
    first_name: String,
    unknown: bool,
    number_id: i64,
    number: E164,
    class: crate::domain::numbers::NumberClass,
}

async fn header(c: &mut AnyConnection, org: OrgId, id: ThreadId) -> AppResult<Header> {
    let r = sqlx::query(
        "SELECT t.org_id, t.client_id, c.name, c.first_name, c.is_unknown, n.id AS number_id, n.e164, n.class
         FROM threads t JOIN clients c ON c.id = t.client_id JOIN numbers n ON n.id = t.number_id WHERE t.id = $1 AND t.org_id = $2",
    )
    .bind(id.0)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| AppError::NotFound("That conversation doesn't exist (it may have been merged into another one).".into()))?;
    Ok(Header {
        org: OrgId(r.try_get("org_id")?),
        client_id: r.try_get("client_id")?,
        client_name: r.try_get("name")?,
        first_name: r.try_get("first_name")?,
        unknown: r.try_get::<i64, _>("is_unknown")? == 1,
        number_id: r.try_get("number_id")?,
        number: E164::from_canonical(&r.try_get::<String, _>("e164")?)
            .ok_or_else(|| AppError::Internal(request_id()))?,
        class: crate::domain::numbers::NumberClass::parse(&r.try_get::<String, _>("class")?)
            .unwrap_or(crate::domain::numbers::NumberClass::FrontDesk),
    })
}

pub async fn get_thread(id: ThreadId) -> AppResult<ThreadView> {
    let v = viewer().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let now = now();
    let h = header(&mut c, v.org(), id).await?;
    let access = match &v {
        Viewer::Owner(_) => SitterAccess::Active,
        Viewer::Sitter(_, s) => sitter_access(&mut c, *s, id, now).await?,
    };
    if access == SitterAccess::None {
        return Err(not_yours());
    }
    let ctx = mstore::org_context(&mut c, h.org).await?;
    let windows = mstore::windows_near(&mut c, id, now, mstore::DECISION_SPAN).await?;
    let active: Vec<_> = windows.iter().filter(|w| w.is_active_at(now)).collect();
    let (sitter, window) = match active.as_slice() {
        [w] => (
            Some(w.sitter_name.clone()),
            format!("{}'s window until {}", w.sitter_name, ctx.tz.time_relative_to(w.ends_at, now)),
        ),
        [] => {
            let next = windows.iter().filter(|w| w.starts_at > now).min_by_key(|w| w.starts_at);
            (
                None,
                match next {
                    Some(n) => format!(
                        "No one assigned now · {} from {}",
                        n.sitter_name,
                        ctx.tz.time_relative_to(n.starts_at, now)
                    ),
                    None => "No one assigned: messages go to the owner inbox".into(),
                },
            )
        }
        many => (None, format!("Conflict: {} windows overlap now", many.len())),
    };
    let overrides = mstore::overrides_at(&mut c, id, now).await?;
    let override_note = overrides.iter().max_by_key(|o| o.created_at).map(|o| {
        let target = match o.target {
            crate::domain::routing::OverrideTarget::OwnerInbox => "the owner inbox".to_string(),
            crate::domain::routing::OverrideTarget::Sitter(_) => {
                o.target_name.clone().unwrap_or_else(|| "a sitter".into())
            }
        };
        let until = o.ends_at.map(|e| format!(" until {}", ctx.tz.time_relative_to(e, now))).unwrap_or_default();
        format!("Owner override: to {target}{until}")
    });
    let contacts = mstore::client_contacts(&mut c, crate::domain::ids::ClientId(h.client_id)).await?;
    let opted_out = match contacts.first() {
        Some(first) => mstore::opted_out(&mut c, h.org, first, crate::domain::ids::NumberId(h.number_id)).await?,
        None => false,
    };
    let messages = messages_for(&mut c, &v, &h, id, &ctx).await?;
    let cannot_send = match &v {
        _ if !ctx.ready => Some("Texting is switched off until setup is finished.".to_string()),
        _ if opted_out => Some(outbound::Refusal::OptedOut.message()),
        Viewer::Sitter(_, _) if access == SitterAccess::Past => {
            Some("This visit has ended, so the conversation is read-only.".into())
        }
        Viewer::Sitter(_, s) => {
            let ws = mstore::windows_near(&mut c, id, now, mstore::DECISION_SPAN).await?;
            let plain: Vec<crate::domain::windows::Window> = ws
                .iter()
                .filter_map(|w| {
                    Some(crate::domain::windows::Window {
                        id: w.id?,
                        sitter_id: w.sitter_id,
                        sitter_name: w.sitter_name.clone(),
                        starts_at: w.starts_at,
                        ends_at: w.ends_at,
                    })
                })
                .collect();
            outbound::sitter_may_send(*s, &plain, now, ctx.tz).err()
        }
        Viewer::Owner(_) => None,
    };
    let policy = match cannot_send {
        Some(_) => None,
        None => Some(crate::policy::store::compose_policy(&mut c, &ctx, id, v.sender()).await?),
    };
    Ok(ThreadView {
        id,
        client: match &v {
            Viewer::Owner(_) => h.client_name.clone(),
            Viewer::Sitter(..) => sitter_name_for(h.unknown, &h.first_name),
        },
        client_id: match &v {
            Viewer::Owner(_) if !h.unknown => Some(h.client_id),
            _ => None,
        },
        contacts: match &v {
            Viewer::Owner(_) => contacts.iter().map(|e| e.display()).collect(),
            Viewer::Sitter(..) => Vec::new(),
        },
        number: h.number.display(),
        class: h.class,
        sitter,
        window,
        override_note: match &v {
            Viewer::Owner(_) => override_note,
            Viewer::Sitter(..) => None,
        },
        opted_out,
        read_only: access == SitterAccess::Past,
        cannot_send,
        policy,
        messages,
        unread: my_unread(&mut c, id, v.user().user_id.0).await?,
    })
}

async fn messages_for(
    c: &mut AnyConnection,
    v: &Viewer,
    h: &Header,
    id: ThreadId,
    ctx: &OrgContext,
) -> AppResult<Vec<MessageView>> {
    let mut s = Sql::new("");
    let viewer = match v {
        Viewer::Owner(_) => None,
        Viewer::Sitter(_, sid) => Some(s.int(sid.0)),
    };
    let shown = viewer.as_deref().map(sitter_text).unwrap_or_else(|| "m.body".into());
    s.push(&format!(
        "SELECT m.id, m.direction, m.sender_kind, {shown} AS body, m.status, m.error_code, m.error_message, m.created_at, m.scheduled_for,
                m.routing_decision_id, m.routed_to, m.num_media, u.name AS user_name, s.first_name AS sitter_name, a.name AS automation_name, ts.first_name AS target_name,
                (SELECT pv.id FROM policy_violations pv WHERE pv.message_id = m.id ORDER BY pv.id LIMIT 1) AS violation_id
         FROM messages m
         LEFT JOIN users u ON u.id = m.sender_user_id
         LEFT JOIN sitters s ON s.id = m.sender_sitter_id
         LEFT JOIN automations a ON a.id = m.automation_id
         LEFT JOIN sitters ts ON ts.id = m.target_sitter_id
         WHERE m.thread_id = "
    ));
    let p = s.int(id.0);
    s.push(&p);
    if let Some(ps) = &viewer {
        s.push(" AND ").push(&sitter_visible(ps));
    }
    s.push(" ORDER BY m.id DESC LIMIT 300");
    let rows = s.query().fetch_all(&mut *c).await?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.try_get::<i64, _>("id").ok()).collect();
    let media = media_for(c, &ids).await?;
    let owner = matches!(v, Viewer::Owner(_));
    let client_label = if owner { h.client_name.clone() } else { sitter_name_for(h.unknown, &h.first_name) };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.iter().rev() {
        let mid: i64 = r.try_get("id")?;
        let kind = match r.try_get::<String, _>("direction")?.as_str() {
            "inbound" => MessageKind::Inbound,
            "outbound" => MessageKind::Outbound,
            _ => MessageKind::Note,
        };
        let status_raw: String = r.try_get("status")?;
        let body: String = r.try_get("body")?;
        let sender = match (kind, r.try_get::<String, _>("sender_kind")?.as_str()) {
            (MessageKind::Inbound, _) => client_label.clone(),
            (MessageKind::Note, _) => "Leashline".to_string(),
            (_, "owner") => r
                .try_get::<Option<String>, _>("user_name")?
                .map(|n| format!("{n} (owner)"))
                .unwrap_or_else(|| "Owner".into()),
            (_, "sitter") => r.try_get::<Option<String>, _>("sitter_name")?.unwrap_or_else(|| "Sitter".into()),
            (_, "api") => "Integration (API)".to_string(),
            (_, "automation") => {
                format!("Automation: {}", r.try_get::<Option<String>, _>("automation_name")?.unwrap_or_default())
            }
            _ => "Leashline (automatic)".to_string(),
        };
        let status = if kind == MessageKind::Outbound {
            crate::domain::delivery::DeliveryStatus::parse(&status_raw)
        } else {
            None
        };
        let held = matches!(status_raw.as_str(), "blocked" | "held").then(|| status_raw.clone());
        let error_code: Option<String> = r.try_get("error_code")?;
        let failure = status.filter(|s| s.is_failure()).map(|_| {
            r.try_get::<Option<String>, _>("error_message")
                .ok()
                .flatten()
                .unwrap_or_else(|| crate::domain::provider_errors::explain(error_code.as_deref()).sentence())
        });
        let routed = if owner && kind == MessageKind::Inbound {
            r.try_get::<Option<String>, _>("routed_to")?.map(|t| match t.as_str() {
                "sitter" => format!(
                    "To {}",
                    r.try_get::<Option<String>, _>("target_name").ok().flatten().unwrap_or_else(|| "a sitter".into())
                ),
                "record_only" => "Recorded only (opted out)".into(),
                "rejected" => "Rejected".into(),
                _ => "To owner inbox".into(),
            })
        } else {
            None
        };
        let scheduled: Option<i64> = r.try_get("scheduled_for")?;
        out.push(MessageView {
            id: MessageId(mid),
            kind,
            sender,
            body,
            at: ctx.tz.date_time(from_ms(r.try_get("created_at")?)),
            status,
            held,
            failure,
            media: media.iter().filter(|(m, _)| *m == mid).map(|(_, v)| v.clone()).collect(),
            violation_id: r.try_get("violation_id")?,
            decision_id: if owner { r.try_get("routing_decision_id")? } else { None },
            routed,
            can_retry: owner
                && status.is_some_and(|s| s.is_failure())
                && error_code.as_deref().is_none_or(|c| c != "21610" && !crate::domain::outbound::Skip::is_code(c)),
            scheduled: scheduled.filter(|_| status_raw == "queued").map(|t| ctx.tz.date_time(from_ms(t))),
        });
    }
    Ok(out)
}

async fn media_for(c: &mut AnyConnection, ids: &[i64]) -> AppResult<Vec<(i64, MediaView)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let st = state()?;
    let now = now();
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows = sqlx::query(&format!("SELECT id, message_id, content_type, stored_path, error FROM message_media WHERE message_id IN ({list}) ORDER BY message_id, idx"))
        .fetch_all(&mut *c)
        .await?;
    let views = rows
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let stored = r.try_get::<Option<String>, _>("stored_path")?.is_some();
            let error: Option<String> = r.try_get("error")?;
            let state = if stored {
                // The type recorded when it was kept is the one its bytes showed.
                let ct: Option<String> = r.try_get("content_type")?;
                let shown = match ct.as_deref().unwrap_or("").split('/').next() {
                    Some("image") => Some(MediaKind::Picture),
                    Some("audio") => Some(MediaKind::Sound),
                    Some("video") => Some(MediaKind::Video),
                    _ => None,
                };
                MediaState::Ready { url: crate::messaging::media::signed_path(&st.secrets, id, now), shown }
            } else {
                use crate::messaging::media::{DEMO_NOT_KEPT, NOT_KEPT};
                match error {
                    Some(e) if e == DEMO_NOT_KEPT => MediaState::NotKept(e),
                    Some(e) if e.starts_with(NOT_KEPT) => {
                        MediaState::NotKept("This attachment couldn't be downloaded.".into())
                    }
                    _ => MediaState::Arriving,
                }
            };
            Ok((r.try_get("message_id")?, MediaView { id, state }))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(views)
}

/// What the sender is told of a send: sent, waiting until a time (in the
/// business's zone), "send anyway?" with what was found, or refused.
pub(crate) fn result_of(outcome: SendOutcome, tz: BusinessTz) -> SendResult {
    match outcome {
        SendOutcome::Queued { message_id, scheduled_for: Some(at) } => {
            SendResult::Scheduled { message_id, at: tz.date_time(at) }
        }
        SendOutcome::Queued { message_id, .. } => SendResult::Sent { message_id },
        SendOutcome::NeedsConfirmation { hits, redacted } => {
            SendResult::NeedsConfirmation { redacted, what: outbound::describe_hits(&hits) }
        }
        SendOutcome::Refused { reason, .. } => SendResult::Refused { reason },
    }
}

pub async fn send_message(thread: ThreadId, body: String, confirm: bool) -> AppResult<SendResult> {
    let v = viewer().await?;
    let st = state()?;
    let req = SendRequest {
        org: v.org(),
        thread,
        body,
        sender: v.sender(),
        actor: v.actor(),
        confirmed: confirm && matches!(v, Viewer::Owner(_)),
        automation_id: None,
    };
    let tz = {
        let mut c = st.db.read.acquire().await?;
        mstore::org_context(&mut c, v.org()).await?.tz
    };
    match send::send(&st, req).await {
        Ok(outcome) => Ok(result_of(outcome, tz)),
        Err(send::SendError::NoThread) => Err(AppError::NotFound("That conversation doesn't exist.".into())),
        Err(send::SendError::Db(e)) => Err(e.into()),
    }
}

/// The reply form without script: sends through `send_message` and
/// redirects back to the conversation — clean when it went, with the text
/// and the reason when it didn't (refused, needs the owner's confirmation,
/// or failed), and to sign-in when the session is gone.
pub async fn post_reply(thread: ThreadId, body: String, confirm: bool) -> AppResult<()> {
    let to = if body.trim().is_empty() {
        reply_return(thread, None, Some("Type a message first."), None)
    } else {
        match send_message(thread, body.clone(), confirm).await {
            Ok(SendResult::Sent { .. }) => reply_return(thread, None, None, None),
            Ok(SendResult::Scheduled { at, .. }) => {
                reply_return(thread, None, None, Some(&format!("Quiet hours: it will go out {at}")))
            }
            Ok(SendResult::NeedsConfirmation { what, .. }) => {
                let why = format!(
                    "This looks like it shares {what}. Sending contact details lets clients and sitters leave the \
                     platform; press Send anyway to send it (it is recorded)."
                );
                format!("{}&confirm=1", reply_return(thread, Some(&body), Some(&why), None))
            }
            Ok(SendResult::Refused { reason }) => reply_return(thread, Some(&body), Some(&reason), None),
            Err(AppError::Unauthenticated) => "/login".to_string(),
            Err(e) => reply_return(thread, Some(&body), Some(&e.to_string()), None),
        }
    };
    leptos_axum::redirect(&to);
    Ok(())
}

pub async fn retry_message(id: MessageId) -> AppResult<()> {
    let v = viewer().await?;
    let Viewer::Owner(_) = &v else { return Err(AppError::owner_only()) };
    let st = state()?;
    crate::messaging::delivery::retry(&st, v.org(), id, &v.actor()).await
}

pub async fn set_read(thread: ThreadId, read: bool) -> AppResult<()> {
    let v = viewer().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    // The thread must exist in the viewer's business.
    header(&mut tx, v.org(), thread).await?;
    if let Viewer::Sitter(_, s) = &v {
        if sitter_access(&mut tx, *s, thread, now).await? != SitterAccess::Active {
            return Err(not_yours());
        }
    }
    // Read state is each person's own: nobody else's badge changes.
    let was_unread = my_unread(&mut tx, thread, v.user().user_id.0).await? > 0;
    if was_unread == !read {
        return Ok(());
    }
    mstore::mark_read_by(&mut tx, thread, v.user().user_id.0, read, now).await?;
    audit::append(
        &mut tx,
        v.org(),
        &v.actor(),
        Event::new(
            if read { "thread.marked_read" } else { "thread.marked_unread" },
            "thread",
            thread,
            format!("{} marked the conversation {}", v.user().name, if read { "read" } else { "unread" }),
        )
        .thread(thread.0),
    )
    .await?;
    tx.commit().await?;
    st.publish(crate::platform::state::LiveEvent {
        org_id: v.org().0,
        thread_id: Some(thread.0),
        owner_only: false,
        kind: "thread.read".into(),
        data: serde_json::json!({ "thread_id": thread.0 }),
    });
    Ok(())
}

pub async fn routing_decision(id: i64) -> AppResult<DecisionView> {
    let v = viewer().await?;
    let Viewer::Owner(_) = &v else { return Err(AppError::owner_only()) };
    let st = state()?;
    let r = sqlx::query("SELECT evaluated_at, reason, target, snapshot, decision, ruleset_version FROM routing_decisions WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(v.org().0)
        .fetch_optional(&st.db.read)
        .await?
        .ok_or_else(|| AppError::NotFound("That routing decision doesn't exist.".into()))?;
    let snapshot_json: String = r.try_get("snapshot")?;
    let decision_json: String = r.try_get("decision")?;
    let snapshot: RoutingSnapshot = serde_json::from_str(&snapshot_json)?;
    let decision: Decision = serde_json::from_str(&decision_json)?;
    let replay = serde_json::to_string(&decide(&snapshot))?;
    let tz: BusinessTz = snapshot.time_zone;
    Ok(DecisionView {
        id,
        at: tz.date_time(from_ms(r.try_get("evaluated_at")?)),
        reason: decision.reason.clone(),
        target: r.try_get("target")?,
        trace: decision.trace.clone(),
        ruleset_version: r.try_get("ruleset_version")?,
        replay_identical: replay == decision_json,
        snapshot_json: serde_json::to_string_pretty(&snapshot).unwrap_or(snapshot_json),
    })
}

pub async fn violation_detail(id: i64) -> AppResult<ViolationView> {
    let v = viewer().await?;
    let st = state()?;
    let r = sqlx::query("SELECT redacted, hits, status, outcome, sitter_id, direction FROM policy_violations WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(v.org().0)
        .fetch_optional(&st.db.read)
        .await?
        .ok_or_else(|| AppError::NotFound("That policy finding doesn't exist.".into()))?;
    if let Viewer::Sitter(_, s) = &v {
        if r.try_get::<Option<i64>, _>("sitter_id")? != Some(s.0) {
            return Err(AppError::Forbidden("You can only see why your own messages were stopped.".into()));
        }
    }
    let hits: Vec<Hit> = serde_json::from_str(&r.try_get::<String, _>("hits")?).unwrap_or_default();
    Ok(ViolationView {
        id,
        redacted: r.try_get("redacted")?,
        kinds: hits.iter().map(|h| h.kind.title().to_string()).collect(),
        reasons: hits.iter().map(|h| h.reason.clone()).collect(),
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
    })
}

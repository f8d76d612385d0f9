//! The demo business (`server seed --demo`, and `make run` on first start):
//! a realistic small pet-sitting company so a newcomer can click through
//! every screen. Times are relative to now, so windows are always "around
//! now". Everything is inserted in one transaction with one audit event.

use crate::config::Config;
use app::domain::ids::OrgId;
use app::domain::roles::ActorKind;
use app::domain::settings::OrgSettings;
use app::platform::audit::{self, Actor, Event};
use app::platform::crypto::hash_password;
use app::platform::{ms, now, AppState, Db, Tx};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

pub const DEMO_PASSWORD: &str = "password123";
pub const FRONT_DESK: &str = "+15125550100";

pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM organisations").fetch_one(&db.read).await?.try_get("n")?;
    Ok(n == 0)
}

async fn id<'q>(
    tx: &mut Tx,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<i64, sqlx::Error> {
    q.fetch_one(&mut **tx).await?.try_get("id")
}

/// (name, first name, sign-in email, active, sitter number)
type RosterEntry = (&'static str, &'static str, Option<&'static str>, bool, Option<&'static str>);

struct Sitter {
    id: i64,
    number_id: Option<i64>,
    number: Option<&'static str>,
}

const CLIENTS: [(&str, &str); 30] = [
    ("Ana Lopez", "Ana"),
    ("Ben Carter", "Ben"),
    ("Chloe Nguyen", "Chloe"),
    ("Daniel Brooks", "Daniel"),
    ("Emma Wilson", "Emma"),
    ("Farah Haddad", "Farah"),
    ("George Miller", "George"),
    ("Hannah Schultz", "Hannah"),
    ("Isaac Thompson", "Isaac"),
    ("Julia Romano", "Julia"),
    ("Kevin O'Brien", "Kevin"),
    ("Laura Bennett", "Laura"),
    ("Marcus Reed", "Marcus"),
    ("Nina Petrova", "Nina"),
    ("Oscar Alvarez", "Oscar"),
    ("Paula Jensen", "Paula"),
    ("Quinn Harper", "Quinn"),
    ("Rosa Martinez", "Rosa"),
    ("Sophie Turner", "Sophie"),
    ("Tom Fischer", "Tom"),
    ("Uma Krishnan", "Uma"),
    ("Victor Chen", "Victor"),
    ("Wendy Park", "Wendy"),
    ("Xavier Dubois", "Xavier"),
    ("Yara Silva", "Yara"),
    ("Zoe Hughes", "Zoe"),
    ("Aaron Webb", "Aaron"),
    ("Bianca Costa", "Bianca"),
    ("Caleb Foster", "Caleb"),
    ("Diana Moreau", "Diana"),
];

const PETS: [&str; 10] = ["Max", "Bella", "Luna", "Charlie", "Milo", "Daisy", "Rocky", "Coco", "Biscuit", "Pepper"];

/// (from client?, text) per conversation; {pet} is replaced.
const CONVERSATIONS: [&[(bool, &str)]; 6] = [
    &[
        (true, "Hi! Can you do an extra walk for {pet} on Friday around noon?"),
        (false, "Of course! I'll add a noon walk on Friday."),
        (true, "Perfect, thank you 🙏"),
    ],
    &[
        (false, "Just dropped by — {pet} ate everything and we did a 30 min walk. All good!"),
        (true, "Thanks so much! Did {pet} take the pill?"),
        (false, "Yes, hidden in a bit of cheese as usual."),
    ],
    &[
        (true, "The gate code changed to 4821#, FYI"),
        (false, "Got it, thanks for the heads up."),
        (true, "Also {pet} has been limping a little, can you keep an eye on it?"),
    ],
    &[
        (true, "We land at 11:40pm on Sunday, could you do a late check-in?"),
        (false, "Sure, I can swing by at 9 pm and again Monday morning."),
    ],
    &[
        (false, "Reminder: I'll be there tomorrow at 8 am for {pet}'s walk."),
        (true, "Great, the key is in the lockbox."),
        (false, "See you then!"),
        (true, "Oh and please refill the water bowl, it's hot out"),
    ],
    &[(true, "Hello, do you have availability next weekend for {pet}? Two nights.")],
];

/// What every part of the demo load refers back to.
struct Demo {
    org: i64,
    owner: i64,
    /// Now: every time in the demo is relative to it.
    t: DateTime<Utc>,
    front_desk: i64,
    pool: Vec<(i64, &'static str)>,
    sitters: Vec<Sitter>,
}

/// Where a seeded conversation stands after its texts.
struct Progress {
    at: DateTime<Utc>,
    last_inbound: Option<DateTime<Utc>>,
    unread: i64,
    last_preview: String,
}

/// One demo client's conversation: who they are and where it runs.
struct Conversation<'a> {
    i: usize,
    client: i64,
    phone: &'a str,
    thread: i64,
    number_id: i64,
    business_e164: &'a str,
    sitter: Option<&'a Sitter>,
}

pub async fn demo(state: &AppState, config: &Config) -> Result<(), sqlx::Error> {
    let t = now();
    let mut tx = state.db.begin().await?;
    let org = organisation(&mut tx, config, t).await?;
    let pw = hash_password(DEMO_PASSWORD);
    let owner = id(
        &mut tx,
        sqlx::query("INSERT INTO users (org_id, email, name, password_hash, role, created_at) VALUES ($1, 'owner@example.com', 'Olivia Grant', $2, 'owner', $3) RETURNING id")
            .bind(org)
            .bind(&pw)
            .bind(ms(t - Duration::days(120))),
    )
    .await?;
    let (front_desk, pool) = numbers(&mut tx, org, t).await?;
    let sitters = sitters(&mut tx, org, t, &pw).await?;
    let d = Demo { org, owner, t, front_desk, pool, sitters };
    for i in 0..CLIENTS.len() {
        d.client(&mut tx, i).await?;
    }
    d.finishing_touches(&mut tx).await?;
    let actor = Actor { kind: ActorKind::System, id: None, name: "Demo loader".into(), request_id: None };
    audit::append(
        &mut tx,
        OrgId(org),
        &actor,
        Event::new("demo.seeded", "organisation", org, "Demo business loaded: 5 sitters, 30 clients, 10 numbers")
            .payload(serde_json::json!({ "sitters": 5, "clients": 30, "numbers": 10 })),
    )
    .await?;
    tx.commit().await?;
    // What sitters may read of the loaded texts, decided as for live ones.
    app::messaging::redaction::backfill(&state.db).await?;
    Ok(())
}

/// The business, set up and ready.
async fn organisation(tx: &mut Tx, config: &Config, t: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    // With PROVIDER=twilio the demo business runs on that account: its
    // numbers are recorded as already owned (no purchases) and webhook
    // signatures are checked — handy for staging.
    let (provider_kind, provider_label, account) = match &config.provider {
        crate::config::ProviderChoice::Twilio { account_sid, .. } => {
            ("twilio", app::messaging::provider::account_label(account_sid), Some(account_sid.clone()))
        }
        crate::config::ProviderChoice::PerOrganisation => ("demo", "Demo provider".to_string(), None),
    };
    let mut settings = OrgSettings::default();
    if let Some(e164) = app::domain::phone::E164::from_canonical(FRONT_DESK) {
        settings.policy.allowlist.push(app::domain::policy::AllowedNumber { label: "Front Desk".into(), e164 });
    }
    let org = id(
        tx,
        sqlx::query(
            "INSERT INTO organisations (name, time_zone, provider_kind, provider_label, provider_connected_at, help_text, ready_at, settings, created_at, provider_account_sid)
             VALUES ('Happy Tails Pet Care', 'America/Chicago', $5, $6, $1, $2, $1, $3, $4, $7) RETURNING id",
        )
        .bind(ms(t))
        .bind("Happy Tails Pet Care: text this number any time. Reply STOP to opt out. For emergencies call your vet.")
        .bind(serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into()))
        .bind(ms(t - Duration::days(120)))
        .bind(provider_kind)
        .bind(provider_label)
        .bind(account),
    )
    .await?;
    sqlx::query(
        "INSERT INTO setup_progress (org_id, current_step, completed_steps, skipped_steps, data, finished_at, updated_at)
         VALUES ($1, 7, '[1,2,3,4,5,6,7]', '[]', '{\"mode\":\"demo\"}', $2, $2)",
    )
    .bind(org)
    .bind(ms(t))
    .execute(&mut **tx)
    .await?;
    Ok(org)
}

/// When the demo's numbers were bought.
fn bought(t: DateTime<Utc>) -> i64 {
    ms(t - Duration::days(110))
}

async fn number(tx: &mut Tx, org: i64, e164: &str, class: &str, t: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    id(
        tx,
        sqlx::query(
            "INSERT INTO numbers (org_id, e164, class, status, area_code, monthly_cost_cents, purchased_at, registration, hookup_status, hookup_checked_at, provider_sid, created_at)
             VALUES ($1, $2, $3, 'active', '512', 115, $4, 'registered', 'verified', $4, $5, $4) RETURNING id",
        )
        .bind(org)
        .bind(e164.to_string())
        .bind(class.to_string())
        .bind(bought(t))
        .bind(format!("PNdemo{}", &e164[e164.len() - 4..])),
    )
    .await
}

/// The Front Desk, three pool numbers, a spare sitter number and a
/// quarantined one; returns the Front Desk and the pool.
async fn numbers(tx: &mut Tx, org: i64, t: DateTime<Utc>) -> Result<(i64, Vec<(i64, &'static str)>), sqlx::Error> {
    let front_desk = number(tx, org, FRONT_DESK, "front_desk", t).await?;
    let mut pool = Vec::new();
    for e in ["+15125550150", "+15125550151", "+15125550152"] {
        pool.push((number(tx, org, e, "pool", t).await?, e));
    }
    number(tx, org, "+15125550105", "sitter", t).await?;
    let quarantined = number(tx, org, "+15125550160", "sitter", t).await?;
    sqlx::query(
        "UPDATE numbers SET status = 'quarantined', quarantined_at = $1, quarantine_reason = 'delivery_failures', quarantine_note = 'Carrier filtering', cooldown_until = $2 WHERE id = $3",
    )
    .bind(ms(t - Duration::days(10)))
    .bind(ms(t + Duration::days(80)))
    .bind(quarantined)
    .execute(&mut **tx)
    .await?;
    Ok((front_desk, pool))
}

/// Five sitters (Maya and Jordan can sign in; Alex is inactive), each
/// active one with their number.
async fn sitters(tx: &mut Tx, org: i64, t: DateTime<Utc>, pw: &str) -> Result<Vec<Sitter>, sqlx::Error> {
    let roster: [RosterEntry; 5] = [
        ("Maya Chen", "Maya", Some("sitter@example.com"), true, Some("+15125550101")),
        ("Jordan Rivera", "Jordan", Some("jordan@example.com"), true, Some("+15125550102")),
        ("Sam Patel", "Sam", None, true, Some("+15125550103")),
        ("Priya Nair", "Priya", None, true, Some("+15125550104")),
        ("Alex Kim", "Alex", None, false, None),
    ];
    let mut sitters = Vec::new();
    for (i, (name, first, email, active, num)) in roster.iter().enumerate() {
        let sid = id(
            tx,
            sqlx::query("INSERT INTO sitters (org_id, name, first_name, phone, email, active, created_at, deactivated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(org)
                .bind(*name)
                .bind(*first)
                .bind(format!("+1512555017{i}"))
                .bind(*email)
                .bind(i16::from(*active))
                .bind(ms(t - Duration::days(100)))
                .bind((!active).then(|| ms(t - Duration::days(20)))),
        )
        .await?;
        if let Some(email) = email {
            sqlx::query("INSERT INTO users (org_id, email, name, password_hash, role, sitter_id, created_at) VALUES ($1, $2, $3, $4, 'sitter', $5, $6)")
                .bind(org)
                .bind(*email)
                .bind(*name)
                .bind(pw)
                .bind(sid)
                .bind(ms(t - Duration::days(100)))
                .execute(&mut **tx)
                .await?;
        }
        let mut number_id = None;
        if let Some(e) = num {
            let nid = number(tx, org, e, "sitter", t).await?;
            sqlx::query("UPDATE numbers SET sitter_id = $1 WHERE id = $2")
                .bind(sid)
                .bind(nid)
                .execute(&mut **tx)
                .await?;
            sqlx::query("INSERT INTO number_assignments (org_id, number_id, sitter_id, class, started_at, reason) VALUES ($1, $2, $3, 'sitter', $4, 'Sitter activated')")
                .bind(org)
                .bind(nid)
                .bind(sid)
                .bind(bought(t))
                .execute(&mut **tx)
                .await?;
            number_id = Some(nid);
        }
        sitters.push(Sitter { id: sid, number_id, number: *num });
    }
    Ok(sitters)
}

impl Demo {
    fn hour(&self, h: i64) -> DateTime<Utc> {
        self.t + Duration::hours(h)
    }

    /// Client `i`: contacts, conversation, windows, texts.
    async fn client(&self, tx: &mut Tx, i: usize) -> Result<(), sqlx::Error> {
        let (client, phone) = self.client_and_contacts(tx, i).await?;
        let (sitter, number_id, business_e164) = self.handler(i);
        let convo = CONVERSATIONS[i % CONVERSATIONS.len()];
        // The first client of each sitter talks inside the window active now,
        // so sitters have a live conversation to open.
        let started = if matches!(i, 0 | 6 | 11 | 15 | 25) {
            self.t - Duration::minutes(100)
        } else {
            self.t - Duration::hours(6 + (i as i64 * 7) % 60)
        };
        let thread = self.thread(tx, i, client, number_id, &phone, started, convo[0].0).await?;
        let c = Conversation { i, client, phone: &phone, thread, number_id, business_e164, sitter };
        self.windows(tx, &c).await?;
        let mut p = self.texts(tx, &c, convo, started).await?;
        if i == 21 {
            self.shared_number(tx, &c, &mut p).await?;
        }
        let last_at = p.at - Duration::minutes(7);
        let awaiting = convo.last().filter(|(c, _)| *c).map(|_| ms(p.last_inbound.unwrap_or(last_at)));
        sqlx::query(
            "UPDATE threads SET last_message_at = $1, last_message_preview = $2, last_inbound_at = $3, unread_count = $4, awaiting_reply_since = $5 WHERE id = $6",
        )
        .bind(ms(last_at))
        .bind(&p.last_preview)
        .bind(p.last_inbound.map(ms))
        .bind(if i.is_multiple_of(3) { p.unread } else { 0 })
        .bind(awaiting)
        .bind(thread)
        .execute(&mut **tx)
        .await?;
        if i == 29 {
            // Diana replied STOP on the Front Desk line.
            sqlx::query("INSERT INTO opt_outs (org_id, e164, number_id, opted_out, changed_at, source) VALUES ($1, $2, $3, 1, $4, 'keyword')")
                .bind(self.org)
                .bind(&phone)
                .bind(self.front_desk)
                .bind(ms(self.t - Duration::days(2)))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn client_and_contacts(&self, tx: &mut Tx, i: usize) -> Result<(i64, String), sqlx::Error> {
        let (org, t) = (self.org, self.t);
        let (name, first) = CLIENTS[i];
        let cid = id(
            tx,
            sqlx::query("INSERT INTO clients (org_id, name, first_name, opted_out_everywhere, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4) RETURNING id")
                .bind(org)
                .bind(name)
                .bind(first)
                .bind(ms(t - Duration::days(90 - i as i64))),
        )
        .await?;
        // Uma's phone is the Demo provider's "unreachable" number, so the
        // demo shows a failed delivery and its retry.
        let phone = if i == 20 {
            app::messaging::provider::magic::UNREACHABLE.to_string()
        } else {
            format!("+1737555{:04}", 100 + i)
        };
        sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, $3, 'Mobile', $4)")
            .bind(org)
            .bind(cid)
            .bind(&phone)
            .bind(ms(t - Duration::days(90)))
            .execute(&mut **tx)
            .await?;
        if i == 1 {
            sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, '+17375550199', 'Partner', $3)")
                .bind(org)
                .bind(cid)
                .bind(ms(t - Duration::days(90)))
                .execute(&mut **tx)
                .await?;
        }
        Ok((cid, phone))
    }

    /// Who handles client `i`: 0-5 Maya, 6-10 Jordan, 11-14 Sam, 15-18
    /// Priya, 19-24 Front Desk, 25-26 pool (one-time), 27-29 Front Desk.
    fn handler(&self, i: usize) -> (Option<&Sitter>, i64, &'static str) {
        let own = |s: &Sitter| s.number_id.unwrap_or(self.front_desk);
        let shown = |s: &Sitter| s.number.unwrap_or(FRONT_DESK);
        let by = |k: usize| {
            let s = &self.sitters[k];
            (Some(s), own(s), shown(s))
        };
        match i {
            0..=5 => by(0),
            6..=10 => by(1),
            11..=14 => by(2),
            15..=18 => by(3),
            25 => (Some(&self.sitters[0]), self.pool[0].0, self.pool[0].1),
            26 => (Some(&self.sitters[2]), self.pool[1].0, self.pool[1].1),
            _ => (None, self.front_desk, FRONT_DESK),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn thread(
        &self,
        tx: &mut Tx,
        i: usize,
        client: i64,
        number_id: i64,
        phone: &str,
        started: DateTime<Utc>,
        client_started: bool,
    ) -> Result<i64, sqlx::Error> {
        let thread = id(
            tx,
            sqlx::query("INSERT INTO threads (org_id, client_id, number_id, is_current, started_by, created_at) VALUES ($1, $2, $3, 1, $4, $5) RETURNING id")
                .bind(self.org)
                .bind(client)
                .bind(number_id)
                .bind(if client_started { "client" } else { "business" })
                .bind(ms(started - Duration::days(30))),
        )
        .await?;
        sqlx::query("INSERT INTO thread_participants (thread_id, e164, added_at) VALUES ($1, $2, $3)")
            .bind(thread)
            .bind(phone.to_string())
            .bind(ms(started))
            .execute(&mut **tx)
            .await?;
        if i == 1 {
            sqlx::query("INSERT INTO thread_participants (thread_id, e164, added_at) VALUES ($1, '+17375550199', $2)")
                .bind(thread)
                .bind(ms(started))
                .execute(&mut **tx)
                .await?;
        }
        Ok(thread)
    }

    /// The first client of each sitter is in a window active now, the
    /// second starts tomorrow morning, the rest had one last week; client 12
    /// is also booked with Priya, overlapping Sam: a conflict to resolve.
    async fn windows(&self, tx: &mut Tx, c: &Conversation<'_>) -> Result<(), sqlx::Error> {
        let (org, owner, t, i) = (self.org, self.owner, self.t, c.i);
        if let Some(s) = c.sitter {
            let kind = if (25..=26).contains(&i) { "one_time_booking" } else { "weekly_client" };
            let (start, end) = if matches!(i, 0 | 6 | 11 | 15 | 25) {
                (self.hour(-2), self.hour(5))
            } else if matches!(i, 1 | 7 | 12 | 16 | 26) {
                (self.hour(18), self.hour(26))
            } else {
                (self.hour(-24 * 6), self.hour(-24 * 6 + 4))
            };
            let booking = if kind == "one_time_booking" {
                Some(
                    id(
                        tx,
                        sqlx::query("INSERT INTO bookings (org_id, client_id, sitter_id, service, starts_at, ends_at, status, created_at, created_by) VALUES ($1, $2, $3, 'Drop-in visit', $4, $5, 'confirmed', $6, $7) RETURNING id")
                            .bind(org)
                            .bind(c.client)
                            .bind(s.id)
                            .bind(ms(start))
                            .bind(ms(end))
                            .bind(ms(t - Duration::days(3)))
                            .bind(owner),
                    )
                    .await?,
                )
            } else {
                None
            };
            window(tx, org, c.thread, c.client, s.id, kind, booking, start, end, owner, t).await?;
        }
        if i == 12 {
            let (start, end) = (self.hour(22), self.hour(30));
            window(tx, org, c.thread, c.client, self.sitters[3].id, "weekly_client", None, start, end, owner, t)
                .await?;
        }
        Ok(())
    }

    /// The conversation's texts, each inbound one routed by the real engine;
    /// Uma's replies (client 20) were not delivered.
    async fn texts(
        &self,
        tx: &mut Tx,
        c: &Conversation<'_>,
        convo: &[(bool, &str)],
        started: DateTime<Utc>,
    ) -> Result<Progress, sqlx::Error> {
        let pet = PETS[c.i % PETS.len()];
        let mut p = Progress { at: started, last_inbound: None, unread: 0, last_preview: String::new() };
        for (k, (from_client, text)) in convo.iter().enumerate() {
            let at = p.at;
            let body = text.replace("{pet}", pet);
            let (direction, sender_kind, from, to, status) = if *from_client {
                ("inbound", "client", c.phone, c.business_e164, "received")
            } else {
                ("outbound", if c.sitter.is_some() { "sitter" } else { "owner" }, c.business_e164, c.phone, "delivered")
            };
            let (routed_to, target_sitter, decision_id) = if *from_client {
                let (r, s, d) = route_seeded(tx, self.org, c.number_id, c.thread, c.phone, at).await?;
                (Some(r), s, Some(d))
            } else {
                (None, None, None)
            };
            let failed = !from_client && c.i == 20;
            let sid = format!("SMdemo{:04}{k:02}", c.thread);
            let mid: i64 = sqlx::query(
                "INSERT INTO messages (org_id, thread_id, direction, sender_kind, sender_sitter_id, sender_user_id, from_e164, to_e164, body, status, provider_sid, segments, encoding, routed_to, target_sitter_id, created_at, sent_at, delivered_at, routing_decision_id, error_code, error_message, failed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, 'gsm7', $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
            )
            .bind(self.org)
            .bind(c.thread)
            .bind(direction)
            .bind(sender_kind)
            .bind(if sender_kind == "sitter" { c.sitter.map(|s| s.id) } else { None })
            .bind(if sender_kind == "owner" { Some(self.owner) } else { None })
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(&body)
            .bind(if failed { "undelivered" } else { status })
            .bind(&sid)
            .bind(routed_to)
            .bind(target_sitter)
            .bind(ms(at))
            .bind((!from_client).then(|| ms(at)))
            .bind((!from_client && !failed).then(|| ms(at + Duration::seconds(4))))
            .bind(decision_id)
            .bind(failed.then_some("30003"))
            .bind(failed.then(|| app::domain::provider_errors::explain(Some("30003")).sentence()))
            .bind(failed.then(|| ms(at + Duration::seconds(4))))
            .fetch_one(&mut **tx)
            .await?
            .try_get("id")?;
            if let Some(d) = decision_id {
                sqlx::query("UPDATE routing_decisions SET message_id = $1 WHERE id = $2")
                    .bind(mid)
                    .bind(d)
                    .execute(&mut **tx)
                    .await?;
            }
            if failed {
                undelivered(tx, mid, c.thread, &sid, at).await?;
            }
            if *from_client {
                p.last_inbound = Some(at);
                p.unread += 1;
            } else {
                p.unread = 0;
            }
            p.last_preview = body.chars().take(120).collect();
            p.at += Duration::minutes(7 + (k as i64 * 13) % 40);
        }
        Ok(p)
    }

    /// Victor (client 21) shares another number: delivered, flagged for review.
    async fn shared_number(&self, tx: &mut Tx, c: &Conversation<'_>, p: &mut Progress) -> Result<(), sqlx::Error> {
        let body = "You can also reach me on my other number 512 555 3344";
        let at = p.at;
        let hits = app::domain::policy::check(body);
        let (routed, target, d) = route_seeded(tx, self.org, c.number_id, c.thread, c.phone, at).await?;
        let mid: i64 = sqlx::query(
            "INSERT INTO messages (org_id, thread_id, direction, sender_kind, from_e164, to_e164, body, status, provider_sid, routed_to, target_sitter_id, routing_decision_id, policy_flagged, created_at)
             VALUES ($1, $2, 'inbound', 'client', $3, $4, $5, 'received', $6, $7, $8, $9, 1, $10) RETURNING id",
        )
        .bind(self.org)
        .bind(c.thread)
        .bind(c.phone.to_string())
        .bind(c.business_e164.to_string())
        .bind(body)
        .bind(format!("SMdemo{:04}99", c.thread))
        .bind(routed)
        .bind(target)
        .bind(d)
        .bind(ms(at))
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        let flagged = app::policy::store::NewViolation {
            org: OrgId(self.org),
            thread: app::domain::ids::ThreadId(c.thread),
            message_id: Some(mid),
            direction: app::domain::routing::Direction::Inbound,
            actor_kind: "client",
            sitter_id: None,
            user_id: None,
            body,
            hits: &hits,
            outcome: app::domain::policy::ViolationOutcome::Flagged,
            status: app::domain::policy::ViolationStatus::Open,
            at,
        };
        app::policy::store::insert_violation(tx, &flagged).await?;
        sqlx::query("UPDATE threads SET open_violations = 1 WHERE id = $1").bind(c.thread).execute(&mut **tx).await?;
        p.last_preview = body.to_string();
        p.last_inbound = Some(at);
        p.at += Duration::minutes(3);
        Ok(())
    }

    /// Numbers' last use, a background job that gave up, the scheduled
    /// alert rules, two open alerts, and who has read what.
    async fn finishing_touches(&self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        let (org, t, front_desk) = (self.org, self.t, self.front_desk);
        sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE org_id = $2 AND status = 'active'")
            .bind(ms(t - Duration::hours(1)))
            .bind(org)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
            .bind(ms(t - Duration::days(4)))
            .bind(self.pool[2].0)
            .execute(&mut **tx)
            .await?;

        // One background job that gave up, so Settings → Failed jobs has
        // something to replay or ignore: ending an override that was already
        // removed by hand (harmless either way).
        let gave_up = ms(t - Duration::hours(3));
        sqlx::query(
            "INSERT INTO jobs (org_id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, finished_at)
             VALUES ($1, 'override.expire', '{\"id\": 0}', 'dead', 3, 3, $2, 'database is locked (the server was restarting)', $2, $2)",
        )
        .bind(org)
        .bind(gave_up)
        .execute(&mut **tx)
        .await?;

        // The scheduled alert rules start watching now: the history above was
        // loaded, not lived, so it raises nothing by itself.
        for rule in app::domain::alerts::RULES.iter().filter(|r| r.scheduled) {
            sqlx::query("INSERT INTO alert_rules (org_id, rule, enabled, severity, threshold, watching_since) VALUES ($1, $2, 1, $3, '{}', $4)")
                .bind(org)
                .bind(rule.key)
                .bind(rule.severity.as_str())
                .bind(ms(t))
                .execute(&mut **tx)
                .await?;
        }

        // Two open alerts for the Alerts page: a critical one (only resolvable)
        // and a warning.
        sqlx::query(
            "INSERT INTO alerts (org_id, rule, cause_key, severity, title, body, count, status, first_seen_at, last_seen_at, number_id)
             VALUES ($1, 'front_desk_failing', $2, 'critical', '+1 (512) 555-0100 is failing to deliver',
                     'Texts from the Front Desk to Uma didn''t arrive: the carrier says her phone is unreachable. Call her, or check the number''s health in Numbers.',
                     2, 'open', $3, $4, $5)",
        )
        .bind(org)
        .bind(format!("number-red:{front_desk}"))
        .bind(ms(t - Duration::hours(5)))
        .bind(ms(t - Duration::hours(2)))
        .bind(front_desk)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO alerts (org_id, rule, cause_key, severity, title, body, count, status, first_seen_at, last_seen_at, thread_id)
             SELECT $1, 'client_waiting', 'waiting:' || CAST(t.id AS TEXT), 'warning', 'Tom Fischer is waiting for a reply',
                    'Tom texted the Front Desk and nobody has answered yet; the target is 15 minutes.', 1, 'open', $2, $2, t.id
             FROM threads t JOIN clients c ON c.id = t.client_id WHERE c.org_id = $1 AND c.name = 'Tom Fischer' AND t.number_id = $3",
        )
        .bind(org)
        .bind(ms(t - Duration::minutes(40)))
        .bind(front_desk)
        .execute(&mut **tx)
        .await?;

        // Conversations loaded as read are read by everyone; the rest are unread for all.
        sqlx::query(
            "INSERT INTO thread_reads (thread_id, user_id, read_at, marked_unread)
             SELECT t.id, u.id, COALESCE(t.last_inbound_at, 0), 0 FROM threads t JOIN users u ON u.org_id = t.org_id
             WHERE t.org_id = $1 AND t.unread_count = 0",
        )
        .bind(org)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// The provider accepted the text; the carrier then couldn't reach the phone.
async fn undelivered(tx: &mut Tx, message: i64, thread: i64, sid: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO delivery_attempts (message_id, attempt, started_at, finished_at, outcome, provider_sid, error_code, error_message)
         VALUES ($1, 1, $2, $3, 'accepted', $4, '30003', 'Unreachable destination handset')",
    )
    .bind(message)
    .bind(ms(at))
    .bind(ms(at + Duration::seconds(1)))
    .bind(sid.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE threads SET failed_deliveries = failed_deliveries + 1 WHERE id = $1")
        .bind(thread)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Routes a seeded incoming text with the real engine, at its own time,
/// and stores the decision: the demo's "why" badges are genuine.
async fn route_seeded(
    tx: &mut Tx,
    org: i64,
    number_id: i64,
    thread: i64,
    from: &str,
    at: DateTime<Utc>,
) -> Result<(&'static str, Option<i64>, i64), sqlx::Error> {
    use app::messaging::store;
    let org = OrgId(org);
    let ctx = store::org_context(tx, org).await?;
    let number =
        store::number_by_id(tx, app::domain::ids::NumberId(number_id)).await?.ok_or(sqlx::Error::RowNotFound)?;
    let sender = app::domain::phone::E164::from_canonical(from).ok_or(sqlx::Error::RowNotFound)?;
    let thread = app::domain::ids::ThreadId(thread);
    let snap =
        store::snapshot(tx, &ctx, &number, Some(thread), &sender, app::domain::routing::Direction::Inbound, at, false)
            .await?;
    let d = app::domain::routing::decide(&snap);
    let id = store::store_decision(tx, org, Some(thread), None, &snap, &d).await?;
    let routed = match d.target {
        app::domain::routing::Target::Sitter => "sitter",
        app::domain::routing::Target::RecordOnly => "record_only",
        app::domain::routing::Target::Rejected => "rejected",
        app::domain::routing::Target::OwnerInbox => "owner_inbox",
    };
    Ok((routed, d.sitter_id.map(|s| s.0), id))
}

#[allow(clippy::too_many_arguments)]
async fn window(
    tx: &mut Tx,
    org: i64,
    thread: i64,
    client: i64,
    sitter: i64,
    kind: &str,
    booking: Option<i64>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owner: i64,
    t: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assignment_windows (org_id, thread_id, client_id, sitter_id, kind, booking_id, starts_at, ends_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(org)
    .bind(thread)
    .bind(client)
    .bind(sitter)
    .bind(kind)
    .bind(booking)
    .bind(ms(start))
    .bind(ms(end))
    .bind(ms(t - Duration::days(4)))
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

//! The number inventory (SPEC §3.3, §4.3): the list with its filters,
//! sorting and pages, the detail, every action with its guardrails, bulk
//! results, buying and importing in Demo mode, CSV export and who may do it.

use crate::helpers::*;
use app::domain::numbers::QuarantineReason;
use app::numbers::{
    ApplyNumberAction, BuyNumber, ImportNumber, ListNumbers, NumberAction, NumberCard, NumberFilter,
    PreviewNumberAction, SearchNumbersForSale,
};

async fn number_id(app: &TestApp, e164: &str) -> i64 {
    app.scalar(&format!("SELECT id FROM numbers WHERE e164 = '{e164}' AND status <> 'inactive'")).await
}

fn quarantine(reason: QuarantineReason, note: &str) -> NumberAction {
    NumberAction::Quarantine { reason: Some(reason), note: note.into() }
}

#[tokio::test]
async fn the_inventory_filters_sorts_pages_shows_details_and_exports() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");

        let all = app.call(ListNumbers { filter: NumberFilter::default() }).await.expect("list");
        assert_eq!((all.all, all.total, all.page, all.pages), (10, 10, 1, 1), "{backend:?}");
        assert!(all.items.windows(2).all(|w| w[0].e164 < w[1].e164), "sorted by number");
        assert_eq!(all.items[0].display, "+1 (512) 555-0100");
        let maya = all.items.iter().find(|r| r.e164 == "+15125550101").expect("Maya's number");
        assert_eq!((maya.class.as_str(), maya.sitter.as_deref()), ("sitter", Some("Maya Chen")));
        assert!(maya.volume_7d > 0, "{backend:?}: Maya's clients texted this week");
        let lent = all.items.iter().find(|r| r.e164 == "+15125550150").unwrap();
        assert!(lent.lent_to.is_some(), "{backend:?}: the pool number lent to a booking says so");

        let pool = app
            .call(ListNumbers { filter: NumberFilter { class: "pool".into(), ..Default::default() } })
            .await
            .unwrap();
        assert_eq!(pool.total, 3);
        assert!(pool.items.iter().all(|r| r.class == app::domain::numbers::NumberClass::Pool));
        let cooling = app
            .call(ListNumbers { filter: NumberFilter { status: "quarantined".into(), ..Default::default() } })
            .await
            .unwrap();
        assert_eq!(cooling.items.len(), 1);
        assert!(cooling.items[0].cooldown_until.is_some());
        let nobody = app
            .call(ListNumbers { filter: NumberFilter { sitter: "none".into(), ..Default::default() } })
            .await
            .unwrap();
        assert!(nobody.items.iter().all(|r| r.sitter_id.is_none()) && nobody.total == 6, "{backend:?}");
        let busiest = app
            .call(ListNumbers {
                filter: NumberFilter { sort: "volume".into(), dir: "desc".into(), ..Default::default() },
            })
            .await
            .unwrap();
        assert!(busiest.items.windows(2).all(|w| w[0].volume_7d >= w[1].volume_7d));
        let idle = app
            .call(ListNumbers { filter: NumberFilter { usage: "idle".into(), ..Default::default() } })
            .await
            .unwrap();
        assert!(idle.items.iter().all(|r| r.volume_7d == 0));

        for (filter, field) in [
            (NumberFilter { class: "vip".into(), ..Default::default() }, "class"),
            (NumberFilter { health: "blue".into(), ..Default::default() }, "health"),
            (NumberFilter { page: "two".into(), ..Default::default() }, "page"),
            (NumberFilter { sort: "price".into(), ..Default::default() }, "sort"),
            (NumberFilter { sitter: "maya".into(), ..Default::default() }, "sitter"),
        ] {
            let e = app.call(ListNumbers { filter }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}");
        }

        let card = app.call(NumberCard { id: maya.id }).await.expect("detail");
        assert_eq!(card.threads.len(), 6, "{backend:?}: Maya's six clients");
        assert!(card.assignments.iter().any(|a| a.text.contains("Maya Chen")));
        assert_eq!(card.monthly_cost.as_deref(), Some("$1.15 a month"));
        assert!(card.provider_id.is_none() && !card.diagnostics, "provider ids only in diagnostics mode");
        let quarantined = app.call(NumberCard { id: cooling.items[0].id }).await.unwrap();
        assert!(quarantined.cooldown.as_deref().is_some_and(|c| c.contains("days left")));
        assert!(quarantined.quarantine_reason.as_deref().is_some_and(|r| r.starts_with("Delivery failures")));
        assert_eq!(app.call(NumberCard { id: 999_999 }).await.unwrap_err().0, 404);

        let resp = app.get("/numbers/export.csv?class=pool").await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("numbers-"));
        let csv = resp.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("number,class,status,assigned_to,health"));
        assert_eq!(lines.len(), 4, "{backend:?}: the header and the three pool numbers");
        assert!(lines[1].starts_with("+15125550150,Pool,Active,"), "{}", lines[1]);
        assert_eq!(app.get("/numbers/export.csv?class=vip").await.status(), 422);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'numbers.exported'").await, 1);
    }
}

#[tokio::test]
async fn guardrails_refuse_in_plain_words_and_change_nothing() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let front_desk = number_id(&app, "+15125550100").await;
        let cooling = number_id(&app, "+15125550160").await;
        let free_sitter = number_id(&app, "+15125550105").await;
        let sams = number_id(&app, "+15125550103").await;
        let free_pool = number_id(&app, "+15125550152").await;
        let maya = app.sitter_id("Maya").await.0;
        let alex = app.sitter_id("Alex").await.0;
        let before = app.scalar("SELECT COUNT(*) FROM audit_events").await;

        let cases: Vec<(i64, NumberAction, &str)> = vec![
            (front_desk, quarantine(QuarantineReason::ManualReview, ""), "last active Front Desk number"),
            (front_desk, NumberAction::ReleaseToPool, "can't be lent out as a pool number"),
            (front_desk, NumberAction::AssignToSitter { sitter: maya, confirm_unregistered: false }, "Front Desk"),
            (cooling, NumberAction::ReleaseFromQuarantine, "cooling down until"),
            (cooling, NumberAction::AssignToSitter { sitter: maya, confirm_unregistered: false }, "cooling down"),
            (free_sitter, NumberAction::AssignToSitter { sitter: maya, confirm_unregistered: false }, "already has"),
            (free_pool, NumberAction::AssignToSitter { sitter: alex, confirm_unregistered: false }, "inactive"),
            (free_pool, NumberAction::Quarantine { reason: None, note: String::new() }, "Choose a reason"),
            (free_pool, quarantine(QuarantineReason::Other, "  "), "Describe the reason"),
            (free_pool, NumberAction::ReleaseFromQuarantine, "not in quarantine"),
            (
                sams,
                NumberAction::ReleaseToPool,
                "open or upcoming windows (Laura Bennett, Marcus Reed). Move or delete them",
            ),
        ];
        for (id, action, words) in cases {
            let preview =
                app.call(PreviewNumberAction { ids: vec![id], action: action.clone() }).await.expect("preview");
            assert!(!preview[0].ok, "{backend:?}: {action:?} should be refused");
            assert!(preview[0].lines[0].contains(words), "{backend:?}: {:?} lacks {words:?}", preview[0].lines);
            let done = app.call(ApplyNumberAction { ids: vec![id], action: action.clone() }).await.expect("apply");
            assert!(!done[0].ok && done[0].message.contains(words), "{backend:?}: {:?}", done[0]);
        }
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events").await,
            before,
            "{backend:?}: refusals write nothing"
        );
        assert_eq!(
            app.text(&format!("SELECT status FROM numbers WHERE id = {front_desk}")).await.as_deref(),
            Some("active")
        );

        // An unregistered number needs the tick.
        app.exec(&format!("UPDATE numbers SET registration = 'unregistered' WHERE id = {free_pool}")).await;
        let jordan = app.sitter_id("Jordan").await.0;
        app.exec(&format!("UPDATE numbers SET sitter_id = NULL, class = 'pool' WHERE sitter_id = {jordan}")).await;
        let ask = NumberAction::AssignToSitter { sitter: jordan, confirm_unregistered: false };
        let p = app.call(PreviewNumberAction { ids: vec![free_pool], action: ask }).await.unwrap();
        assert!(!p[0].ok && p[0].needs_unregistered_confirm, "{backend:?}: {:?}", p[0]);
        let sure = NumberAction::AssignToSitter { sitter: jordan, confirm_unregistered: true };
        let p = app.call(PreviewNumberAction { ids: vec![free_pool], action: sure.clone() }).await.unwrap();
        assert!(p[0].ok && p[0].lines.iter().any(|l| l.contains("isn't registered")), "{backend:?}: {:?}", p[0]);
        assert!(app.call(ApplyNumberAction { ids: vec![free_pool], action: sure }).await.unwrap()[0].ok);

        // Input limits.
        let none =
            app.call(PreviewNumberAction { ids: vec![], action: NumberAction::ReleaseToPool }).await.unwrap_err();
        assert_eq!(none.0, 422);
        let unknown =
            app.call(PreviewNumberAction { ids: vec![987_654], action: NumberAction::ReleaseToPool }).await.unwrap();
        assert!(!unknown[0].ok && unknown[0].lines[0].contains("isn't in your inventory"));
    }
}

#[tokio::test]
async fn quarantine_moves_conversations_and_the_other_actions_round_trip() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let mayas = number_id(&app, "+15125550101").await;
        let jordans = number_id(&app, "+15125550102").await;
        let spare = number_id(&app, "+15125550105").await;
        let front_desk = number_id(&app, "+15125550100").await;
        let maya = app.sitter_id("Maya").await.0;
        let jordan = app.sitter_id("Jordan").await.0;

        // Maya's number: her six conversations move to the free sitter number, which becomes hers.
        let action = quarantine(QuarantineReason::DeliveryFailures, "carrier filtering");
        let p = app.call(PreviewNumberAction { ids: vec![mayas], action: action.clone() }).await.unwrap();
        assert!(p[0].ok, "{backend:?}: {:?}", p[0]);
        let said = p[0].lines.join(" ");
        assert!(said.contains("until") && said.contains("90 days"), "{said}");
        assert!(said.contains("6 conversations move to +1 (512) 555-0105"), "{said}");
        assert!(said.contains("becomes Maya's number"), "{said}");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {spare}")).await,
            0,
            "preview changes nothing"
        );
        let done = app.call(ApplyNumberAction { ids: vec![mayas], action }).await.unwrap();
        assert!(done[0].ok, "{backend:?}: {:?}", done[0]);
        assert_eq!(
            app.text(&format!("SELECT status FROM numbers WHERE id = {mayas}")).await.as_deref(),
            Some("quarantined")
        );
        let cooldown =
            app.scalar(&format!("SELECT cooldown_until - quarantined_at FROM numbers WHERE id = {mayas}")).await;
        assert_eq!(cooldown, 90 * 86_400_000, "{backend:?}: the Settings cooldown");
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {spare}")).await, 6);
        assert_eq!(app.scalar(&format!("SELECT sitter_id FROM numbers WHERE id = {spare}")).await, maya);
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id WHERE t.number_id = {spare} AND m.direction = 'note' AND m.body LIKE '%was quarantined%'"
            ))
            .await,
            6,
            "{backend:?}: each moved conversation says why"
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.quarantined' AND number_id = {mayas}"
            ))
            .await,
            1
        );

        // Jordan's number: no sitter number is free, so the owner inbox takes over and his open windows close.
        let open_before = app
            .scalar(&format!("SELECT COUNT(*) FROM assignment_windows WHERE sitter_id = {jordan} AND deleted_at IS NULL AND ends_at > {}", now_ms()))
            .await;
        assert_eq!(open_before, 2);
        let desk_before = app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {front_desk}")).await;
        let done = app
            .call(ApplyNumberAction { ids: vec![jordans], action: quarantine(QuarantineReason::ManualReview, "") })
            .await
            .unwrap();
        assert!(done[0].ok && done[0].message.contains("owner inbox"), "{backend:?}: {:?}", done[0]);
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {jordans} AND is_current = 1")).await,
            0
        );
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {front_desk}")).await,
            desk_before + 5,
            "{backend:?}: Jordan's five clients join the Front Desk"
        );
        let open_after = app
            .scalar(&format!("SELECT COUNT(*) FROM assignment_windows WHERE sitter_id = {jordan} AND deleted_at IS NULL AND ends_at > {}", now_ms()))
            .await;
        assert_eq!(open_after, 0);

        // Give Jordan the free pool number, then release it back.
        let free_pool = number_id(&app, "+15125550152").await;
        let give = NumberAction::AssignToSitter { sitter: jordan, confirm_unregistered: false };
        assert!(app.call(ApplyNumberAction { ids: vec![free_pool], action: give }).await.unwrap()[0].ok);
        assert_eq!(
            app.text(&format!("SELECT class FROM numbers WHERE id = {free_pool}")).await.as_deref(),
            Some("sitter")
        );
        let back =
            app.call(ApplyNumberAction { ids: vec![free_pool], action: NumberAction::ReleaseToPool }).await.unwrap();
        assert!(back[0].ok, "{backend:?}: {:?}", back[0]);
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM numbers WHERE id = {free_pool} AND class = 'pool' AND sitter_id IS NULL"
            ))
            .await,
            1
        );
        let card = app.call(NumberCard { id: free_pool }).await.unwrap();
        assert!(card.assignments.len() >= 2, "{backend:?}: the history keeps Jordan's turn: {:?}", card.assignments);

        // Bulk: two pool numbers move, the last Front Desk is refused, each reported.
        let lent = number_id(&app, "+15125550150").await;
        let upcoming = number_id(&app, "+15125550151").await;
        let results = app
            .call(ApplyNumberAction {
                ids: vec![lent, upcoming, front_desk],
                action: quarantine(QuarantineReason::PolicyViolation, ""),
            })
            .await
            .unwrap();
        assert_eq!(
            results.iter().map(|r| r.ok).collect::<Vec<_>>(),
            vec![true, true, false],
            "{backend:?}: {results:?}"
        );
        assert!(results[2].message.contains("last active Front Desk"));
        // The lent number's booking continues on the free pool number.
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {free_pool} AND is_current = 1")).await,
            1
        );

        // Release from quarantine once the cooldown is over.
        app.exec(&format!("UPDATE numbers SET cooldown_until = {} WHERE id = {mayas}", now_ms() - 1000)).await;
        let freed = app
            .call(ApplyNumberAction { ids: vec![mayas], action: NumberAction::ReleaseFromQuarantine })
            .await
            .unwrap();
        assert!(freed[0].ok, "{backend:?}: {:?}", freed[0]);
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM numbers WHERE id = {mayas} AND status = 'active' AND class = 'pool'"
            ))
            .await,
            1
        );
        let chain = app.call(app::audit::VerifyAuditChain {}).await.unwrap();
        assert!(chain.intact, "{backend:?}: {}", chain.detail);
    }
}

#[tokio::test]
async fn buying_and_importing_in_demo_mode() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let offers = app.call(SearchNumbersForSale { area_code: "737".into() }).await.expect("search");
        assert!(!offers.is_empty());
        assert_eq!(offers[0].monthly_cost, "$1.15 a month");
        let e = app.call(SearchNumbersForSale { area_code: "73".into() }).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("area_code")));
        let e = app.call(SearchNumbersForSale { area_code: "999".into() }).await.unwrap_err();
        assert!(e.0 == 409 && e.1.to_string().contains("No numbers are available"), "{e:?}");

        let got = app.call(BuyNumber { e164: offers[0].e164.clone(), class: "pool".into() }).await.expect("buy");
        assert!(got.message.contains("bought as a Pool number"), "{}", got.message);
        assert_eq!(
            app.scalar(&format!(
                "SELECT monthly_cost_cents FROM numbers WHERE id = {} AND purchased_at IS NOT NULL",
                got.id
            ))
            .await,
            115
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.bought'").await, 1);
        let again = app.call(BuyNumber { e164: offers[0].e164.clone(), class: "pool".into() }).await.unwrap_err();
        assert!(again.0 == 409 && again.1.to_string().contains("already in your numbers"), "{again:?}");
        let sold = app.call(BuyNumber { e164: "+17375550199".into(), class: "pool".into() }).await.unwrap_err();
        assert!(sold.1.to_string().contains("no longer available"), "{sold:?}");
        let bad = app.call(BuyNumber { e164: offers[1].e164.clone(), class: "boss".into() }).await.unwrap_err();
        assert_eq!(bad.1.field_name(), Some("class"));

        let imported = app
            .call(ImportNumber { number_or_id: "(512) 555-0177".into(), class: "sitter".into() })
            .await
            .expect("import");
        assert!(imported.message.contains("imported as a Sitter number"));
        let twice =
            app.call(ImportNumber { number_or_id: "+15125550177".into(), class: "pool".into() }).await.unwrap_err();
        assert_eq!(twice.0, 409);
        let empty = app.call(ImportNumber { number_or_id: " ".into(), class: "pool".into() }).await.unwrap_err();
        assert_eq!(empty.1.field_name(), Some("number"));
        let list = app.call(ListNumbers { filter: NumberFilter::default() }).await.unwrap();
        assert_eq!(list.all, 12, "{backend:?}");
    }
}

#[tokio::test]
async fn sitters_and_strangers_cannot_touch_numbers() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    let id = number_id(&app, "+15125550152").await;
    let calls = [
        call_with(&sitter, &app.addr, ListNumbers { filter: NumberFilter::default() }).await.map(|_| ()),
        call_with(&sitter, &app.addr, NumberCard { id }).await.map(|_| ()),
        call_with(&sitter, &app.addr, PreviewNumberAction { ids: vec![id], action: NumberAction::ReleaseToPool })
            .await
            .map(|_| ()),
        call_with(&sitter, &app.addr, ApplyNumberAction { ids: vec![id], action: NumberAction::ReleaseToPool })
            .await
            .map(|_| ()),
        call_with(&sitter, &app.addr, SearchNumbersForSale { area_code: "512".into() }).await.map(|_| ()),
        call_with(&sitter, &app.addr, BuyNumber { e164: "+15125550188".into(), class: "pool".into() })
            .await
            .map(|_| ()),
        call_with(&sitter, &app.addr, ImportNumber { number_or_id: "+15125550188".into(), class: "pool".into() })
            .await
            .map(|_| ()),
    ];
    for c in calls {
        assert_eq!(c.unwrap_err().0, 403);
    }
    assert_eq!(sitter.get(app.url("/numbers/export.csv")).send().await.unwrap().status(), 403);
    assert_eq!(new_client().get(app.url("/numbers/export.csv")).send().await.unwrap().status(), 401);
    let anon = call_with(&new_client(), &app.addr, ListNumbers { filter: NumberFilter::default() }).await.unwrap_err();
    assert_eq!(anon.0, 401);
}

#[tokio::test]
async fn a_cooldown_that_has_ended_returns_the_number_to_the_pool_unless_the_owner_keeps_it() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let cooling = number_id(&app, "+15125550160").await;
        let spare = number_id(&app, "+15125550152").await;
        let done = app
            .call(ApplyNumberAction { ids: vec![spare], action: quarantine(QuarantineReason::ManualReview, "") })
            .await
            .unwrap();
        assert!(done[0].ok, "{backend:?}: {:?}", done[0]);
        let card = app.call(NumberCard { id: cooling }).await.unwrap();
        assert!(
            card.cooldown.as_deref().is_some_and(|c| c.contains("returns to the pool by itself")),
            "{:?}",
            card.cooldown
        );

        // The owner keeps one out of service; the choice is previewed, audited and shown.
        let keep = NumberAction::KeepQuarantined { keep: true };
        let p = app.call(PreviewNumberAction { ids: vec![spare], action: keep.clone() }).await.unwrap();
        assert!(p[0].ok && p[0].lines[0].contains("stays quarantined"), "{:?}", p[0]);
        assert!(app.call(ApplyNumberAction { ids: vec![spare], action: keep.clone() }).await.unwrap()[0].ok);
        assert!(app.call(NumberCard { id: spare }).await.unwrap().keep_quarantined);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.quarantine_kept'").await,
            1
        );
        // Only a quarantined number can be kept.
        let front_desk = number_id(&app, "+15125550100").await;
        let refused = app.call(ApplyNumberAction { ids: vec![front_desk], action: keep }).await.unwrap();
        assert!(!refused[0].ok && refused[0].message.contains("not in quarantine"), "{:?}", refused[0]);

        // Before the cooldown ends the sweep leaves both alone.
        assert_eq!(app::numbers::store::return_cooled_down(&app.state).await.unwrap(), 0, "{backend:?}");
        // Both cooldowns pass; the next sweep returns only the one not kept.
        app.exec(&format!("UPDATE numbers SET cooldown_until = {} WHERE id IN ({cooling}, {spare})", now_ms() - 1000))
            .await;
        assert_eq!(app::numbers::store::return_cooled_down(&app.state).await.unwrap(), 1, "{backend:?}");
        assert_eq!(
            app.text(&format!("SELECT status || ' ' || class FROM numbers WHERE id = {cooling}")).await.as_deref(),
            Some("active pool")
        );
        assert_eq!(
            app.text(&format!("SELECT status FROM numbers WHERE id = {spare}")).await.as_deref(),
            Some("quarantined")
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.released_from_quarantine'
                   AND number_id = {cooling} AND actor_kind = 'system'"
            ))
            .await,
            1
        );
        // A second sweep changes nothing; the pool can lend it again.
        assert_eq!(app::numbers::store::return_cooled_down(&app.state).await.unwrap(), 0);
        let pool = app.call(ListNumbers { filter: NumberFilter::default() }).await.unwrap();
        assert!(pool.items.iter().any(|r| r.id == cooling && r.status == app::domain::numbers::NumberStatus::Active));
    }
}

#[tokio::test]
async fn releasing_to_the_provider_is_previewed_calls_the_provider_once_and_moves_conversations() {
    use crate::twilio_stub;
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let deletes = || stub.seen().iter().filter(|s| s.method == "DELETE").count();
        // Refused: the last Front Desk, and a number with open windows; the provider isn't asked.
        let front_desk = number_id(&app, "+15125550100").await;
        let sams = number_id(&app, "+15125550103").await;
        let release = NumberAction::ReleaseToProvider;
        let refused =
            app.call(ApplyNumberAction { ids: vec![front_desk, sams], action: release.clone() }).await.unwrap();
        assert!(!refused[0].ok && refused[0].message.contains("last active Front Desk"), "{:?}", refused[0]);
        assert!(
            !refused[1].ok && refused[1].message.contains("Move or delete them in Assignments first"),
            "{:?}",
            refused[1]
        );
        assert_eq!(deletes(), 0, "{backend:?}");

        let offers = app.call(SearchNumbersForSale { area_code: "512".into() }).await.expect("search");
        // A second Front Desk line, which a new client texts: it carries a conversation.
        let bought =
            app.call(BuyNumber { e164: offers[0].e164.clone(), class: "front_desk".into() }).await.expect("buy").id;
        assert_eq!(
            app.text_in("SMrelease000000000000000000000001", "+17375550191", &offers[0].e164, "hello?").await.status(),
            200
        );
        let thread = app.scalar(&format!("SELECT id FROM threads WHERE number_id = {bought}")).await;

        // The preview: what it carries and what it saves; nothing changes.
        let p = app.call(PreviewNumberAction { ids: vec![bought], action: release.clone() }).await.unwrap();
        let said = p[0].lines.join(" ");
        assert!(p[0].ok, "{backend:?}: {said}");
        assert!(said.contains("goes back to the provider") && said.contains("a month"), "{said}");
        assert!(said.contains("1 conversation moves to the owner inbox on the Front Desk number"), "{said}");
        assert_eq!(
            app.text(&format!("SELECT status FROM numbers WHERE id = {bought}")).await.as_deref(),
            Some("active")
        );

        let done = app.call(ApplyNumberAction { ids: vec![bought], action: release }).await.unwrap();
        assert!(done[0].ok, "{backend:?}: {:?}", done[0]);
        eventually(10, "the provider is told", || async { deletes() == 1 }).await;
        eventually(10, "and it confirms", || async {
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.release_confirmed'").await == 1
        })
        .await;
        assert_eq!(
            app.text(&format!("SELECT status FROM numbers WHERE id = {bought}")).await.as_deref(),
            Some("inactive")
        );
        assert_eq!(app.scalar(&format!("SELECT number_id FROM threads WHERE id = {thread}")).await, front_desk);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.released'").await, 1);
        let active = app
            .call(ListNumbers { filter: NumberFilter { status: "active".into(), ..NumberFilter::default() } })
            .await
            .unwrap();
        assert!(active.items.iter().all(|r| r.id != bought), "{backend:?}: it left the active list");
        // Released is final.
        let again = app.call(ApplyNumberAction { ids: vec![bought], action: NumberAction::ReleaseToProvider }).await;
        assert!(again.map(|r| !r[0].ok).unwrap_or(true));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(deletes(), 1, "{backend:?}: the provider is called once");
    }
}

//! Automations (SPEC §3.6, §4.7) through real triggers: built, refused on
//! an unknown variable, tested (nothing sent), switched on, run by a
//! client's text with each condition logged, deferred by quiet hours,
//! auto-paused after repeated failures, timed triggers from the sweep, and
//! owners only.

use crate::helpers::*;
use app::automations::{
    AutomationExecutions, ListAutomations, LoadAutomation, SaveAutomation, SetAutomationStatus, TestAutomation,
};
use app::domain::automation::conditions::{Condition, ConditionGroup, GroupOp, Operator, Value};
use app::domain::automation::definition::{
    Action, ActionKind, AutomationStatus, Draft, Recipient, RunStatus, Trigger, TriggerKind,
};

const ANA: &str = "+17375550100";
const MAYA_NUMBER: &str = "+15125550101";

fn greeting(template: &str) -> Draft {
    Draft {
        name: "Hello back".into(),
        lane: "client".into(),
        description: String::new(),
        trigger: Trigger { kind: TriggerKind::MessageReceived, minutes: None },
        conditions: ConditionGroup {
            op: GroupOp::And,
            conditions: vec![
                Condition {
                    field: "message.text".into(),
                    operator: Operator::Contains,
                    value: Value::Text("hello robot".into()),
                },
                Condition {
                    field: "thread.started_by".into(),
                    operator: Operator::Equals,
                    value: Value::Text("client".into()),
                },
            ],
            groups: vec![ConditionGroup {
                op: GroupOp::Or,
                conditions: vec![
                    Condition {
                        field: "thread.number_class".into(),
                        operator: Operator::Equals,
                        value: Value::Text("sitter".into()),
                    },
                    Condition {
                        field: "thread.number_class".into(),
                        operator: Operator::Equals,
                        value: Value::Text("front_desk".into()),
                    },
                ],
                groups: vec![],
            }],
        },
        actions: vec![Action {
            kind: ActionKind::SendSms,
            recipient: Some(Recipient::Client),
            template: template.into(),
            severity: None,
        }],
    }
}

async fn set_quiet_hours(app: &TestApp, around_now: bool) {
    if around_now {
        app.set_quiet_hours(-1, 2).await;
    } else {
        app.set_quiet_hours(3, 4).await;
    }
}

#[tokio::test]
async fn a_client_text_runs_a_tested_automation_with_its_conditions_logged() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        set_quiet_hours(&app, false).await;

        // A name is required; nothing is stored without one.
        let mut nameless = greeting("Hi");
        nameless.name = "  ".into();
        let e = app.call_json(SaveAutomation { id: None, draft: nameless, template_key: None }).await.unwrap_err();
        assert_eq!(e.0, 422, "{backend:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM automations").await, 0);

        // Saved as a draft with an unknown variable: it can't be switched on.
        let saved = app
            .call_json(SaveAutomation {
                id: None,
                draft: greeting("Hi {{client.first_name}}, {{pet.name}} says hi"),
                template_key: None,
            })
            .await
            .expect("save");
        let id = saved.id;
        let e = app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.unwrap_err();
        assert_eq!(e.0, 409);
        assert!(e.1.to_string().contains("{{pet.name}}"), "{e:?}");

        // Fixed, but not tested since the edit: still refused.
        let fixed = greeting("Hi {{client.first_name}}, thanks for your text. {{sitter.first_name}} will reply soon.");
        app.call_json(SaveAutomation { id: Some(id), draft: fixed.clone(), template_key: None }).await.expect("edit");
        let detail = app.call(LoadAutomation { id }).await.unwrap();
        assert_eq!((detail.version, detail.tested, detail.draft.clone()), (2, false, fixed.clone()));
        let e = app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.unwrap_err();
        assert!(e.1.to_string().contains("Run a test first"), "{e:?}");

        // A test renders and evaluates against a real conversation and sends nothing.
        let messages = app.scalar("SELECT COUNT(*) FROM messages").await;
        let thread = app.thread_of(ANA, MAYA_NUMBER).await;
        let run = app.call(TestAutomation { id, thread_id: thread.0 }).await.expect("test");
        assert_eq!(run.status, RunStatus::TestPassed, "{run:?}");
        assert_eq!(run.actions[0].detail.as_deref(), Some("Hi Ana, thanks for your text. Maya will reply soon."));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, messages, "a test sends nothing");
        assert_eq!(run.conditions.len(), 4, "each condition's result is logged: {:?}", run.conditions);
        app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.expect("switch on");

        // A text that doesn't match: logged as skipped, nothing sent.
        assert_eq!(app.text_in("SMauto1", ANA, MAYA_NUMBER, "Max ate his breakfast").await.status(), 200);
        eventually(15, "the non-matching run is logged", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id} AND is_test = 0"
            ))
            .await
                == 1
        })
        .await;
        assert_eq!(
            app.text(&format!("SELECT status FROM automation_executions WHERE automation_id = {id} AND is_test = 0"))
                .await
                .as_deref(),
            Some("skipped")
        );

        // A matching text: the automation answers from Maya's number.
        app.text_in("SMauto2", ANA, MAYA_NUMBER, "Hello robot, are you there?").await;
        eventually(15, "the matching run is logged", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id} AND status = 'succeeded'"
            ))
            .await
                == 1
        })
        .await;
        let body = app
            .text(&format!("SELECT body FROM messages WHERE automation_id = {id} AND thread_id = {}", thread.0))
            .await
            .expect("the automated text");
        assert_eq!(body, "Hi Ana, thanks for your text. Maya will reply soon.");
        assert_eq!(
            app.text(&format!("SELECT from_e164 FROM messages WHERE automation_id = {id}")).await.as_deref(),
            Some(MAYA_NUMBER),
            "from the thread's business number"
        );
        let log = app.call(AutomationExecutions { id }).await.expect("log");
        let last = &log[0];
        assert_eq!((last.status, last.is_test), (RunStatus::Succeeded, false));
        assert!(last.conditions.iter().all(|c| c.path != "1" || c.passed), "{:?}", last.conditions);
        assert_eq!(last.actions[0].result, "queued");
        let list = app.call(ListAutomations { archived: false }).await.unwrap();
        assert_eq!((list[0].runs_24h, list[0].status), (2, AutomationStatus::Active));

        // The same message delivered twice runs once (the job's dedupe).
        app.text_in("SMauto2", ANA, MAYA_NUMBER, "Hello robot, are you there?").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE automation_id = {id}")).await, 1);

        // Quiet hours: the next run's text waits until they end.
        set_quiet_hours(&app, true).await;
        app.text_in("SMauto3", ANA, MAYA_NUMBER, "hello robot again").await;
        eventually(15, "the quiet-hours run is logged", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id} AND status = 'succeeded'"
            ))
            .await
                == 2
        })
        .await;
        let log = app.call(AutomationExecutions { id }).await.unwrap();
        assert_eq!(log[0].actions[0].result, "scheduled (quiet hours)", "{:?}", log[0]);
        let later = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM messages WHERE automation_id = {id} AND scheduled_for > {}",
                now_ms() + 30 * 60_000
            ))
            .await;
        assert_eq!(later, 1, "deferred to the end of quiet hours");

        // Editing an active automation pauses it until it passes a new test.
        let out = app.call_json(SaveAutomation { id: Some(id), draft: fixed, template_key: None }).await.unwrap();
        assert!(out.paused);
        assert_eq!(app.call(LoadAutomation { id }).await.unwrap().status, AutomationStatus::Paused);

        // Archive is final; the history stays.
        app.call(SetAutomationStatus { id, status: AutomationStatus::Archived }).await.unwrap();
        let e = app.call(SetAutomationStatus { id, status: AutomationStatus::Paused }).await.unwrap_err();
        assert_eq!(e.0, 409);
        assert_eq!(app.call(ListAutomations { archived: true }).await.unwrap().len(), 1);
        assert!(
            app.scalar(&format!("SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id}")).await >= 4
        );
        for ev in [
            "automation.created",
            "automation.edited",
            "automation.tested",
            "automation.activated",
            "automation.executed",
            "automation.archived",
        ] {
            assert!(
                app.scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE event_type = '{ev}'")).await >= 1,
                "{ev}"
            );
        }

        // Owners only.
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, ListAutomations { archived: false }).await.unwrap_err().0, 403);
        let e =
            call_json_with(&sitter, &app.addr, SaveAutomation { id: None, draft: greeting("x"), template_key: None })
                .await;
        assert_eq!(e.unwrap_err().0, 403);
        assert_eq!(call_with(&sitter, &app.addr, TestAutomation { id, thread_id: thread.0 }).await.unwrap_err().0, 403);
    }
}

#[tokio::test]
async fn failing_runs_pause_the_automation_and_timed_triggers_run_from_the_sweep() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        set_quiet_hours(&app, false).await;

        // An automation whose texts are refused: texting is switched off.
        let mut d = greeting("Thanks {{client.first_name}}");
        d.name = "Can't send".into();
        d.conditions = ConditionGroup::default();
        let id = app.call_json(SaveAutomation { id: None, draft: d, template_key: None }).await.unwrap().id;
        let thread = app.thread_of(ANA, MAYA_NUMBER).await;
        assert_eq!(app.call(TestAutomation { id, thread_id: thread.0 }).await.unwrap().status, RunStatus::TestPassed);
        app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.unwrap();
        app.exec("UPDATE organisations SET ready_at = NULL").await;
        // Each failed run is tried again per the delivery settings (3
        // attempts; a 1-second first retry here), and only its last attempt
        // counts towards pausing.
        app.set_delivery(1, 5, 300).await;
        for n in 1..=3 {
            app.text_in(&format!("SMfail{n}"), ANA, MAYA_NUMBER, "ping").await;
        }
        eventually(30, "three failures pause it", || async {
            app.text(&format!("SELECT status FROM automations WHERE id = {id}")).await.as_deref() == Some("paused")
        })
        .await;
        let retried = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id} AND status = 'retrying'"
            ))
            .await;
        assert!(retried >= 2, "{backend:?}: {retried} retries");
        let last = app
            .text(&format!(
                "SELECT context FROM automation_executions WHERE automation_id = {id} AND status = 'failed' ORDER BY id LIMIT 1"
            ))
            .await
            .unwrap_or_default();
        assert!(last.contains("\"run.attempt\":\"3 of 3\""), "{backend:?}: {last}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'automation_failing' AND status = 'open'").await,
            1
        );
        let row = &app.call(ListAutomations { archived: false }).await.unwrap()[0];
        assert!(row.flagged.as_deref().is_some_and(|f| f.contains("3 failed runs")), "{row:?}");
        assert_eq!(row.failed_24h, 3);

        // The shipped "nudge when a client waits" template, as a copy, runs
        // from the sweep for a client waiting longer than its minutes.
        let (key, mut nudge) = app::domain::automation::definition::templates().into_iter().nth(2).unwrap();
        nudge.trigger.minutes = Some(1);
        let nid = app
            .call_json(SaveAutomation { id: None, draft: nudge, template_key: Some(key.to_string()) })
            .await
            .unwrap()
            .id;
        let tom = app.scalar("SELECT t.id FROM threads t JOIN client_contacts cc ON cc.client_id = t.client_id WHERE cc.e164 = '+17375550119'").await;
        let waiting_since = now_ms() - 5 * 60_000;
        app.exec(&format!("UPDATE threads SET awaiting_reply_since = {waiting_since} WHERE id = {tom}")).await;
        assert_eq!(app.call(TestAutomation { id: nid, thread_id: tom }).await.unwrap().status, RunStatus::TestPassed);
        app.call(SetAutomationStatus { id: nid, status: AutomationStatus::Active }).await.unwrap();
        eventually(70, "the sweep nudges the owner", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {nid} AND status = 'succeeded' AND thread_id = {tom}"
            ))
            .await
                == 1
        })
        .await;
        let title = app
            .text(&format!("SELECT title FROM alerts WHERE rule = 'automation' AND thread_id = {tom}"))
            .await
            .expect("alert");
        assert!(title.starts_with("Nudge when a client waits: Tom Fischer has waited"), "{title}");
    }
}

#[tokio::test]
async fn automations_are_flagged_when_the_roster_changes_and_cleared_when_they_can_act() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let mut d = greeting("Thanks {{client.first_name}}, {{sitter.first_name}} will be in touch");
        d.name = "Jordan's clients".into();
        d.conditions = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![Condition {
                field: "sitter.first_name".into(),
                operator: Operator::Equals,
                value: Value::Text("Jordan".into()),
            }],
            groups: vec![],
        };
        let id = app.call_json(SaveAutomation { id: None, draft: d, template_key: None }).await.unwrap().id;
        let thread = app.thread_of(ANA, MAYA_NUMBER).await;
        assert_eq!(app.call(TestAutomation { id, thread_id: thread.0 }).await.unwrap().status, RunStatus::TestPassed);
        app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.expect("on");
        assert_eq!(app::automations::runner::revalidate(&app.state).await.unwrap(), 0, "{backend:?}: nothing to flag");

        // Jordan leaves: the automation is flagged, with an alert and an audit event.
        let jordan = app.sitter_id("Jordan").await;
        app.call(app::people::ChangeSitter { id: jordan, activate: false, preview: false }).await.expect("deactivate");
        // (The worker's own sweep may get there first; either way it happens once.)
        app::automations::runner::revalidate(&app.state).await.unwrap();
        app::automations::runner::revalidate(&app.state).await.unwrap();
        let row =
            app.call(ListAutomations { archived: false }).await.unwrap().into_iter().find(|a| a.id == id).unwrap();
        assert_eq!(
            row.flagged.as_deref(),
            Some(
                "Can't act any more: Condition 1 looks for the sitter \"Jordan\", who isn't an active sitter any more."
            ),
            "{backend:?}"
        );
        assert_eq!(
            app.text("SELECT title FROM alerts WHERE rule = 'automation_failing' AND status = 'open'").await.as_deref(),
            Some("The automation \"Jordan's clients\" can't act any more")
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'automation.flagged'").await, 1);
        // Switching it on again is refused with the reason.
        app.call(SetAutomationStatus { id, status: AutomationStatus::Paused }).await.unwrap();
        let e = app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.unwrap_err();
        assert!(e.0 == 409 && e.1.to_string().contains("who isn't an active sitter any more"), "{e:?}");

        // Jordan comes back: the flag clears.
        app.call(app::people::ChangeSitter { id: jordan, activate: true, preview: false }).await.expect("reactivate");
        app::automations::runner::revalidate(&app.state).await.unwrap();
        let row =
            app.call(ListAutomations { archived: false }).await.unwrap().into_iter().find(|a| a.id == id).unwrap();
        assert_eq!(row.flagged, None, "{backend:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'automation.unflagged'").await, 1);
    }
}

#[tokio::test]
async fn automations_text_the_sitter_and_the_owner_within_the_limit_set_in_settings() {
    use crate::twilio_stub;
    use app::settings::{LoadRulesSettings, SaveRulesSettings};
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        set_quiet_hours(&app, false).await;
        // Two automated texts per conversation per hour (the default is three).
        let mut form = app.call(LoadRulesSettings {}).await.expect("rules");
        form.automation_rate_per_thread_hour = "2".into();
        app.call(SaveRulesSettings { form }).await.expect("limit saved");
        let owner_phone = "+15125550188";
        app.exec(&format!("UPDATE users SET phone = '{owner_phone}' WHERE email = 'owner@example.com'")).await;
        let maya_phone = app.text("SELECT phone FROM sitters WHERE first_name = 'Maya'").await.expect("Maya's phone");

        let sms = |recipient, template: &str| Action {
            kind: ActionKind::SendSms,
            recipient: Some(recipient),
            template: template.into(),
            severity: None,
        };
        let mut draft = greeting("");
        draft.name = "Tell the team".into();
        draft.conditions = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![Condition {
                field: "message.text".into(),
                operator: Operator::Contains,
                value: Value::Text("gate".into()),
            }],
            groups: vec![],
        };
        draft.actions = vec![
            sms(Recipient::Sitter, "{{client.first_name}} wrote: {{message.text}}"),
            sms(Recipient::Owner, "{{client.first_name}} wrote to {{sitter.first_name}}: {{message.text}}"),
        ];
        let id = app
            .call_json(SaveAutomation { id: None, draft, template_key: None })
            .await
            .expect("texts to the sitter and the owner can be saved")
            .id;
        let thread = app.thread_of(ANA, MAYA_NUMBER).await;
        let run = app.call(TestAutomation { id, thread_id: thread.0 }).await.expect("test");
        assert_eq!(run.status, RunStatus::TestPassed, "{backend:?}: {run:?}");
        assert!(run.actions[0].result.contains("would text Maya Chen"), "{run:?}");
        assert!(run.actions[1].result.contains("+1 (512) 555-0188"), "{run:?}");
        app.call(SetAutomationStatus { id, status: AutomationStatus::Active }).await.expect("switch on");

        app.text_in("SMstaff1", ANA, MAYA_NUMBER, "The gate code changed, call me on 512 555 0142").await;
        eventually(15, "both staff texts go", || async {
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'automation.staff_texted'").await == 2
        })
        .await;
        let to = |n: &str| {
            stub.sends().into_iter().filter(|s| s.form.contains(&("To".into(), n.to_string()))).collect::<Vec<_>>()
        };
        let field = |s: &twilio_stub::Seen, k: &str| {
            s.form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        let maya = to(&maya_phone);
        assert_eq!(maya.len(), 1, "{backend:?}");
        let body = field(&maya[0], "Body");
        assert!(body.starts_with("Ana wrote: The gate code changed"), "{body}");
        assert!(!body.contains("0142"), "{backend:?}: the client's number stays hidden from the sitter: {body}");
        assert_eq!(field(&maya[0], "From"), "+15125550100", "from the Front Desk number");
        let owner = to(owner_phone);
        assert_eq!(owner.len(), 1, "{backend:?}");
        assert_eq!(field(&owner[0], "Body"), "Ana wrote to Maya: The gate code changed, call me on 512 555 0142");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM messages WHERE thread_id = {} AND direction = 'note' AND automation_id = {id}",
                thread.0
            ))
            .await,
            2,
            "{backend:?}: the conversation says who was texted"
        );

        // The next matching text inside the hour: the limit from Settings
        // (two, not the old fixed three) skips both texts.
        app.text_in("SMstaff2", ANA, MAYA_NUMBER, "gate again, sorry").await;
        eventually(15, "the second run is logged", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM automation_executions WHERE automation_id = {id} AND is_test = 0"
            ))
            .await
                == 2
        })
        .await;
        let log = app.call(AutomationExecutions { id }).await.expect("log");
        assert_eq!(
            log[0].actions.iter().map(|a| a.result.as_str()).collect::<Vec<_>>(),
            vec!["skipped", "skipped"],
            "{backend:?}: {:?}",
            log[0]
        );
        assert!(
            log[0].actions[0].detail.as_deref().unwrap_or("").contains("the limit in Settings is 2"),
            "{:?}",
            log[0]
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'automation.staff_text'").await, 2);

        // A sitter without a mobile number: the test says so and fails.
        app.exec("UPDATE sitters SET phone = NULL WHERE first_name = 'Maya'").await;
        let run = app.call(TestAutomation { id, thread_id: thread.0 }).await.expect("test");
        assert_eq!(run.status, RunStatus::TestFailed, "{run:?}");
        assert!(run.actions[0].result.contains("Maya Chen has no mobile number"), "{run:?}");
    }
}

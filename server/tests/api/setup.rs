//! The setup wizard (SPEC §4.1): from an empty database to "System ready"
//! in Demo mode and in Twilio mode (a stand-in Twilio the test controls),
//! every step's requirement enforced on the server, refusals changing
//! nothing, credentials tested before they are stored and stored
//! encrypted, the hookup read back, and owners only.

use crate::helpers::*;
use crate::twilio_stub;
use app::auth::CreateOwner;
use app::numbers::{BuyNumber, SearchNumbersForSale};
use app::setup::{
    CompleteSetupStep, ConnectForm, ConnectProvider, LoadSetup, OffersForBulk, RunHookup, SkipSetupStep, VerifyAccount,
};

async fn owner(app: &TestApp) {
    app.call(CreateOwner {
        business_name: "Paws & Co".into(),
        name: "Riley Owner".into(),
        email: "riley@paws.example".into(),
        password: "copper-kettle-marmot-42".into(),
        password_again: "copper-kettle-marmot-42".into(),
    })
    .await
    .expect("owner");
}

fn demo_form() -> ConnectForm {
    ConnectForm {
        mode: "demo".into(),
        business_name: "Paws & Co".into(),
        time_zone: "America/Denver".into(),
        ..ConnectForm::default()
    }
}

#[tokio::test]
async fn demo_wizard_runs_from_an_empty_database_to_ready() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        owner(&app).await;
        let s = app.call(LoadSetup {}).await.expect("load");
        assert_eq!((s.step, s.ready, s.provider.as_str()), (1, false, ""), "{backend:?}");
        assert!(s.readiness.iter().all(|c| !c.ok));

        // Bad input is refused field by field and changes nothing.
        for (form, field) in [
            (ConnectForm { business_name: "  ".into(), ..demo_form() }, "business_name"),
            (ConnectForm { time_zone: "Mars/Olympus".into(), ..demo_form() }, "time_zone"),
            (ConnectForm { mode: "carrier-pigeon".into(), ..demo_form() }, "mode"),
        ] {
            let e = app.call(ConnectProvider { form }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'provider.connected'").await, 0);

        // Steps can't be taken out of order or completed by hand.
        let e = app.call(CompleteSetupStep { step: 3 }).await.unwrap_err();
        assert_eq!(e.0, 409);
        assert!(e.1.to_string().contains("Finish step 1 first"), "{e:?}");
        let e = app.call(CompleteSetupStep { step: 6 }).await.unwrap_err();
        assert!(e.1.to_string().contains("completes when its test passes"), "{e:?}");
        assert_eq!(app.call(CompleteSetupStep { step: 9 }).await.unwrap_err().1.field_name(), Some("step"));

        // Step 1: demo numbers; the account check (step 2) comes with it.
        let s = app.call(ConnectProvider { form: demo_form() }).await.expect("connect demo");
        assert_eq!((s.step, s.provider.as_str(), s.time_zone.as_str()), (3, "demo", "America/Denver"));
        assert_eq!(s.account.as_ref().map(|a| (a.label.as_str(), a.low_balance)), Some(("Demo provider", false)));

        // Step 3 needs a Front Desk number and can't be skipped.
        let e = app.call(CompleteSetupStep { step: 3 }).await.unwrap_err();
        assert!(e.1.to_string().contains("Front Desk number"), "{e:?}");
        assert!(app.call(SkipSetupStep { step: 3 }).await.unwrap_err().1.to_string().contains("can't be skipped"));
        let offers = app.call(SearchNumbersForSale { area_code: "720".into() }).await.expect("search");
        app.call(BuyNumber { e164: offers[0].e164.clone(), class: "front_desk".into() }).await.expect("buy");
        let s = app.call(CompleteSetupStep { step: 3 }).await.expect("step 3");
        assert_eq!(s.step, 4);

        // Step 4: bulk buy sitter numbers; step 5 skipped.
        assert_eq!(
            app.call(OffersForBulk { area_code: "720".into(), count: 0 }).await.unwrap_err().1.field_name(),
            Some("count")
        );
        assert_eq!(
            app.call(OffersForBulk { area_code: "72".into(), count: 2 }).await.unwrap_err().1.field_name(),
            Some("area_code")
        );
        let bulk = app.call(OffersForBulk { area_code: "720".into(), count: 2 }).await.expect("offers");
        assert_eq!(bulk.len(), 2);
        for o in &bulk {
            app.call(BuyNumber { e164: o.e164.clone(), class: "sitter".into() }).await.expect("buy sitter number");
        }
        app.call(CompleteSetupStep { step: 4 }).await.expect("step 4");
        let s = app.call(SkipSetupStep { step: 5 }).await.expect("skip 5");
        assert_eq!(s.step, 6);
        assert!(s.progress.skipped.contains(&5));

        // Leaving and coming back resumes at the hookup.
        assert_eq!(app.call(LoadSetup {}).await.unwrap().step, 6);

        // Finish is refused until every check passes.
        app.exec("UPDATE numbers SET hookup_status = 'pending'").await;
        let e = app.call(CompleteSetupStep { step: 7 }).await.unwrap_err();
        assert!(e.1.to_string().contains("Finish step 6 first"), "{e:?}");
        assert_eq!(
            app.call(RunHookup { base_url: "ftp://nope".into() }).await.unwrap_err().1.field_name(),
            Some("base_url")
        );
        let run = app.call(RunHookup { base_url: String::new() }).await.expect("hookup");
        assert_eq!(run.results.iter().filter(|r| r.ok).count(), 3, "{:?}", run.results);
        assert_eq!((run.state.step, run.state.ready), (7, false));
        assert!(run.state.readiness.iter().all(|c| c.ok), "{:?}", run.state.readiness);

        let s = app.call(CompleteSetupStep { step: 7 }).await.expect("finish");
        assert!(s.ready && s.progress.completed.contains(&7), "{backend:?}");
        assert!(app.scalar("SELECT COUNT(*) FROM organisations WHERE ready_at IS NOT NULL").await == 1);
        for kind in
            ["provider.connected", "setup.step_completed", "setup.step_skipped", "numbers.hooked_up", "setup.finished"]
        {
            let n = app.scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE event_type = '{kind}'")).await;
            assert!(n >= 1, "{backend:?}: no {kind} audit event");
        }
        assert_eq!(app.call(LoadSetup {}).await.unwrap().step, 7);
    }
}

#[tokio::test]
async fn twilio_wizard_tests_credentials_before_storing_them_and_reads_the_hookup_back() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_app_with(backend, false, &[("TWILIO_API_BASE_URL", stub.addr.as_str())]).await;
        owner(&app).await;
        let form = |sid: &str, token: &str| ConnectForm {
            mode: "twilio".into(),
            account_sid: sid.into(),
            auth_token: token.into(),
            business_name: "Paws & Co".into(),
            time_zone: "America/Chicago".into(),
        };
        let e = app.call(ConnectProvider { form: form("AC123", twilio_stub::AUTH_TOKEN) }).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("account_sid")));
        let e = app
            .call(ConnectProvider { form: form(twilio_stub::ACCOUNT_SID, "wrong-token-1234567890") })
            .await
            .unwrap_err();
        assert_eq!(e.0, 409, "{backend:?}: {e:?}");
        assert!(e.1.to_string().contains("didn't accept the Account ID and Auth Token"), "{e:?}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM organisations WHERE provider_connected_at IS NULL AND provider_credentials IS NULL AND provider_kind = 'demo'").await,
            1,
            "{backend:?}: a failed test stores nothing"
        );

        let s = app
            .call(ConnectProvider { form: form(twilio_stub::ACCOUNT_SID, twilio_stub::AUTH_TOKEN) })
            .await
            .expect("connect");
        assert_eq!((s.provider.as_str(), s.step), ("twilio", 3));
        let account = s.account.clone().expect("account");
        assert_eq!(
            (account.label.as_str(), account.balance.as_deref(), account.low_balance),
            ("AC…cdef", Some("$7.25"), true)
        );
        let stored = app.text("SELECT provider_credentials FROM organisations").await.expect("stored");
        assert!(!stored.contains(twilio_stub::AUTH_TOKEN), "credentials are encrypted at rest");
        assert!(!serde_json::to_string(&s).unwrap().contains(twilio_stub::AUTH_TOKEN), "and never sent back");
        app.call(VerifyAccount {}).await.expect("check again");

        let offers = app.call(SearchNumbersForSale { area_code: "512".into() }).await.expect("search");
        assert_eq!(offers.len(), 3);
        app.call(BuyNumber { e164: offers[0].e164.clone(), class: "front_desk".into() }).await.expect("buy");
        let bought =
            stub.seen().into_iter().find(|s| s.path == "/IncomingPhoneNumbers.json").expect("bought at Twilio");
        assert!(bought.form.iter().any(|(k, v)| k == "SmsUrl" && v == &format!("{}/webhooks/twilio/sms", app.addr)));
        app.call(CompleteSetupStep { step: 3 }).await.expect("step 3");
        app.call(SkipSetupStep { step: 4 }).await.expect("skip 4");
        app.call(SkipSetupStep { step: 5 }).await.expect("skip 5");

        // Another app holds the number: the hookup says so and Finish waits.
        stub.inner.foreign_urls.store(true, std::sync::atomic::Ordering::SeqCst);
        let run = app.call(RunHookup { base_url: String::new() }).await.expect("hookup");
        assert!(
            !run.results[0].ok && run.results[0].message.contains("https://old-app.example.com/sms"),
            "{:?}",
            run.results
        );
        assert_eq!(run.state.step, 6);
        assert_eq!(app.text("SELECT hookup_status FROM numbers").await.as_deref(), Some("failed"));
        let e = app.call(CompleteSetupStep { step: 7 }).await.unwrap_err();
        assert_eq!(e.0, 409);

        stub.inner.foreign_urls.store(false, std::sync::atomic::Ordering::SeqCst);
        let run = app.call(RunHookup { base_url: String::new() }).await.expect("hookup again");
        assert!(run.results.iter().all(|r| r.ok), "{:?}", run.results);
        let s = app.call(CompleteSetupStep { step: 7 }).await.expect("finish");
        assert!(s.ready, "{backend:?}");

        // Switching to demo numbers with Twilio numbers in service is refused.
        let e = app.call(ConnectProvider { form: demo_form() }).await.unwrap_err();
        assert!(e.1.to_string().contains("can't move to another provider"), "{e:?}");
        assert_eq!(app.text("SELECT provider_kind FROM organisations").await.as_deref(), Some("twilio"));
    }
}

#[tokio::test]
async fn only_the_owner_runs_setup() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    assert_eq!(call_with(&sitter, &app.addr, LoadSetup {}).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, &app.addr, ConnectProvider { form: demo_form() }).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, &app.addr, CompleteSetupStep { step: 7 }).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, &app.addr, RunHookup { base_url: String::new() }).await.unwrap_err().0, 403);
    assert_eq!(
        call_with(&sitter, &app.addr, OffersForBulk { area_code: "512".into(), count: 2 }).await.unwrap_err().0,
        403
    );
    // The demo business is already set up: the wizard opens on its last step, ready.
    app.sign_in("owner@example.com", "password123").await.unwrap();
    let s = app.call(LoadSetup {}).await.unwrap();
    assert_eq!((s.step, s.ready), (7, true));
    assert!(s.readiness.iter().all(|c| c.ok), "{:?}", s.readiness);
}

#[tokio::test]
async fn webhooks_are_checked_against_the_custom_hookup_address_and_later_numbers_use_it() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_app_with(backend, false, &[("TWILIO_API_BASE_URL", stub.addr.as_str())]).await;
        owner(&app).await;
        app.call(ConnectProvider {
            form: ConnectForm {
                mode: "twilio".into(),
                account_sid: twilio_stub::ACCOUNT_SID.into(),
                auth_token: twilio_stub::AUTH_TOKEN.into(),
                business_name: "Paws & Co".into(),
                time_zone: "America/Chicago".into(),
            },
        })
        .await
        .expect("connect");
        let offers = app.call(SearchNumbersForSale { area_code: "512".into() }).await.expect("search");
        app.call(BuyNumber { e164: offers[0].e164.clone(), class: "front_desk".into() }).await.expect("buy");
        app.call(CompleteSetupStep { step: 3 }).await.expect("step 3");
        app.call(SkipSetupStep { step: 4 }).await.expect("skip 4");
        app.call(SkipSetupStep { step: 5 }).await.expect("skip 5");

        // The business reaches this app through its own address.
        let custom = "https://texts.paws.example";
        let run = app.call(RunHookup { base_url: format!("{custom}/") }).await.expect("hookup");
        assert!(run.results.iter().all(|r| r.ok), "{backend:?}: {:?}", run.results);
        let front_desk = offers[0].e164.clone();

        // Twilio signs what it posts with the address it posts to.
        let post = |signed_for: String, sid: &'static str| {
            let app = &app;
            let front_desk = front_desk.clone();
            async move {
                let params: Vec<(String, String)> = [
                    ("MessageSid", sid),
                    ("AccountSid", twilio_stub::ACCOUNT_SID),
                    ("From", "+17375550142"),
                    ("To", front_desk.as_str()),
                    ("Body", "Hi, is Saturday free?"),
                    ("NumMedia", "0"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
                let sig = app::messaging::signature::compute(twilio_stub::AUTH_TOKEN, &signed_for, &params);
                app.client
                    .post(app.url("/webhooks/twilio/sms"))
                    .header("X-Twilio-Signature", sig)
                    .form(&params)
                    .send()
                    .await
                    .expect("webhook")
                    .status()
                    .as_u16()
            }
        };
        let ok = post(format!("{custom}/webhooks/twilio/sms"), "SMcustom00000000000000000000000001").await;
        assert_eq!(ok, 200, "{backend:?}: signed for the hookup address");
        let other =
            post("https://elsewhere.example/webhooks/twilio/sms".into(), "SMcustom00000000000000000000000002").await;
        assert_eq!(other, 403, "{backend:?}: signed for an address we never gave Twilio");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'").await, 1);
        // The default address still works for numbers hooked there.
        let default = post(app.url("/webhooks/twilio/sms"), "SMcustom00000000000000000000000003").await;
        assert_eq!(default, 200, "{backend:?}");

        // A number bought later is pointed at the same address.
        app.call(BuyNumber { e164: offers[1].e164.clone(), class: "sitter".into() }).await.expect("buy another");
        let bought: Vec<_> =
            stub.seen().into_iter().filter(|s| s.path == "/IncomingPhoneNumbers.json" && s.method == "POST").collect();
        let last = bought.last().expect("bought at Twilio");
        assert!(
            last.form.iter().any(|(k, v)| k == "SmsUrl" && v == &format!("{custom}/webhooks/twilio/sms")),
            "{:?}",
            last.form
        );
        assert_eq!(
            app.text(&format!("SELECT hookup_base_url FROM numbers WHERE e164 = '{}'", offers[1].e164))
                .await
                .as_deref(),
            Some(custom)
        );
    }
}

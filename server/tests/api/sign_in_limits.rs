//! Sign-in throttling and getting back in (issue 16, item 6): an address's
//! failures count whatever succeeds between them; a locked-out person
//! unlocks with a code texted to their own phone, or the owner unlocks
//! them; passwords are long, not blank, not common.

use crate::helpers::*;
use app::auth::{CreateOwner, MyPhone, RequestUnlockCode, SetMyPhone, UnlockAccount};
use app::error::AppError;

#[tokio::test]
async fn guesses_from_one_address_are_counted_whatever_succeeds_between_them() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let mut refused_at = None;
        for i in 0..30 {
            // A wrong guess at someone else's account (a different one each
            // time, so no account locks)...
            let guess = app.sign_in(&format!("victim{i}@example.com"), "letmein-please").await.unwrap_err();
            if guess.0 == 429 {
                refused_at = Some(i);
                assert!(guess.1.to_string().contains("from this network"), "{}", guess.1);
                break;
            }
            // ...then a good sign-in to one's own, which used to reset the count.
            let _ = app.sign_in("sitter@example.com", "password123").await;
        }
        assert_eq!(refused_at, Some(20), "{backend:?}: the 21st guess from one address is refused");
    }
}

/// The six digits of the last unlock code the demo provider "sent" to `to`
/// (the text goes out just after the answer, so wait a moment for it).
async fn texted_code(app: &TestApp, to: &str) -> Option<String> {
    for _ in 0..50 {
        let body = app.text(&format!("SELECT MAX(body) FROM demo_outbox WHERE to_e164 = '{to}'")).await;
        let code = body.as_deref().and_then(|b| {
            b.split_whitespace()
                .find(|w| w.len() == 7 && w.ends_with('.') && w[..6].chars().all(|c| c.is_ascii_digit()))
                .map(|w| w[..6].to_string())
        });
        if code.is_some() {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_locked_out_owner_unlocks_with_a_code_texted_to_their_own_phone() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let owner = app.client_for("owner@example.com", "password123").await;
        let (status, e) = call_with(&owner, &app.addr, SetMyPhone { phone: "not a phone".into() }).await.unwrap_err();
        assert_eq!((status, e.field_name()), (422, Some("phone")));
        let shown = call_with(&owner, &app.addr, SetMyPhone { phone: "(512) 555-0188".into() }).await.unwrap();
        assert_eq!(shown.as_deref(), Some("+1 (512) 555-0188"));
        assert_eq!(call_with(&owner, &app.addr, MyPhone {}).await.unwrap(), shown);

        for _ in 0..5 {
            assert_eq!(app.sign_in("owner@example.com", "wrong-password").await.unwrap_err().0, 422);
        }
        let (status, e) = app.sign_in("owner@example.com", "password123").await.unwrap_err();
        assert_eq!(status, 429);
        assert!(e.to_string().starts_with(app::auth::LOCKED_PREFIX), "{e}");

        // The same answer whether or not the account exists.
        let told = app.call(RequestUnlockCode { email: "owner@example.com".into() }).await.unwrap();
        let nobody = app.call(RequestUnlockCode { email: "nobody@example.com".into() }).await.unwrap();
        assert_eq!(told, nobody);
        let code = texted_code(&app, "+15125550188").await.expect("a code was texted to the owner's phone");
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, e) =
            app.call(UnlockAccount { email: "owner@example.com".into(), code: wrong.into() }).await.unwrap_err();
        assert_eq!((status, e.field_name()), (422, Some("code")), "{backend:?}: {e}");
        app.call(UnlockAccount { email: "owner@example.com".into(), code: code.clone() }).await.expect("unlocked");
        app.sign_in("owner@example.com", "password123").await.expect("signed in after unlocking");
        // Used once.
        assert!(app.call(UnlockAccount { email: "owner@example.com".into(), code }).await.is_err());
        for ev in ["auth.unlock_code_sent", "auth.unlocked", "user.phone_changed"] {
            assert_eq!(
                app.scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE event_type = '{ev}'")).await,
                1,
                "{backend:?}: {ev}"
            );
        }
    }
}

#[tokio::test]
async fn a_code_can_be_guessed_five_times_at_most() {
    let app = spawn_demo(Backend::Sqlite).await;
    let owner = app.client_for("owner@example.com", "password123").await;
    call_with(&owner, &app.addr, SetMyPhone { phone: "+15125550188".into() }).await.unwrap();
    for _ in 0..5 {
        let _ = app.sign_in("owner@example.com", "wrong-password").await;
    }
    app.call(RequestUnlockCode { email: "owner@example.com".into() }).await.unwrap();
    let code = texted_code(&app, "+15125550188").await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let _ = app.call(UnlockAccount { email: "owner@example.com".into(), code: wrong.into() }).await;
    }
    // Out of tries: even the right code now gets the same answer as a wrong one.
    let (_, e) = app.call(UnlockAccount { email: "owner@example.com".into(), code }).await.unwrap_err();
    assert!(e.to_string().contains("isn't right, or it has expired"), "{e}");
    assert_eq!(app.sign_in("owner@example.com", "password123").await.unwrap_err().0, 429, "still locked");
}

#[tokio::test]
async fn the_owner_unlocks_a_sitter_who_is_locked_out() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        for _ in 0..5 {
            let _ = app.sign_in("sitter@example.com", "wrong-password").await;
        }
        assert_eq!(app.sign_in("sitter@example.com", "password123").await.unwrap_err().0, 429);
        let owner = app.client_for("owner@example.com", "password123").await;
        let list = call_with(&owner, &app.addr, app::people::LoadSitters {}).await.unwrap();
        let maya = list.iter().find(|s| s.first_name == "Maya").unwrap();
        assert!(maya.locked, "{backend:?}: People shows Maya locked");
        let sitter = app.client_for("jordan@example.com", "password123").await;
        let id = app.sitter_id("Maya").await;
        assert_eq!(call_with(&sitter, &app.addr, app::people::UnlockSitter { id }).await.unwrap_err().0, 403);
        let said = call_with(&owner, &app.addr, app::people::UnlockSitter { id }).await.unwrap();
        assert_eq!(said, "Maya Chen can sign in again.");
        app.sign_in("sitter@example.com", "password123").await.expect("Maya signs in");
        let list = call_with(&owner, &app.addr, app::people::LoadSitters {}).await.unwrap();
        assert!(!list.iter().find(|s| s.first_name == "Maya").unwrap().locked);
    }
}

#[tokio::test]
async fn passwords_are_long_not_blank_and_not_common() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let owner = |pw: &str| CreateOwner {
            business_name: "Paws & Co".into(),
            name: "Riley Owner".into(),
            email: "riley@paws.co".into(),
            password: pw.into(),
            password_again: pw.into(),
        };
        for bad in ["          ", "short", "password1234", "qwertyuiop12", "RileyOwner1"] {
            let (status, e) = app.call(owner(bad)).await.unwrap_err();
            assert_eq!((status, e.field_name()), (422, Some("password")), "{backend:?}: {bad:?} accepted");
            assert!(matches!(e, AppError::Invalid { .. }));
        }
        app.call(owner("copper-kettle-marmot-42")).await.expect("a good password");
        // The same rule for a sitter's password.
        let form = app::people::NewSitterForm {
            name: "Tess Moore".into(),
            email: "tess@paws.co".into(),
            password: "password1234".into(),
            ..Default::default()
        };
        let (status, e) = app.call(app::people::AddSitter { form }).await.unwrap_err();
        assert_eq!((status, e.field_name()), (422, Some("password")));
    }
}

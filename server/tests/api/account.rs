//! Your account (issue 23): changing your own password needs the current
//! one, follows the sign-up rules, ends your other sessions (not anyone
//! else's) and is audited; refusals change nothing.

use crate::helpers::*;
use app::account::{ChangePassword, PasswordForm};
use app::inbox::UnreadCount;

fn form(current: &str, new: &str, again: &str) -> PasswordForm {
    PasswordForm { current: current.into(), new: new.into(), again: again.into() }
}

#[tokio::test]
async fn changing_your_password_needs_the_current_one_and_signs_out_your_other_sessions() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("sitter@example.com", "password123").await.unwrap();
        let elsewhere = app.client_for("sitter@example.com", "password123").await;
        let owner = app.client_for("owner@example.com", "password123").await;
        let new = "copper-kettle-marmot-42";

        for (f, field, words) in [
            (form("", new, new), "current", "current password"),
            (form("password123", "short", "short"), "new", "at least 10"),
            (form("password123", new, "copper-kettle-marmot-43"), "again", "don't match"),
            (form("not-my-password-9", new, new), "current", "isn't your current password"),
        ] {
            let e = app.call(ChangePassword { form: f }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
            assert!(e.1.to_string().contains(words), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.password_changed'").await, 0);
        assert!(call_with(&elsewhere, &app.addr, UnreadCount {}).await.is_ok(), "{backend:?}: nothing changed yet");

        assert_eq!(app.call(ChangePassword { form: form("password123", new, new) }).await.ok(), Some(1), "{backend:?}");
        assert!(app.call(UnreadCount {}).await.is_ok(), "{backend:?}: this session stays signed in");
        assert_eq!(
            call_with(&elsewhere, &app.addr, UnreadCount {}).await.unwrap_err().0,
            401,
            "{backend:?}: the other one ends"
        );
        assert!(call_with(&owner, &app.addr, UnreadCount {}).await.is_ok(), "{backend:?}: nobody else's session ends");
        let summary = app.text("SELECT summary FROM audit_events WHERE event_type = 'user.password_changed'").await;
        assert_eq!(
            summary.as_deref(),
            Some("Maya Chen changed their password; 1 other session was signed out"),
            "{backend:?}"
        );

        let fresh = new_client();
        let old = call_with(
            &fresh,
            &app.addr,
            app::auth::SignIn { email: "sitter@example.com".into(), password: "password123".into() },
        )
        .await;
        assert!(old.is_err(), "{backend:?}: the old password no longer works");
        let now = call_with(
            &fresh,
            &app.addr,
            app::auth::SignIn { email: "sitter@example.com".into(), password: new.into() },
        )
        .await;
        assert!(now.is_ok(), "{backend:?}: {now:?}");
    }
}

#[tokio::test]
async fn an_owner_makes_a_one_time_reset_link_and_the_sitter_sets_a_new_password_with_it() {
    use app::account::{CheckResetLink, MakeResetLink, ResetPassword};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let maya = app.sitter_id("Maya").await;
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(
            call_with(&sitter, &app.addr, MakeResetLink { sitter: maya }).await.unwrap_err().0,
            403,
            "{backend:?}"
        );

        let first = app.call(MakeResetLink { sitter: maya }).await.expect("link");
        let link = app.call(MakeResetLink { sitter: maya }).await.expect("a second link");
        assert_eq!(link.name, "Maya Chen");
        let token = |url: &str| url.rsplit("/reset/").next().unwrap_or_default().to_string();
        assert!(link.url.contains("/reset/") && token(&link.url).len() >= 40, "{link:?}");
        let stored = app.text("SELECT id FROM password_resets WHERE used_at IS NULL").await.unwrap_or_default();
        assert_ne!(stored, token(&link.url), "{backend:?}: stored as a hash only");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM password_resets").await,
            1,
            "{backend:?}: the newer link replaces the older"
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.reset_link_made'").await, 2);

        let anyone = new_client();
        let gone = call_with(&anyone, &app.addr, CheckResetLink { token: token(&first.url) }).await.unwrap_err();
        assert_eq!(gone.0, 404, "{backend:?}: the replaced link no longer works");
        assert!(gone.1.to_string().contains("expired or was already used"), "{gone:?}");
        let t = token(&link.url);
        assert_eq!(
            call_with(&anyone, &app.addr, CheckResetLink { token: t.clone() }).await.ok().as_deref(),
            Some("Maya Chen")
        );

        let reset = |new: &str, again: &str| ResetPassword { token: t.clone(), new: new.into(), again: again.into() };
        let e = call_with(&anyone, &app.addr, reset("short", "short")).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("new")), "{backend:?}: {e:?}");
        let e = call_with(&anyone, &app.addr, reset("copper-kettle-marmot-42", "copper-kettle-marmot-4"))
            .await
            .unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("again")), "{backend:?}: {e:?}");
        assert!(call_with(&sitter, &app.addr, UnreadCount {}).await.is_ok(), "{backend:?}: refusals change nothing");

        call_with(&anyone, &app.addr, reset("copper-kettle-marmot-42", "copper-kettle-marmot-42"))
            .await
            .expect("reset");
        assert_eq!(
            call_with(&sitter, &app.addr, UnreadCount {}).await.unwrap_err().0,
            401,
            "{backend:?}: her sessions end"
        );
        assert_eq!(
            call_with(&anyone, &app.addr, reset("copper-kettle-marmot-42", "copper-kettle-marmot-42"))
                .await
                .unwrap_err()
                .0,
            404,
            "{backend:?}: once only"
        );
        let signed = call_with(
            &new_client(),
            &app.addr,
            app::auth::SignIn { email: "sitter@example.com".into(), password: "copper-kettle-marmot-42".into() },
        )
        .await;
        assert!(signed.is_ok(), "{backend:?}: {signed:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.password_reset' AND actor_name = 'Maya Chen'").await, 1);
        assert_eq!(
            call_with(&anyone, &app.addr, CheckResetLink { token: "nonsense".into() }).await.unwrap_err().0,
            404
        );
    }
}

#[tokio::test]
async fn the_owner_edits_a_sitters_name_phone_and_email_and_their_sign_in_follows() {
    use app::people::{EditSitter, SitterEdit};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let jordan = app.sitter_id("Jordan").await.0;
        let base = SitterEdit {
            id: jordan,
            name: "Jordan Rivera".into(),
            first_name: "Jordan".into(),
            phone: String::new(),
            email: "jordan@example.com".into(),
        };
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, EditSitter { form: base.clone() }).await.unwrap_err().0, 403);

        for (form, field) in [
            (SitterEdit { name: "  ".into(), ..base.clone() }, "name"),
            (SitterEdit { phone: "12".into(), ..base.clone() }, "phone"),
            (SitterEdit { email: "not an email".into(), ..base.clone() }, "email"),
            (SitterEdit { email: String::new(), ..base.clone() }, "email"),
            (SitterEdit { email: "sitter@example.com".into(), ..base.clone() }, "email"),
        ] {
            let e = app.call(EditSitter { form }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
        }
        assert_eq!(app.call(EditSitter { form: SitterEdit { id: 999_999, ..base.clone() } }).await.unwrap_err().0, 404);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'sitter.edited'").await, 0);

        let edited = SitterEdit {
            name: "Jordan Rivera-Smith".into(),
            phone: "(512) 555-0177".into(),
            email: "Jordan.R@Example.com".into(),
            ..base.clone()
        };
        let changes = app.call(EditSitter { form: edited.clone() }).await.expect("saved");
        assert_eq!(changes.len(), 3, "{backend:?}: {changes:?}");
        assert!(changes.contains(&"Email: jordan@example.com → jordan.r@example.com".to_string()), "{changes:?}");
        assert!(
            changes.iter().any(|c| c.starts_with("Personal phone:") && c.ends_with("+1 (512) 555-0177")),
            "{changes:?}"
        );
        assert_eq!(
            app.text(&format!("SELECT name FROM users WHERE sitter_id = {jordan}")).await.as_deref(),
            Some("Jordan Rivera-Smith")
        );
        let signed = call_with(
            &new_client(),
            &app.addr,
            app::auth::SignIn { email: "jordan.r@example.com".into(), password: "password123".into() },
        )
        .await;
        assert!(signed.is_ok(), "{backend:?}: the sign-in follows the email: {signed:?}");
        let again = app
            .call(EditSitter { form: SitterEdit { email: "jordan.r@example.com".into(), ..edited } })
            .await
            .expect("saved");
        assert!(again.is_empty(), "{backend:?}: nothing changed: {again:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'sitter.edited'").await, 1);
    }
}

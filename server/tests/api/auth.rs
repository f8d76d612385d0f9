use crate::helpers::*;
use app::auth::{CreateOwner, Install, InstallStatus, Whoami};
use app::domain::roles::Role;
use app::error::AppError;

#[tokio::test]
async fn owner_signs_in_with_an_httponly_samesite_cookie() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let body = serde_qs::to_string(&app::auth::SignIn {
            email: "owner@example.com".into(),
            password: "password123".into(),
        })
        .unwrap();
        let res = app
            .client
            .post(app.url(<app::auth::SignIn as server_fn::ServerFn>::PATH))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
        let cookie = res.headers().get("set-cookie").expect("session cookie").to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http in tests: no Secure flag");
        let me = app.call(Whoami {}).await.unwrap().expect("signed in");
        assert_eq!(me.role, Role::Owner);
        assert_eq!(me.org_name, "Happy Tails Pet Care");
        assert!(me.ready);
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let app = spawn_demo(Backend::Sqlite).await;
    let (status, err) = app.sign_in("owner@example.com", "nope").await.unwrap_err();
    assert_eq!(status, 422);
    assert!(err.to_string().contains("don't match"), "{err}");
    let (_, unknown) = app.sign_in("nobody@example.com", "nope").await.unwrap_err();
    assert_eq!(err, unknown, "unknown emails get the same answer");
    assert_eq!(app.call(Whoami {}).await.unwrap(), None);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_demo(Backend::Sqlite).await;
    for _ in 0..5 {
        assert_eq!(app.sign_in("owner@example.com", "wrong").await.unwrap_err().0, 422);
    }
    let (status, err) = app.sign_in("owner@example.com", "password123").await.unwrap_err();
    assert_eq!(status, 429);
    assert!(matches!(err, AppError::TooManyRequests(ref m) if m.contains("locked")), "{err:?}");
    // Another account from the same place is unaffected.
    assert!(app.sign_in("sitter@example.com", "password123").await.is_ok());
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_demo(Backend::Sqlite).await;
    app.sign_in("owner@example.com", "password123").await.unwrap();
    assert!(app.call(Whoami {}).await.unwrap().is_some());
    let cookie_before = app.client.clone();
    app.call(app::auth::SignOut {}).await.unwrap();
    assert_eq!(app.call(Whoami {}).await.unwrap(), None);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&app.db().read).await.unwrap();
    assert_eq!(sessions, 0, "the session row is gone, not just the cookie");
    drop(cookie_before);
}

#[tokio::test]
async fn a_sitter_opening_an_owner_page_gets_a_403_refusal_not_a_crash() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    for path in ["/numbers", "/settings", "/audit", "/routing"] {
        let res = sitter.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("This page is for the business owner"), "{path}");
    }
    let res = sitter.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn_demo(Backend::Sqlite).await;
    let res = app.client.get(app.url("/numbers")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers().get("location").unwrap(), "/login");
}

#[tokio::test]
async fn a_fresh_install_creates_its_owner_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        assert_eq!(app.call(InstallStatus {}).await.unwrap(), Install { has_owner: false, demo: false });
        let owner = |email: &str, pw: &str, again: &str| CreateOwner {
            business_name: "Paws & Co".into(),
            name: "Riley Owner".into(),
            email: email.into(),
            password: pw.into(),
            password_again: again.into(),
        };
        let (status, err) =
            app.call(owner("not-an-email", "copper-kettle-marmot-42", "copper-kettle-marmot-42")).await.unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("email")));
        let (_, err) = app.call(owner("riley@paws.co", "short", "short")).await.unwrap_err();
        assert_eq!(err.field_name(), Some("password"));
        let (_, err) = app.call(owner("riley@paws.co", "copper-kettle-marmot-42", "different1")).await.unwrap_err();
        assert_eq!(err.field_name(), Some("password_again"));
        let orgs: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM organisations").fetch_one(&app.db().read).await.unwrap();
        assert_eq!(orgs, 0, "refused input changes nothing");

        app.call(owner("Riley@Paws.co", "copper-kettle-marmot-42", "copper-kettle-marmot-42")).await.unwrap();
        let me = app.call(Whoami {}).await.unwrap().expect("signed in after creating the account");
        assert_eq!((me.email.as_str(), me.role, me.ready), ("riley@paws.co", Role::Owner, false));

        let other = new_client();
        let (status, _) =
            call_with(&other, &app.addr, owner("second@paws.co", "copper-kettle-marmot-42", "copper-kettle-marmot-42"))
                .await
                .unwrap_err();
        assert_eq!(status, 409);
    }
}

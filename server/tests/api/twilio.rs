//! The Twilio side: our webhook signatures match the ones Twilio's own
//! library computes, and every call the Twilio provider makes is accepted
//! by Prism serving Twilio's official OpenAPI description (no 422).

use crate::twilio_stub::{ACCOUNT_SID, AUTH_TOKEN};
use app::domain::phone::E164;
use app::messaging::provider::{Provider, TwilioProvider};
use app::messaging::signature;
use std::process::{Child, Command, Stdio};

/// Signatures computed by PyPI `twilio`'s RequestValidator (installed by `make test`).
fn twilio_library_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let script = "import json, sys\nfrom twilio.request_validator import RequestValidator\nd = json.loads(sys.stdin.read())\nprint(RequestValidator(d['token']).compute_signature(d['url'], dict(d['params'])))";
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for this test");
    let input = serde_json::json!({ "token": token, "url": url, "params": params });
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "PyPI twilio missing? run `make python-twilio`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn our_signatures_match_twilios_own_library() {
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "https://texts.example.com/webhooks/twilio/sms",
            vec![
                ("MessageSid", "SM123"),
                ("From", "+15551234567"),
                ("To", "+15557654321"),
                ("Body", "Is Max OK? 🐶"),
                ("NumMedia", "0"),
            ],
        ),
        (
            "https://texts.example.com:8443/webhooks/twilio/status?org=7",
            vec![("MessageSid", "SM9"), ("MessageStatus", "delivered")],
        ),
        (
            "http://127.0.0.1:3000/webhooks/twilio/sms",
            vec![("Body", "a & b = c; 100% + ümlaut"), ("A", ""), ("z", "last")],
        ),
    ];
    for (url, params) in cases {
        let params: Vec<(String, String)> = params.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let theirs = twilio_library_signature(AUTH_TOKEN, url, &params);
        assert_eq!(signature::compute(AUTH_TOKEN, url, &params), theirs, "{url}");
        assert!(signature::verify(AUTH_TOKEN, url, &params, &theirs));
    }
}

struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_prism() -> (Prism, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/prism");
    assert!(bin.exists(), "Prism is missing: run `make node-modules` (npm @stoplight/prism-cli)");
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/twilio/twilio_api_v2010.yaml");
    let child = Command::new(bin)
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let guard = Prism(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (guard, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("Prism didn't start within 90 s");
}

#[tokio::test]
async fn every_twilio_call_conforms_to_twilios_openapi_description() {
    let (_prism, base) = start_prism().await;
    let p = Provider::Twilio(TwilioProvider::new(ACCOUNT_SID, AUTH_TOKEN, &base, 30));
    let number = E164::from_canonical("+15125550142").unwrap();
    let pn = "PN0123456789abcdef0123456789abcdef";
    let sms = "https://texts.example.com/webhooks/twilio/sms";
    let status = "https://texts.example.com/webhooks/twilio/status";
    // Prism answers 422, naming the field, to any request that breaks the
    // description; every call below must get a real answer instead.
    let account = p.account().await.expect("account + balance");
    assert_eq!(account.label, "AC…cdef");
    assert!(account.balance_cents.is_some());
    assert!(!p.available_numbers("512", 5).await.expect("available numbers").is_empty());
    p.buy(&number, sms, status).await.expect("buy");
    p.find_owned("+15125550142").await.expect("import by number");
    p.find_owned(pn).await.expect("import by id");
    p.configure(pn, sms, status).await.expect("point the number at us");
    p.fetch_number(pn).await.expect("read the number's settings");
    let to = E164::from_canonical("+15125550199").unwrap();
    let sent = p.send(&number, &to, "Hello from the contract test", status, "msg-1").await.expect("send");
    assert!(sent.sid.starts_with("SM"));
    p.find_sent(&number, &to, "Hello", chrono::Utc::now(), "msg-1").await.expect("look up sent messages");
    p.release(pn).await.expect("release");
}

//! X-Twilio-Signature (SPEC §5): HMAC-SHA1, keyed by the auth token, over the
//! full public URL followed by every POST parameter sorted by name, each as
//! name then value; base64. Compared in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = String::with_capacity(url.len() + params.len() * 32);
    data.push_str(url);
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) else {
        return String::new();
    };
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let expected = compute(auth_token, url, params);
    !signature.is_empty() && crate::platform::crypto::constant_time_eq(expected.as_bytes(), signature.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let a =
            compute("tok", "https://x.test/webhooks/twilio/sms", &p(&[("To", "+1"), ("Body", "hi"), ("From", "+2")]));
        let b =
            compute("tok", "https://x.test/webhooks/twilio/sms", &p(&[("From", "+2"), ("To", "+1"), ("Body", "hi")]));
        assert_eq!(a, b);
    }

    #[test]
    fn url_body_and_token_all_matter() {
        let params = p(&[("Body", "hi")]);
        let base = compute("tok", "https://x.test/a", &params);
        assert_ne!(base, compute("tok2", "https://x.test/a", &params));
        assert_ne!(base, compute("tok", "https://x.test/b", &params));
        assert_ne!(base, compute("tok", "https://x.test/a", &p(&[("Body", "hi!")])));
        assert!(verify("tok", "https://x.test/a", &params, &base));
        assert!(!verify("tok", "https://x.test/a", &params, ""));
        assert!(!verify("tok", "https://x.test/a", &params, "AAAA"));
    }
}

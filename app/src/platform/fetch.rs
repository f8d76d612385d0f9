//! Downloads from addresses someone else chose (MMS attachment URLs): only
//! from the provider's own hosts, never from loopback, private, link-local
//! or other internal addresses (checked when connecting, so a DNS answer
//! can't swap the address after the check), redirects followed one at a
//! time and each checked the same way, credentials sent only to the origin
//! they belong to, and the size cap enforced while reading, so a large
//! body is never held in memory.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Where a download may come from.
#[derive(Clone, Debug)]
pub struct Allowed {
    /// Hosts served over https, exactly ("api.twilio.com").
    pub hosts: Vec<String>,
    /// Host suffixes served over https (".twiliocdn.com").
    pub suffixes: Vec<String>,
    /// (host, path prefix) pairs served over https: shared storage hosts
    /// where only the provider's bucket is allowed.
    pub prefixes: Vec<(String, String)>,
    /// One origin the operator configured (a provider stand-in in tests,
    /// a proxy): allowed at exactly that scheme, host and port, even on an
    /// internal address.
    pub configured: Option<reqwest::Url>,
}

/// Credentials and the origin they may be sent to.
#[derive(Clone)]
pub struct Credentials {
    pub origin: reqwest::Url,
    pub user: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError {
    pub message: String,
    pub http_status: Option<u16>,
    /// Trying again later may work.
    pub transient: bool,
}

impl FetchError {
    fn refused(message: impl Into<String>) -> Self {
        FetchError { message: message.into(), http_status: None, transient: false }
    }
}

pub struct Fetched {
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

impl Allowed {
    /// Why `url` may not be fetched, if it may not.
    pub fn check(&self, url: &reqwest::Url) -> Result<(), String> {
        if self.configured.as_ref().is_some_and(|c| same_origin(c, url)) {
            return Ok(());
        }
        if url.scheme() != "https" {
            return Err(format!("{} is not an https address", url.scheme()));
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return Err("the address has no host".into());
        };
        if let Ok(ip) = host.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            if !is_public(ip) {
                return Err(format!("{ip} is an internal address"));
            }
        }
        let ok = self.hosts.contains(&host)
            || self.suffixes.iter().any(|s| host.ends_with(s.as_str()))
            || self.prefixes.iter().any(|(h, p)| *h == host && url.path().starts_with(p.as_str()));
        if ok {
            Ok(())
        } else {
            Err(format!("{host} is not one of the provider's media hosts"))
        }
    }
}

/// Addresses a server on the internet may have: not loopback, private,
/// link-local, shared (CGNAT), documentation, multicast or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
            // IPv4 inside IPv6: NAT64 (64:ff9b::/96), IPv4-compatible (::/96).
            let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0);
            let compatible = s[..6].iter().all(|x| *x == 0);
            if nat64 || compatible {
                return is_public_v4(embedded(s[6], s[7]));
            }
            // Tunnels that reach IPv4 hosts: 6to4 (2002::/16), Teredo (2001::/32).
            if s[0] == 0x2002 || (s[0] == 0x2001 && s[1] == 0) {
                return false;
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::UNSPECIFIED)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
        || o[0] >= 240)
}

/// Resolves names to public addresses only; the configured host (if any)
/// may resolve anywhere.
struct PublicOnly {
    exempt: Option<String>,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let exempt = self.exempt.as_deref() == Some(host.as_str());
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = addrs.into_iter().filter(|a| exempt || is_public(a.ip())).collect();
            if usable.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

const MAX_REDIRECTS: usize = 5;

/// Downloads `url` under `allowed`, at most `max_bytes`.
pub async fn get(
    allowed: &Allowed,
    credentials: Option<&Credentials>,
    url: &str,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    let mut url = reqwest::Url::parse(url).map_err(|_| FetchError::refused("the attachment address isn't a URL"))?;
    let exempt = allowed.configured.as_ref().and_then(|c| c.host_str()).map(str::to_string);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve names itself, past the address check.
        .no_proxy()
        .timeout(timeout)
        .dns_resolver(Arc::new(PublicOnly { exempt }))
        .build()
        .map_err(|e| FetchError { message: format!("http client: {e}"), http_status: None, transient: true })?;
    for _ in 0..=MAX_REDIRECTS {
        allowed.check(&url).map_err(|why| FetchError::refused(format!("not downloaded: {why}")))?;
        let mut req = client.get(url.clone());
        if let Some(c) = credentials.filter(|c| same_origin(&c.origin, &url)) {
            req = req.basic_auth(&c.user, Some(&c.password));
        }
        let res = req.send().await.map_err(|e| FetchError {
            message: format!("download failed: {e}"),
            http_status: None,
            transient: true,
        })?;
        let status = res.status();
        if status.is_redirection() {
            let next = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| FetchError::refused("a redirect without a usable Location"))?;
            url = next;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError {
                message: format!("download failed with HTTP {status}"),
                http_status: Some(status.as_u16()),
                transient: status.is_server_error() || status.as_u16() == 429,
            });
        }
        let too_big = || FetchError::refused(format!("larger than {} MB, not kept", max_bytes / (1024 * 1024)));
        if res.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(too_big());
        }
        let content_type =
            res.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let mut res = res;
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| FetchError {
            message: format!("download interrupted: {e}"),
            http_status: None,
            transient: true,
        })? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Fetched { content_type, bytes });
    }
    Err(FetchError::refused("too many redirects"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twilio() -> Allowed {
        Allowed {
            hosts: vec!["api.twilio.com".into()],
            suffixes: vec![".twiliocdn.com".into()],
            prefixes: vec![("s3-external-1.amazonaws.com".into(), "/media.twiliocdn.com/".into())],
            configured: reqwest::Url::parse("http://127.0.0.1:4010").ok(),
        }
    }

    fn ok(u: &str) -> bool {
        twilio().check(&reqwest::Url::parse(u).unwrap()).is_ok()
    }

    #[test]
    fn only_the_providers_media_hosts_are_fetched() {
        assert!(ok("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"));
        assert!(ok("https://media.twiliocdn.com/AC1/abc"));
        assert!(ok("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/abc"));
        assert!(ok("http://127.0.0.1:4010/media/a1"), "the configured origin");
        assert!(!ok("http://api.twilio.com/x"), "plain http");
        assert!(!ok("https://s3-external-1.amazonaws.com/someone-else/x"), "another bucket");
        assert!(!ok("https://evil.com/x"));
        assert!(!ok("https://api.twilio.com.evil.com/x"));
        assert!(!ok("http://127.0.0.1:4011/x"), "another port on loopback");
        assert!(!ok("https://127.0.0.1/x"));
        assert!(!ok("https://169.254.169.254/latest/meta-data"));
        assert!(!ok("https://[::1]/x"));
        assert!(!ok("file:///etc/passwd"));
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "::7f00:1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["54.172.60.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}

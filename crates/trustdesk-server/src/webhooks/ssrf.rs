//! Where a server-side request may go. A webhook URL is chosen by an admin
//! (or, for the freeze lane, by config), but the request leaves from inside
//! the deployment, next to databases and the cloud metadata service: so
//! the host is resolved once, EVERY address it resolves to must be public
//! (or inside an allowlisted CIDR, `[webhooks] allow_cidrs`), and the
//! sender connects to the address that was checked, never to a second DNS
//! answer (rebinding).

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a target is refused. The texts are safe to show an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the webhook URL is not a valid URL")]
    Invalid,
    #[error("only http and https webhook URLs are allowed")]
    Scheme,
    #[error("webhook URLs may not carry a user name or password")]
    Credentials,
    #[error("the webhook host does not resolve")]
    DoesNotResolve,
    #[error("the webhook host is an internal address")]
    Internal,
}

/// Internal networks a deployment chose to reach (e.g. a backend on the
/// same host in tests: `["127.0.0.0/8"]`).
#[derive(Clone, Debug, Default)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    pub fn new(cidrs: Vec<IpNet>) -> Self {
        Self(cidrs)
    }

    /// May a request go to `ip`?
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        !is_internal(ip) || self.0.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4 address written as IPv6 (mapped `::ffff:a.b.c.d`) is that IPv4
/// address: the allowlist and the checks see it so.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// True for addresses a server-side request must not reach by default:
/// anything not globally routable, and IPv6 spellings of such IPv4
/// addresses.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_loopback()                          // 127/8
        || v4.is_private()                    // 10/8, 172.16/12, 192.168/16
        || v4.is_link_local()                 // 169.254/16 (cloud metadata)
        || v4.is_broadcast()
        || v4.is_multicast()                  // 224/4
        || v4.is_documentation()              // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || a == 0                             // 0/8 ("this network"; 0.0.0.0 is localhost)
        || (a == 100 && (b & 0xc0) == 64)     // 100.64/10 carrier-grade NAT
        || (a == 192 && b == 0 && c == 0)     // 192.0.0/24 protocol assignments
        || (a == 198 && (b & 0xfe) == 18)     // 198.18/15 benchmarking
        || a >= 240 // 240/4 reserved
}

fn is_internal_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| is_internal_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()                               // ff00::/8
        || (s[0] & 0xfe00) == 0xfc00                       // fc00::/7 unique local
        || (s[0] & 0xffc0) == 0xfe80                       // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0                       // fec0::/10 old site-local
        || (s[0] == 0x2001 && s[1] == 0x0db8)              // 2001:db8::/32 documentation
        || (s[0] == 0x2001 && s[1] == 0)                   // 2001::/32 Teredo (hides a v4)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])        // 100::/64 discard
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48 local NAT64
        // IPv4-mapped ::ffff:a.b.c.d and the old IPv4-compatible ::a.b.c.d
        || (s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) && embedded_v4(s[6], s[7]))
        // NAT64 64:ff9b::a.b.c.d reaches the IPv4 address behind it.
        || (s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] && embedded_v4(s[6], s[7]))
        // 6to4 2002:AABB:CCDD::/48 routes to a.b.c.d.
        || (s[0] == 0x2002 && embedded_v4(s[1], s[2]))
}

/// Parses a webhook URL: http or https, a host, no credentials.
pub fn parse_url(text: &str) -> Result<reqwest::Url, TargetError> {
    let url = reqwest::Url::parse(text.trim()).map_err(|_| TargetError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::Invalid);
    }
    Ok(url)
}

/// Where to connect: the URL's host name (for TLS and `Host`) and the
/// checked address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub addr: SocketAddr,
}

/// Resolves the URL's host once and checks every address it resolves to.
pub async fn checked_target(url: &reqwest::Url, allow: &AllowList) -> Result<Target, TargetError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    let host = url.host_str().ok_or(TargetError::Invalid)?.to_owned();
    let port = url.port_or_known_default().ok_or(TargetError::Invalid)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|_| TargetError::DoesNotResolve)?
        .collect();
    let first = *addrs.first().ok_or(TargetError::DoesNotResolve)?;
    // One internal address among public ones is enough to refuse: which
    // one a client would pick is not ours to guess.
    if addrs.iter().any(|a| !allow.permits(a.ip())) {
        return Err(TargetError::Internal);
    }
    Ok(Target { host, addr: first })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_recognised_in_every_spelling() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "2002:7f00:0001::1",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(is_internal(ip(s)), "{s} should be internal");
        }
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "100.128.0.1",
            "2606:2800:220:1:248:1893:25c8:1946",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(!is_internal(ip(s)), "{s} should be public");
        }
    }

    #[test]
    fn the_allowlist_opens_only_its_networks() {
        let allow = AllowList::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(allow.permits(ip("127.0.0.1")));
        assert!(
            allow.permits(ip("::ffff:127.0.0.1")),
            "mapped = the v4 address"
        );
        assert!(!allow.permits(ip("::1")));
        assert!(!allow.permits(ip("169.254.169.254")));
        assert!(allow.permits(ip("8.8.8.8")));
        assert!(!AllowList::default().permits(ip("127.0.0.1")));
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        assert!(parse_url("https://hooks.example.com/x").is_ok());
        assert_eq!(parse_url("file:///etc/passwd"), Err(TargetError::Scheme));
        assert_eq!(parse_url("gopher://x/"), Err(TargetError::Scheme));
        assert_eq!(
            parse_url("https://user:pw@hooks.example.com/"),
            Err(TargetError::Credentials)
        );
        assert_eq!(parse_url("not a url"), Err(TargetError::Invalid));
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowlisted() {
        let loopback = parse_url("http://127.0.0.1:9/hook").unwrap();
        assert_eq!(
            checked_target(&loopback, &AllowList::default()).await,
            Err(TargetError::Internal)
        );
        let allow = AllowList::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let target = checked_target(&loopback, &allow).await.unwrap();
        assert_eq!(target.addr, "127.0.0.1:9".parse().unwrap());
        let localhost = parse_url("http://localhost:9/hook").unwrap();
        assert!(
            checked_target(&localhost, &AllowList::default())
                .await
                .is_err(),
            "names that resolve inside count too"
        );
    }
}

//! Outbound HTTP to destinations users name (Brity job callbacks, BPMN service tasks): the
//! guard against server-side request forgery and the one way such a client is built.
//!
//! The server calls from inside its own network, so a destination is judged by the address
//! it connects to ([`refused_address`]): link-local (cloud metadata), unspecified, reserved,
//! broadcast and multicast addresses never; loopback and private ranges only when the
//! operator allows them (`sluice serve --callback-allow-private`). IPv6 forms that carry an
//! IPv4 address (mapped, translated, compatible, NAT64, 6to4) are judged by that IPv4 address.
//! [`pinned_client`] resolves the host once, keeps the addresses that pass and pins the
//! client to them, so a second, rebinding lookup cannot change where the call goes.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Longest wait for a destination: the lookup, and the answer (connection included).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// Why an address that is never called is refused (clients match its start, "a link-local").
const NEVER: &str = "a link-local, unspecified, reserved, broadcast, multicast or Teredo address";
/// Why a refused private address is refused (the operator can change it).
const PRIVATE: &str =
    "a loopback or private address (the server must be started with --callback-allow-private)";

/// How an address is treated. Ordered from the most to the least permissive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Public,
    /// Loopback, private or otherwise not globally reachable: only with the operator's leave.
    Private,
    /// Never called.
    Never,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 special-purpose ranges (IANA registry); any other address is public.
const V4_RANGES: &[(Ipv4Net, Class)] = &[
    // "This network", with the unspecified address 0.0.0.0.
    (v4(0, 0, 0, 0, 8), Class::Never),
    // Link-local: cloud metadata lives there (169.254.169.254).
    (v4(169, 254, 0, 0, 16), Class::Never),
    (v4(224, 0, 0, 0, 4), Class::Never),
    // Reserved, with the broadcast address 255.255.255.255.
    (v4(240, 0, 0, 0, 4), Class::Never),
    (v4(127, 0, 0, 0, 8), Class::Private),
    (v4(10, 0, 0, 0, 8), Class::Private),
    (v4(172, 16, 0, 0, 12), Class::Private),
    (v4(192, 168, 0, 0, 16), Class::Private),
    // Shared address space (carrier-grade NAT).
    (v4(100, 64, 0, 0, 10), Class::Private),
    // Benchmarking.
    (v4(198, 18, 0, 0, 15), Class::Private),
];

/// IPv6 special-purpose ranges judged as such (before any embedded IPv4 address).
const V6_RANGES: &[(Ipv6Net, Class)] = &[
    (v6([0; 8], 128), Class::Never),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), Class::Private),
    // AWS's instance metadata over IPv6 (inside the unique local range).
    (v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128), Class::Never),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), Class::Never),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), Class::Never),
    // Teredo tunnels to an IPv4 host behind NAT: nothing a server calls.
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), Class::Never),
    // Unique local.
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), Class::Private),
    // Site-local (deprecated, still routed inside sites).
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), Class::Private),
];

/// IPv4-mapped, IPv4-translated (SIIT), IPv4-compatible and well-known NAT64 prefixes: the
/// last 32 bits are an IPv4 address.
const V4_IN_LAST_32: [Ipv6Net; 4] = [
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
    v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96),
    v6([0; 8], 96),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),
];
/// 6to4: the IPv4 address follows the prefix.
const SIX_TO_FOUR: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);
/// Local-use NAT64 (RFC 8215): a local network's translator.
const LOCAL_NAT64: Ipv6Net = v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48);

fn class_v4(ip: Ipv4Addr) -> Class {
    V4_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map_or(Class::Public, |(_, class)| *class)
}

fn class_v6(ip: Ipv6Addr) -> Class {
    if let Some((_, class)) = V6_RANGES.iter().find(|(net, _)| net.contains(&ip)) {
        return *class;
    }
    let o = ip.octets();
    let v4_at = |i: usize| Ipv4Addr::new(o[i], o[i + 1], o[i + 2], o[i + 3]);
    if V4_IN_LAST_32.iter().any(|net| net.contains(&ip)) {
        class_v4(v4_at(12))
    } else if SIX_TO_FOUR.contains(&ip) {
        class_v4(v4_at(2))
    } else if LOCAL_NAT64.contains(&ip) {
        // Never public; the IPv4 address read where a /96 prefix puts it (the usual one;
        // an operator may pick a longer prefix, RFC 6052).
        class_v4(v4_at(12)).max(Class::Private)
    } else {
        Class::Public
    }
}

/// Why an outbound call may not go to `ip`, if it may not (see the module's comment);
/// `allow_private` is the operator's `--callback-allow-private`.
pub(crate) fn refused_address(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    let class = match ip {
        IpAddr::V4(a) => class_v4(a),
        IpAddr::V6(a) => class_v6(a),
    };
    match class {
        Class::Never => Some(NEVER),
        Class::Private if !allow_private => Some(PRIVATE),
        Class::Private | Class::Public => None,
    }
}

/// The address a URL's host is written as, if it is one.
pub(crate) fn literal_address(url: &reqwest::Url) -> Option<IpAddr> {
    // The parser has already normalised the forms a browser reads as addresses (decimal,
    // hex, short IPv4; IPv6 in brackets).
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Why no client was built.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not an http(s) URL with a host: the message.
    BadUrl(&'static str),
    /// The destination is refused: what it points to.
    Refused(String),
    /// The host did not resolve (in time): worth another try.
    Unresolved(String),
    /// The HTTP client could not be built: worth another try.
    Client(String),
}

impl Refusal {
    /// The message for a call to a `what` URL ("service", "callback").
    pub(crate) fn message(&self, what: &str) -> String {
        match self {
            Refusal::BadUrl(m) => (*m).to_string(),
            Refusal::Refused(why) => format!("The {what} URL points to {why}."),
            Refusal::Unresolved(e) => format!("Cannot resolve the {what} host: {e}"),
            Refusal::Client(e) => format!("Cannot build the HTTP client: {e}"),
        }
    }

    /// Whether trying again cannot help.
    pub(crate) fn permanent(&self) -> bool {
        matches!(self, Refusal::BadUrl(_) | Refusal::Refused(_))
    }
}

/// The client that calls `url`: pinned to the addresses its host resolves to now that pass
/// [`refused_address`], [`TIMEOUT`] for the lookup and the answer, no redirects, no proxy.
pub(crate) async fn pinned_client(
    url: &str,
    allow_private: bool,
) -> Result<reqwest::Client, Refusal> {
    let builder = || {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect would go to a destination nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would resolve and connect past the pinned,
            // checked addresses.
            .no_proxy()
    };
    let url = reqwest::Url::parse(url).map_err(|_| Refusal::BadUrl("Not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::BadUrl("Only http and https URLs are called."));
    }
    let built = if let Some(ip) = literal_address(&url) {
        if let Some(why) = refused_address(ip, allow_private) {
            return Err(Refusal::Refused(why.to_string()));
        }
        builder().build()
    } else {
        let host = url.host_str().ok_or(Refusal::BadUrl("No host."))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs: Vec<SocketAddr> =
            tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| Refusal::Unresolved(format!("no answer within {TIMEOUT:?}")))?
                .map_err(|e| Refusal::Unresolved(e.to_string()))?
                .collect();
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| refused_address(a.ip(), allow_private).is_none())
            .collect();
        if allowed.is_empty() {
            let why = addrs
                .first()
                .and_then(|a| refused_address(a.ip(), allow_private))
                .unwrap_or("no address");
            return Err(Refusal::Refused(format!("a host resolving to {why}")));
        }
        builder().resolve_to_addrs(host, &allowed).build()
    };
    built.map_err(|e| Refusal::Client(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(ip: &str, allow_private: bool) -> Option<&'static str> {
        refused_address(ip.parse().unwrap(), allow_private)
    }

    /// Refused even with private addresses allowed.
    fn never(ips: &[&str]) {
        for ip in ips {
            assert!(judge(ip, true).is_some(), "{ip} must always be refused");
        }
    }

    /// Refused unless private addresses are allowed.
    fn private(ips: &[&str]) {
        for ip in ips {
            assert_eq!(judge(ip, false), Some(PRIVATE), "{ip} is private");
            assert_eq!(
                judge(ip, true),
                None,
                "{ip} is allowed with private addresses"
            );
        }
    }

    fn public(ips: &[&str]) {
        for ip in ips {
            assert_eq!(judge(ip, false), None, "{ip} is public");
        }
    }

    #[test]
    fn ipv4_ranges() {
        never(&[
            "0.0.0.0",
            "0.1.2.3",
            "169.254.169.254",
            "169.254.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.254",
            "255.255.255.255",
        ]);
        assert!(judge("169.254.169.254", true)
            .unwrap()
            .starts_with("a link-local"));
        private(&[
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "198.18.0.1",
            "198.19.255.255",
        ]);
        public(&[
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "169.253.255.255",
        ]);
    }

    #[test]
    fn ipv6_ranges() {
        never(&[
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "ff0e::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ]);
        private(&["::1", "fc00::1", "fd12:3456::1", "fec0::1", "feff::1"]);
        public(&["2606:4700:4700::1111", "2001:4860:4860::8888", "2001:1::1"]);
    }

    #[test]
    fn embedded_ipv4_is_judged_as_ipv4() {
        // IPv4-mapped, IPv4-compatible, NAT64, 6to4.
        never(&[
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:255.255.255.255",
            "::ffff:0:169.254.169.254",
            "::ffff:224.0.0.1",
            "::169.254.169.254",
            "::0.0.0.2",
            "64:ff9b::169.254.169.254",
            "64:ff9b::e000:1",
            "2002:a9fe:a9fe::1",
            "2002:f000:1::",
        ]);
        private(&[
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:0:127.0.0.1",
            "::127.0.0.1",
            "::192.168.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::100.64.0.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
        ]);
        public(&[
            "::ffff:8.8.8.8",
            "::8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ]);
    }

    #[test]
    fn local_use_nat64_is_private_at_least() {
        private(&[
            "64:ff9b:1::808:808",
            "64:ff9b:1:ffff::808:808",
            "64:ff9b:1::7f00:1",
        ]);
        never(&["64:ff9b:1::a9fe:a9fe", "64:ff9b:1::e000:1"]);
    }

    #[test]
    fn literal_hosts_are_addresses() {
        let at = |u: &str| literal_address(&reqwest::Url::parse(u).unwrap());
        assert_eq!(
            at("http://127.0.0.1:8/x"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            at("http://[::ffff:7f00:1]/"),
            Some("::ffff:127.0.0.1".parse().unwrap())
        );
        // The URL parser reads the forms a browser reads (decimal, hex) as addresses too.
        assert_eq!(at("http://2130706433/"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(at("http://0x7f.1/"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(at("http://example.com/"), None);
    }

    #[tokio::test]
    async fn pinned_clients_refuse_what_the_guard_refuses() {
        let refusal = |u: &'static str, allow: bool| async move {
            pinned_client(u, allow)
                .await
                .err()
                .map(|r| (r.message("service"), r.permanent()))
        };
        assert_eq!(
            refusal("ftp://example.com/", true).await,
            Some(("Only http and https URLs are called.".into(), true))
        );
        assert_eq!(
            refusal("not a url", true).await,
            Some(("Not a URL.".into(), true))
        );
        let (m, permanent) = refusal("http://[::ffff:169.254.169.254]/", true)
            .await
            .unwrap();
        assert!(
            m.starts_with("The service URL points to a link-local"),
            "{m}"
        );
        assert!(permanent);
        let (m, _) = refusal("http://localhost:9/", false).await.unwrap();
        assert_eq!(
            m,
            format!("The service URL points to a host resolving to {PRIVATE}.")
        );
        assert!(refusal("http://localhost:9/", true).await.is_none());
        assert!(refusal("http://127.0.0.1:9/", true).await.is_none());
    }
}

//! The official-channel registry: what counts as "official", how a value a
//! customer pastes is recognised and normalised, and how a look-alike of an
//! official domain is called out.
//!
//! The answer to "is this official?" is only ever *verified* (exactly in
//! the registry) or *not verified*; an unknown value is never "fine".

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Domain,
    Email,
    Telegram,
    Phone,
    Social,
    AgentId,
}

impl ChannelKind {
    pub const ALL: &'static [ChannelKind] = &[
        Self::Domain,
        Self::Email,
        Self::Telegram,
        Self::Phone,
        Self::Social,
        Self::AgentId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Email => "email",
            Self::Telegram => "telegram",
            Self::Phone => "phone",
            Self::Social => "social",
            Self::AgentId => "agent_id",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// Longest value accepted, in bytes.
pub const MAX_VALUE_LEN: usize = 256;

/// A value in canonical form, or why it is not one.
pub fn normalize(kind: ChannelKind, raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_VALUE_LEN {
        return Err("value must have 1 to 256 characters");
    }
    let value = match kind {
        ChannelKind::Domain => host_of(raw).ok_or("not a domain name")?,
        ChannelKind::Email => {
            let lower = raw.to_lowercase();
            let (local, domain) = lower.rsplit_once('@').ok_or("not an email address")?;
            let domain = host_of(domain).ok_or("not an email address")?;
            if local.is_empty() || local.contains(char::is_whitespace) {
                return Err("not an email address");
            }
            format!("{local}@{domain}")
        }
        ChannelKind::Telegram => {
            let lower = raw.to_lowercase();
            let handle = lower
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("t.me/")
                .trim_start_matches("telegram.me/")
                .trim_start_matches('@')
                .trim_end_matches('/');
            if handle.len() < 3
                || !handle
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err("not a Telegram handle");
            }
            format!("@{handle}")
        }
        ChannelKind::Phone => {
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            if digits.len() < 5 || digits.len() > 15 || raw.chars().any(|c| c.is_alphabetic()) {
                return Err("not a phone number");
            }
            format!("+{digits}")
        }
        ChannelKind::Social => {
            let lower = raw.to_lowercase();
            let rest = lower
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("www.");
            let rest = rest.trim_end_matches('/');
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Err("not a profile address");
            }
            rest.to_owned()
        }
        ChannelKind::AgentId => {
            let upper = raw.to_uppercase();
            if !upper
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err("not an agent id");
            }
            upper
        }
    };
    Ok(value)
}

/// The host of a URL or bare domain: lowercase, no scheme, `www.`, port,
/// path or trailing dot.
pub fn host_of(raw: &str) -> Option<String> {
    let lower = raw.trim().to_lowercase();
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()?
        .trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    ok.then(|| host.to_owned())
}

/// Hosts whose pages are profiles rather than the owner's own site.
const SOCIAL_HOSTS: &[&str] = &[
    "twitter.com",
    "x.com",
    "facebook.com",
    "instagram.com",
    "youtube.com",
    "weibo.com",
    "linkedin.com",
    "tiktok.com",
];

/// Guesses what a pasted value is.
pub fn detect_kind(raw: &str) -> ChannelKind {
    let t = raw.trim();
    let lower = t.to_lowercase();
    if lower.starts_with('@') || lower.contains("t.me/") || lower.contains("telegram.me/") {
        ChannelKind::Telegram
    } else if t.contains('@') && !t.contains("://") {
        ChannelKind::Email
    } else if lower.starts_with("td-") {
        ChannelKind::AgentId
    } else if t.chars().filter(char::is_ascii_digit).count() >= 5
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        ChannelKind::Phone
    } else if host_of(t).is_some_and(|h| SOCIAL_HOSTS.contains(&h.as_str())) && t.contains('/') {
        ChannelKind::Social
    } else {
        ChannelKind::Domain
    }
}

/// Folds characters scammers swap for look-alikes, so `binanse`-style
/// tricks and `0`/`o`, `1`/`l`, `rn`/`m` swaps compare equal.
fn skeleton(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '3' => 'e',
            '5' => 's',
            '$' => 's',
            'а' => 'a', // Cyrillic look-alikes
            'е' => 'e',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'х' => 'x',
            _ => c,
        })
        .filter(|c| *c != '-')
        .collect();
    s = s.replace("rn", "m").replace("vv", "w");
    s
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The registrable name of a host: the label before the public suffix
/// (approximated as the last label, or the last two for `co.uk`-style).
fn brand_label(host: &str) -> &str {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n >= 3 && labels[n - 2].len() <= 3 && labels[n - 1].len() == 2 {
        labels[n - 3]
    } else {
        labels[n.saturating_sub(2)]
    }
}

/// The official domain `host` imitates, if any: not equal to it (nor a
/// subdomain of it), but its name is within two edits, the same after
/// folding look-alike characters, or contains the official name with extra
/// words (`exchange-support.com`, `exchange.com.login-verify.net`).
pub fn lookalike_of<'a>(host: &str, official: &'a [String]) -> Option<&'a str> {
    let host = host_of(host)?;
    if official
        .iter()
        .any(|o| host == *o || host.ends_with(&format!(".{o}")))
    {
        return None;
    }
    let name = brand_label(&host);
    for o in official {
        let brand = brand_label(o);
        if brand.len() < 4 {
            continue;
        }
        let close = edit_distance(name, brand) <= 2 || skeleton(name) == skeleton(brand);
        let embedded = host
            .split(['.', '-'])
            .any(|part| part == brand || skeleton(part) == skeleton(brand));
        if close || embedded {
            return Some(o);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_normalised_per_kind() {
        assert_eq!(
            normalize(ChannelKind::Domain, "https://WWW.Example.com/login?x=1").unwrap(),
            "example.com"
        );
        assert_eq!(
            normalize(ChannelKind::Email, " Support@Example.COM ").unwrap(),
            "support@example.com"
        );
        assert_eq!(
            normalize(ChannelKind::Telegram, "https://t.me/ExampleSupport").unwrap(),
            "@examplesupport"
        );
        assert_eq!(
            normalize(ChannelKind::Phone, "+1 (800) 555-0100").unwrap(),
            "+18005550100"
        );
        assert_eq!(
            normalize(ChannelKind::AgentId, "td-ab12cd34").unwrap(),
            "TD-AB12CD34"
        );
        assert!(normalize(ChannelKind::Domain, "not a domain").is_err());
        assert!(normalize(ChannelKind::Phone, "call me").is_err());
    }

    #[test]
    fn detects_what_was_pasted() {
        assert_eq!(detect_kind("@example_support"), ChannelKind::Telegram);
        assert_eq!(detect_kind("help@example.com"), ChannelKind::Email);
        assert_eq!(detect_kind("+44 20 7946 0000"), ChannelKind::Phone);
        assert_eq!(detect_kind("TD-AB12CD34"), ChannelKind::AgentId);
        assert_eq!(detect_kind("https://x.com/example"), ChannelKind::Social);
        assert_eq!(detect_kind("example.com"), ChannelKind::Domain);
        assert_eq!(
            detect_kind("https://examplex.com/login"),
            ChannelKind::Domain,
            "ends in x.com but is not x.com"
        );
    }

    #[test]
    fn look_alikes_are_called_out_and_real_subdomains_are_not() {
        let official = vec!["examplex.com".to_string()];
        for fake in [
            "examp1ex.com",
            "exarnplex.com",
            "examplex-support.com",
            "examplex.com.verify-login.net",
            "exampelx.io",
            "examplex.co",
        ] {
            assert_eq!(
                lookalike_of(fake, &official),
                Some("examplex.com"),
                "{fake}"
            );
        }
        for fine in [
            "examplex.com",
            "help.examplex.com",
            "wikipedia.org",
            "bank.com",
        ] {
            assert_eq!(lookalike_of(fine, &official), None, "{fine}");
        }
    }
}

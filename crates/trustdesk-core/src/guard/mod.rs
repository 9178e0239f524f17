//! The secret guard: finds secrets a customer pasted into a message and
//! replaces them with a marker before anything else sees the text.
//!
//! [`scan`] returns [`Finding`]s (kind, byte span, action), [`redact`]
//! replaces the `Redact` findings by `[redacted:<kind>]`, [`guard`] does both.
//!
//! Detectors (each linear in the input, see `docs/guard.md`):
//! * [`seed`]: BIP39 seed phrases (English, Chinese simplified/traditional),
//!   checksum-verified; a bad checksum on the right number of words warns.
//! * [`keys`]: WIF and extended private keys (base58check), 64-hex with key
//!   context.
//! * [`numbers`]: card numbers (Luhn, IIN, grouping, context) and 2FA codes
//!   (with context).
//! * [`password`]: passwords after a context phrase.
//!
//! Findings from all detectors are merged into a sorted, non-overlapping list:
//! on overlap `Redact` wins over `Warn`, then the longer span.

use serde::{Deserialize, Serialize};

pub mod keys;
pub mod numbers;
pub mod outbound;
pub mod password;
pub mod seed;
pub mod text;

pub use outbound::{OutboundKind, OutboundViolation, check_outbound};
pub use text::GuardedText;

/// What kind of secret a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    SeedPhrase,
    PrivateKey,
    ExtendedPrivateKey,
    CardNumber,
    OtpCode,
    Password,
}

impl SecretKind {
    /// The snake_case name used in JSON and in the redaction marker.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::SeedPhrase => "seed_phrase",
            SecretKind::PrivateKey => "private_key",
            SecretKind::ExtendedPrivateKey => "extended_private_key",
            SecretKind::CardNumber => "card_number",
            SecretKind::OtpCode => "otp_code",
            SecretKind::Password => "password",
        }
    }

    /// The marker that replaces a redacted span: `[redacted:<kind>]`.
    pub fn marker(self) -> String {
        format!("[redacted:{}]", self.as_str())
    }
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the server must do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    /// The span is a secret: replace it before storing or showing anything.
    Redact,
    /// Looks like a secret but is not verifiably one (e.g. a seed phrase with
    /// a bad checksum): keep the text, warn the customer.
    Warn,
}

/// One secret (or suspected secret) in a text; `start..end` are byte offsets
/// on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub kind: SecretKind,
    pub start: usize,
    pub end: usize,
    pub action: GuardAction,
}

impl Finding {
    pub(crate) fn redact(kind: SecretKind, start: usize, end: usize) -> Self {
        Finding {
            kind,
            start,
            end,
            action: GuardAction::Redact,
        }
    }
    pub(crate) fn warn(kind: SecretKind, start: usize, end: usize) -> Self {
        Finding {
            kind,
            start,
            end,
            action: GuardAction::Warn,
        }
    }
}

/// The result of [`guard`]: the findings and the text with every `Redact`
/// finding replaced by its marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardResult {
    pub findings: Vec<Finding>,
    pub redacted: String,
}

impl GuardResult {
    /// True when at least one span was replaced.
    pub fn has_redactions(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.action == GuardAction::Redact)
    }

    /// The distinct kinds found (redacted or warned), in a stable order.
    pub fn kinds(&self) -> Vec<SecretKind> {
        let mut k: Vec<SecretKind> = self.findings.iter().map(|f| f.kind).collect();
        k.sort();
        k.dedup();
        k
    }
}

/// Scans `text` for secrets. Findings are sorted by start, do not overlap,
/// lie within the text and on char boundaries. Never panics; linear time.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut all = Vec::new();
    seed::scan(text, &mut all);
    keys::scan(text, &mut all);
    numbers::scan(text, &mut all);
    password::scan(text, &mut all);
    merge(all)
}

/// Replaces each `Redact` finding by its marker. Findings that are out of
/// bounds, not on char boundaries, empty or overlapping an earlier one are
/// ignored, so this never panics whatever it is given.
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut fs: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.action == GuardAction::Redact
                && f.start < f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
        })
        .collect();
    fs.sort_by_key(|f| (f.start, f.end));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for f in fs {
        if f.start < cursor {
            continue;
        }
        out.push_str(&text[cursor..f.start]);
        out.push_str(&f.kind.marker());
        cursor = f.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// [`scan`] then [`redact`].
pub fn guard(text: &str) -> GuardResult {
    let findings = scan(text);
    let redacted = redact(text, &findings);
    GuardResult { findings, redacted }
}

/// Orders candidate findings and removes overlaps. Overlapping `Redact`
/// findings are joined into one span (named after the longest of them):
/// redacting the union is always safe, while choosing one could leave part
/// of another secret in clear. A `Warn` overlapping a `Redact` is dropped;
/// overlapping warnings are joined.
fn merge(all: Vec<Finding>) -> Vec<Finding> {
    fn join(mut v: Vec<Finding>) -> Vec<Finding> {
        v.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut out: Vec<(Finding, usize)> = Vec::with_capacity(v.len());
        for f in v.into_iter().filter(|f| f.start < f.end) {
            match out.last_mut() {
                Some((last, longest)) if f.start < last.end => {
                    if f.end - f.start > *longest {
                        *longest = f.end - f.start;
                        last.kind = f.kind;
                    }
                    last.end = last.end.max(f.end);
                }
                _ => out.push((f, f.end - f.start)),
            }
        }
        out.into_iter().map(|(f, _)| f).collect()
    }
    let (red, warn): (Vec<Finding>, Vec<Finding>) = all
        .into_iter()
        .partition(|f| f.action == GuardAction::Redact);
    let red = join(red);
    let warn = join(warn);
    let mut out = red.clone();
    // Both lists are sorted and disjoint within themselves: keep the warnings
    // that touch no redaction (binary search for the first redaction ending
    // after the warning starts).
    for w in warn {
        let k = red.partition_point(|r| r.end <= w.start);
        if red.get(k).is_none_or(|r| r.start >= w.end) {
            out.push(w);
        }
    }
    out.sort_by_key(|f| f.start);
    out
}

// ---- small helpers shared by the detectors ----

/// Largest char boundary `<= i`.
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary `>= i`.
pub(crate) fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The text in the `window` bytes before `pos` (cut on a char boundary).
pub(crate) fn before(s: &str, pos: usize, window: usize) -> &str {
    &s[floor_boundary(s, pos.saturating_sub(window))..pos]
}

/// The text in the `window` bytes after `pos` (cut on a char boundary).
pub(crate) fn after(s: &str, pos: usize, window: usize) -> &str {
    &s[pos..ceil_boundary(s, pos.saturating_add(window))]
}

/// ASCII-case-insensitive: the end offset of the last occurrence of any of
/// `needles` (given in lower case) in `hay`; a needle that starts with an
/// ASCII letter or digit must start a word there. Cost: |hay| × Σ|needle|, and
/// callers only pass bounded windows.
pub(crate) fn last_match_end(hay: &str, needles: &[&str]) -> Option<usize> {
    let h = hay.as_bytes();
    let mut best: Option<usize> = None;
    for n in needles {
        let nb = n.as_bytes();
        if nb.is_empty() || nb.len() > h.len() {
            continue;
        }
        let word_start = nb[0].is_ascii_alphanumeric();
        for s in (0..=h.len() - nb.len()).rev() {
            // An ASCII needle must start a word: "uid" is not in "guide".
            if h[s].to_ascii_lowercase() != nb[0]
                || (word_start && s > 0 && h[s - 1].is_ascii_alphanumeric())
            {
                continue;
            }
            if h[s..s + nb.len()]
                .iter()
                .zip(nb)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
            {
                let e = s + nb.len();
                if best.is_none_or(|b| e > b) {
                    best = Some(e);
                }
                break;
            }
        }
    }
    best
}

/// ASCII-case-insensitive: does `hay` contain any of `needles` (lower case)?
/// Same word-start rule as [`last_match_end`]; stops at the first match.
pub(crate) fn contains_any(hay: &str, needles: &[&str]) -> bool {
    let h = hay.as_bytes();
    needles.iter().any(|n| {
        let nb = n.as_bytes();
        if nb.is_empty() || nb.len() > h.len() {
            return false;
        }
        let word_start = nb[0].is_ascii_alphanumeric();
        (0..=h.len() - nb.len()).any(|s| {
            (!word_start || s == 0 || !h[s - 1].is_ascii_alphanumeric())
                && h[s].to_ascii_lowercase() == nb[0]
                && h[s..s + nb.len()]
                    .iter()
                    .zip(nb)
                    .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_only_redact_findings_and_ignores_garbage() {
        let text = "ab密码cd";
        let fs = [
            Finding::redact(SecretKind::Password, 8, 10),
            Finding::warn(SecretKind::SeedPhrase, 0, 2),
            Finding::redact(SecretKind::OtpCode, 3, 4), // not a char boundary
            Finding::redact(SecretKind::OtpCode, 7, 100), // out of bounds
        ];
        assert_eq!(redact(text, &fs), "ab密码[redacted:password]");
    }

    #[test]
    fn merge_joins_redactions_and_drops_covered_warnings() {
        let m = merge(vec![
            Finding::warn(SecretKind::SeedPhrase, 0, 50),
            Finding::redact(SecretKind::Password, 10, 20),
            Finding::redact(SecretKind::OtpCode, 15, 28),
            Finding::redact(SecretKind::CardNumber, 60, 70),
            Finding::warn(SecretKind::SeedPhrase, 80, 90),
            Finding::warn(SecretKind::SeedPhrase, 85, 95),
        ]);
        assert_eq!(
            m,
            vec![
                Finding::redact(SecretKind::OtpCode, 10, 28),
                Finding::redact(SecretKind::CardNumber, 60, 70),
                Finding::warn(SecretKind::SeedPhrase, 80, 95),
            ]
        );
    }

    #[test]
    fn serde_names_are_snake_case() {
        let f = Finding::redact(SecretKind::ExtendedPrivateKey, 1, 2);
        let j = serde_json::to_string(&f).unwrap();
        assert_eq!(
            j,
            r#"{"kind":"extended_private_key","start":1,"end":2,"action":"redact"}"#
        );
        let back: Finding = serde_json::from_str(&j).unwrap();
        assert_eq!(back, f);
        assert_eq!(SecretKind::OtpCode.marker(), "[redacted:otp_code]");
    }

    #[test]
    fn helpers_respect_char_boundaries() {
        let s = "私钥是abc";
        // The window is widened to the previous char boundary.
        assert_eq!(before(s, 9, 4), "钥是");
        assert_eq!(after(s, 0, 4), "私钥");
        assert_eq!(
            last_match_end("My Private KEY: x", &["private key"]),
            Some(14)
        );
        assert_eq!(last_match_end("a", &["abc"]), None);
        assert_eq!(last_match_end("guide", &["uid"]), None);
        assert_eq!(last_match_end("my uid", &["uid"]), Some(6));
        assert!(contains_any("My UID", &["uid"]));
        assert!(!contains_any("guide", &["uid"]));
        assert!(contains_any("请提供助记词", &["助记词"]));
    }
}

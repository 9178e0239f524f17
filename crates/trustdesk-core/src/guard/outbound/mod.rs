//! The outbound guard: flags an agent or bot message that *asks* the customer
//! for a secret, for remote access, or to send funds to an address.
//!
//! The message is cut into sentences, each sentence folded (`fold`: width,
//! homoglyphs, invisible characters, spelled-out and split words, digits
//! for letters) and cut into clauses. A request verb (`lexicon::ASK`, or an
//! `ENTER` verb aimed at the chat) asks for the secret that follows it in
//! its complement, or the one it points back at; a negation before it in
//! its clause, or a clause that is only a negation, cancels it; a
//! subordinator right after it ("tell me whether …") makes it a question.
//! Seed phrases and private keys are never typed anywhere but the
//! customer's own app or device, so entering one elsewhere is a request
//! too. The full rules, with examples, are in `docs/guard.md`; the corpora
//! in `corpus/` are the regression set (real replies that must pass,
//! disguised requests that must be blocked).
//!
//! Known limit: it is lexical. Unusual phrasings of a request pass; the
//! server lets a supervisor override a block, audited.

mod fold;
mod lexicon;

use super::{contains_any, floor_boundary};
use crate::crypto::{RefKind, recognise};
use crate::triage::features::is_han as is_cjk;
use lexicon::*;
use serde::{Deserialize, Serialize};

/// What an outbound message asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundKind {
    SeedPhrase,
    PrivateKey,
    Password,
    TwoFactorCode,
    RemoteAccess,
    TransferToAddress,
}

impl OutboundKind {
    /// A short explanation for the agent, in English.
    pub fn reason(self) -> &'static str {
        match self {
            OutboundKind::SeedPhrase => "asks the customer for a seed phrase",
            OutboundKind::PrivateKey => "asks the customer for a private key",
            OutboundKind::Password => "asks the customer for a password",
            OutboundKind::TwoFactorCode => "asks the customer for a 2FA / verification code",
            OutboundKind::RemoteAccess => {
                "asks the customer to install or open remote-access software"
            }
            OutboundKind::TransferToAddress => "asks the customer to send funds to an address",
        }
    }
}

/// One blocked request: the kind and the byte span of the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundViolation {
    pub kind: OutboundKind,
    pub start: usize,
    pub end: usize,
}

/// Checks an outbound (agent or bot) message; returns one violation per
/// sentence and kind. Never panics; linear in the input for bounded word lists.
pub fn check_outbound(text: &str) -> Vec<OutboundViolation> {
    let mut out = Vec::new();
    for (start, end) in sentences(text) {
        let s = &text[start..end];
        if s.trim().is_empty() {
            continue;
        }
        let mut found = Found::default();
        for variant in fold::variants(s) {
            found.merge(check_sentence(&variant, s));
        }
        let mut push = |kind| out.push(OutboundViolation { kind, start, end });
        if found.remote {
            push(OutboundKind::RemoteAccess);
        }
        // The most specific object only: "seed phrase password" is about
        // the seed.
        if let Some(kind) = found.secret {
            push(kind);
        }
        if found.transfer {
            push(OutboundKind::TransferToAddress);
        }
    }
    out
}

/// What one sentence asks for.
#[derive(Default)]
struct Found {
    remote: bool,
    transfer: bool,
    secret: Option<OutboundKind>,
}

impl Found {
    fn merge(&mut self, other: Found) {
        self.remote |= other.remote;
        self.transfer |= other.transfer;
        if let Some(kind) = other.secret {
            self.ask_for(kind);
        }
    }

    fn ask_for(&mut self, kind: OutboundKind) {
        let rank = |k: OutboundKind| OBJECTS.iter().position(|(o, _)| *o == k);
        if self.secret.is_none_or(|current| rank(kind) < rank(current)) {
            self.secret = Some(kind);
        }
    }
}

/// A secret named in the folded sentence, by byte span.
struct Object {
    kind: OutboundKind,
    start: usize,
    end: usize,
}

/// The rules on one folded variant of a sentence (`raw` is the original,
/// for address recognition).
fn check_sentence(folded: &str, raw: &str) -> Found {
    let lower = blank(&blank(folded, BENIGN_NEGATION), TOPICS);
    let objects = find_objects(&lower);
    let legit_place = !has_link(&lower) && contains_any(&lower, PLACES);
    let mut found = Found::default();
    let (mut asks, mut installs) = (false, false);
    // "Never, under any circumstances, share …": a clause that is nothing
    // but a negation negates the rest of the sentence.
    let mut negated = false;
    for (offset, clause) in clauses(&lower) {
        let negated_before = |p: usize| negated || contains_any(&clause[..p], NEGATION);
        for (p, q) in find_all(clause, ASK) {
            if negated_before(p) {
                continue;
            }
            asks = true;
            let verb = Verb {
                lower: &lower,
                offset,
                clause,
                p,
                q,
            };
            for kind in verb.asked(&objects) {
                found.ask_for(kind);
            }
        }
        let here = contains_any(clause, HERE);
        for (p, q) in find_all(clause, ENTER) {
            if negated_before(p) {
                continue;
            }
            asks |= here;
            let verb = Verb {
                lower: &lower,
                offset,
                clause,
                p,
                q,
            };
            // Aimed at the chat, any secret the clause names is asked for
            // ("请把私钥复制到对话框里").
            let in_clause = objects
                .iter()
                .filter(|o| here && o.start >= offset && o.end <= offset + clause.len())
                .map(|o| o.kind);
            for kind in verb.asked(&objects).into_iter().chain(in_clause) {
                let never_typed =
                    matches!(kind, OutboundKind::SeedPhrase | OutboundKind::PrivateKey);
                if here || (never_typed && !legit_place) {
                    found.ask_for(kind);
                }
            }
        }
        installs |= !negated && requested(clause, INSTALL);
        found.transfer |= !negated && requested(clause, TRANSFER);
        negated |= NEGATING_CLAUSES.contains(&clause.trim());
    }
    found.remote = (asks || installs) && contains_any(&lower, REMOTE);
    found.transfer &= contains_any(&lower, ADDRESS_WORDS)
        || recognise(raw).iter().any(|r| r.kind == RefKind::Address);
    found
}

/// One request verb found in a clause of the sentence.
struct Verb<'a> {
    /// The whole folded sentence.
    lower: &'a str,
    /// Where the clause starts in it.
    offset: usize,
    clause: &'a str,
    /// The verb's span in the clause.
    p: usize,
    q: usize,
}

impl Verb<'_> {
    /// The kinds of secret this verb asks for: an object that follows it
    /// closely in its complement ("send me the 12 words"), or one named
    /// before it when the verb points back at it ("your seed, send it to
    /// me"; "把助记词发过来").
    fn asked(&self, objects: &[Object]) -> Vec<OutboundKind> {
        let verb = &self.clause[self.p..self.q];
        let rest = &self.clause[self.q..];
        let head = rest.trim_start().trim_start_matches(['你', '您', ' ']);
        if starts_with_word(head, SUBORDINATORS) {
            return Vec::new();
        }
        let cut = first_match_start(rest, COMPLEMENT_END).unwrap_or(rest.len());
        let (verb_start, verb_end) = (self.offset + self.p, self.offset + self.q);
        let reach = if verb.starts_with("what") { 2 } else { 5 };
        let mut kinds = Vec::new();
        for o in objects {
            let after = o.start >= verb_start
                && o.start < verb_end + cut
                && distance(&self.lower[verb_end.min(o.start)..o.start]) <= reach;
            if after {
                kinds.push(o.kind);
            }
        }
        let points_back = verb.ends_with(" it")
            || verb.ends_with(" them")
            || starts_with_word(rest.trim_start(), PRONOUNS);
        let object_first = !verb.is_ascii()
            && rest
                .chars()
                .all(|c| c.is_whitespace() || ZH_FILLER.contains(c));
        for o in objects {
            let before =
                o.end <= verb_start && (points_back || (object_first && o.start >= self.offset));
            if before {
                kinds.push(o.kind);
            }
        }
        kinds
    }
}

/// How far apart two words are: words in Latin text, two characters in
/// Chinese.
fn distance(between: &str) -> usize {
    let words = between
        .split(|c: char| c.is_whitespace() || is_cjk(c))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    words + between.chars().filter(|&c| is_cjk(c)).count() / 2
}

/// Does `s` start with one of `words` (an ASCII word must end there)?
fn starts_with_word(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        s.starts_with(w)
            && (!w.is_ascii()
                || s[w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric()))
    })
}

/// Replaces every occurrence of the phrases by a separator.
fn blank(s: &str, phrases: &[&str]) -> String {
    let mut out = s.to_owned();
    for p in phrases {
        if out.contains(p) {
            out = out.replace(p, " ~ ");
        }
    }
    out
}

/// The clauses of a folded sentence with their offsets.
fn clauses(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    s.split([',', ';', ':', '、', '，', '：'])
        .map(move |clause| {
            let at = offset;
            // Every separator is one char; the next clause starts after it.
            offset += clause.len()
                + s[at + clause.len()..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
            (at, clause)
        })
}

/// Every secret the sentence names: the listed phrases, and words split
/// or run together ("pass word", "private_key", "seedphrase").
fn find_objects(s: &str) -> Vec<Object> {
    let mut out = Vec::new();
    for (kind, words) in OBJECTS {
        for (start, end) in find_all(s, words) {
            out.push(Object {
                kind: *kind,
                start,
                end,
            });
        }
    }
    let tokens: Vec<(usize, usize)> = ascii_tokens(s).collect();
    for i in 0..tokens.len() {
        let mut joined = String::new();
        for (j, &(a, b)) in tokens.iter().enumerate().skip(i).take(4) {
            joined.push_str(&s[a..b]);
            if let Some((_, kind)) = COMPACT.iter().find(|(w, _)| *w == joined) {
                out.push(Object {
                    kind: *kind,
                    start: tokens[i].0,
                    end: tokens[j].1,
                });
            }
        }
    }
    out
}

/// Spans of runs of ASCII letters and digits.
fn ascii_tokens(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        Some((start, i))
    })
}

/// Does the sentence carry a link ("http…", "www.", "wallet-sync.io")?
fn has_link(s: &str) -> bool {
    if s.contains("http") || s.contains("www.") {
        return true;
    }
    let b = s.as_bytes();
    ascii_tokens(s).any(|(start, end)| {
        start > 1
            && b[start - 1] == b'.'
            && b[start - 2].is_ascii_alphanumeric()
            && LINK_TLDS.contains(&&s[start..end])
    })
}

/// Every occurrence of any needle, as byte spans (ASCII needles start a
/// word, ASCII case-insensitive).
fn find_all(hay: &str, needles: &[&str]) -> Vec<(usize, usize)> {
    let h = hay.as_bytes();
    let mut out = Vec::new();
    for n in needles {
        let nb = n.as_bytes();
        if nb.is_empty() || nb.len() > h.len() {
            continue;
        }
        let word_start = nb[0].is_ascii_alphanumeric();
        for s in 0..=h.len() - nb.len() {
            if word_start && s > 0 && h[s - 1].is_ascii_alphanumeric() {
                continue;
            }
            if h[s..s + nb.len()]
                .iter()
                .zip(nb)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
            {
                out.push((s, s + nb.len()));
            }
        }
    }
    out
}

/// Does `clause` contain one of `verbs` with no negation before it?
fn requested(clause: &str, verbs: &[&str]) -> bool {
    match first_match_start(clause, verbs) {
        Some(p) => !contains_any(&clause[..p], NEGATION),
        None => false,
    }
}

/// Start of the earliest occurrence of any needle (the matching rules of
/// [`find_all`]).
fn first_match_start(hay: &str, needles: &[&str]) -> Option<usize> {
    find_all(hay, needles).into_iter().map(|(s, _)| s).min()
}

/// Sentence spans, cut after `.` `!` `?` `。` `！` `？` `；` and newlines. A `.`
/// inside a token ("0x1.2", "anydesk.com") does not cut.
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let cut = match c {
            '\n' | '!' | '?' | '。' | '！' | '？' | '；' => true,
            '.' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if cut {
            let end = i + c.len_utf8();
            out.push((start, end));
            start = end;
        }
    }
    if start < text.len() {
        out.push((start, floor_boundary(text, text.len())));
    }
    out
}

#[cfg(test)]
mod tests;

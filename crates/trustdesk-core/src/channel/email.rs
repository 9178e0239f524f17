//! Email: the sender's kind (loop defence), threading, and the tokens we
//! put in our reply address and Message-IDs.
//!
//! The tokens carry the conversation id and a MAC over it; the MAC itself
//! is computed by the server (it holds the key), this module only lays the
//! tokens out and reads them back.

use crate::{ConversationId, CustomerId};

/// What a mail's headers say about its sender.
#[derive(Clone, Debug, Default)]
pub struct SenderSignals<'a> {
    pub from_address: &'a str,
    pub auto_submitted: Option<&'a str>,
    pub precedence: Option<&'a str>,
    pub x_autoreply: Option<&'a str>,
    pub x_auto_response_suppress: Option<&'a str>,
    /// `Content-Type: multipart/report; report-type=delivery-status`.
    pub delivery_report: bool,
    /// `Return-Path: <>` (the null sender of a bounce).
    pub null_return_path: bool,
}

/// Who a mail comes from, for loop defence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderKind {
    /// A person: the mail becomes a customer message.
    Person,
    /// An out-of-office or other automatic answer: kept for the agents,
    /// never answered automatically, never opens a conversation.
    AutoReply,
    /// A mailing list or bulk mail: not answered, not opened.
    Bulk,
    /// A delivery failure: noted on the conversation it is about.
    Bounce,
}

impl SenderKind {
    /// Whether trustdesk may send an automatic mail in answer.
    pub fn may_auto_answer(self) -> bool {
        self == SenderKind::Person
    }
}

const DAEMON_LOCALS: &[&str] = &["mailer-daemon", "postmaster", "mail-daemon", "maildaemon"];

pub fn classify_sender(s: &SenderSignals<'_>) -> SenderKind {
    let local = s
        .from_address
        .rsplit_once('@')
        .map_or(s.from_address, |(l, _)| l)
        .to_ascii_lowercase();
    if s.delivery_report || DAEMON_LOCALS.contains(&local.as_str()) {
        return SenderKind::Bounce;
    }
    let value = |v: Option<&str>| v.map(|v| v.trim().to_ascii_lowercase());
    if value(s.auto_submitted).is_some_and(|v| !v.is_empty() && v != "no")
        || s.x_autoreply.is_some()
        || s.x_auto_response_suppress.is_some()
    {
        return SenderKind::AutoReply;
    }
    if value(s.precedence).is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk")) {
        return SenderKind::Bulk;
    }
    if s.null_return_path || local.starts_with("no-reply") || local.starts_with("noreply") {
        return SenderKind::AutoReply;
    }
    SenderKind::Person
}

/// Where a thread clue came from, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Clue {
    /// Our signed per-conversation reply address was a recipient.
    ReplyAddress,
    /// `In-Reply-To`/`References` named one of our signed Message-IDs.
    OurMessageId,
    /// `In-Reply-To`/`References` named a Message-ID we stored.
    KnownMessageId,
}

/// A conversation a clue points at, as the store has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub clue: Clue,
    pub conversation: ConversationId,
    pub owner: CustomerId,
    pub closed: bool,
}

/// Why a reply opens a new conversation linked to the one it points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkReason {
    /// The conversation is closed: a new one continues it.
    Closed,
    /// Someone other than its customer wrote (a forward, a colleague in
    /// copy): never merged into someone else's conversation.
    OtherSender,
}

impl LinkReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkReason::Closed => "continues_closed",
            LinkReason::OtherSender => "other_sender",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadPlan {
    /// Append to this conversation.
    Continue(ConversationId),
    /// Open a new conversation, linked to an older one when a clue pointed
    /// at it.
    Open {
        linked: Option<(ConversationId, LinkReason)>,
    },
}

/// Decides where a mail from `sender` goes: the strongest clue wins; it
/// continues the conversation only when that conversation is the sender's
/// and not closed.
pub fn plan_thread(sender: CustomerId, candidates: &[Candidate]) -> ThreadPlan {
    let Some(best) = candidates.iter().min_by_key(|c| c.clue) else {
        return ThreadPlan::Open { linked: None };
    };
    if best.owner != sender {
        return ThreadPlan::Open {
            linked: Some((best.conversation, LinkReason::OtherSender)),
        };
    }
    if best.closed {
        return ThreadPlan::Open {
            linked: Some((best.conversation, LinkReason::Closed)),
        };
    }
    ThreadPlan::Continue(best.conversation)
}

/// Hex digits of the MAC in our tokens (64 bits: forging one takes 2^64
/// tries, and a wrong one only opens a new conversation).
pub const MAC_HEX: usize = 16;

/// What the MAC of a reply address signs.
pub fn reply_address_payload(conversation: ConversationId) -> String {
    format!("reply:{}", conversation.0.simple())
}

/// What the MAC of one of our Message-IDs signs.
pub fn message_id_payload(conversation: ConversationId, seq: i64) -> String {
    format!("msgid:{}.{seq}", conversation.0.simple())
}

/// `base+<conversation>.<mac>@domain` for the mailbox `base@domain`.
pub fn reply_address(mailbox: &str, conversation: ConversationId, mac: &str) -> String {
    let (local, domain) = mailbox.rsplit_once('@').unwrap_or((mailbox, ""));
    format!("{local}+{}.{mac}@{domain}", conversation.0.simple())
}

/// Reads a reply address of the mailbox `base@domain`: the conversation
/// and the MAC it claims (the caller checks the MAC).
pub fn parse_reply_address(mailbox: &str, address: &str) -> Option<(ConversationId, String)> {
    let (base_local, base_domain) = mailbox.rsplit_once('@')?;
    let (local, domain) = address.trim().rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(base_domain) {
        return None;
    }
    let tag = local
        .strip_prefix(base_local)
        .or_else(|| {
            // Some mail systems lower-case the local part.
            let lower = local.to_ascii_lowercase();
            lower
                .starts_with(&base_local.to_ascii_lowercase())
                .then(|| &local[base_local.len()..])
        })?
        .strip_prefix('+')?;
    let (id, mac) = tag.split_once('.')?;
    token_parts(id, mac).map(|c| (c, mac.to_ascii_lowercase()))
}

/// `td.<conversation>.<seq>.<mac>@domain` (without angle brackets).
pub fn message_id(domain: &str, conversation: ConversationId, seq: i64, mac: &str) -> String {
    format!("td.{}.{seq}.{mac}@{domain}", conversation.0.simple())
}

/// Reads one of our Message-IDs (angle brackets allowed): the
/// conversation, the seq and the MAC it claims.
pub fn parse_message_id(id: &str) -> Option<(ConversationId, i64, String)> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, _domain) = id.rsplit_once('@')?;
    let mut parts = local.split('.');
    if parts.next()? != "td" {
        return None;
    }
    let conv = parts.next()?;
    let seq: i64 = parts.next()?.parse().ok()?;
    let mac = parts.next()?;
    if parts.next().is_some() || seq < 0 {
        return None;
    }
    token_parts(conv, mac).map(|c| (c, seq, mac.to_ascii_lowercase()))
}

fn token_parts(id: &str, mac: &str) -> Option<ConversationId> {
    if id.len() != 32 || mac.len() != MAC_HEX || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    uuid::Uuid::try_parse(id).ok().map(ConversationId)
}

/// The bare address of a mailbox header value, lower-cased
/// (`"Ann <Ann@X.org>"` → `ann@x.org`), or `None` when it is not one.
pub fn normalise_address(raw: &str) -> Option<String> {
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    let address = inner.trim().to_ascii_lowercase();
    let (local, domain) = address.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && address.len() <= 254
        && !address.contains(char::is_whitespace)
        && address.matches('@').count() == 1;
    ok.then_some(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn signals(from: &str) -> SenderSignals<'_> {
        SenderSignals {
            from_address: from,
            ..Default::default()
        }
    }

    #[test]
    fn machines_are_told_from_people() {
        assert_eq!(classify_sender(&signals("ann@x.org")), SenderKind::Person);
        let auto = SenderSignals {
            auto_submitted: Some("auto-replied"),
            ..signals("ann@x.org")
        };
        assert_eq!(classify_sender(&auto), SenderKind::AutoReply);
        let human = SenderSignals {
            auto_submitted: Some(" No "),
            ..signals("ann@x.org")
        };
        assert_eq!(classify_sender(&human), SenderKind::Person);
        for p in ["bulk", "List", "junk"] {
            let bulk = SenderSignals {
                precedence: Some(p),
                ..signals("news@x.org")
            };
            assert_eq!(classify_sender(&bulk), SenderKind::Bulk, "{p}");
        }
        let oof = SenderSignals {
            x_auto_response_suppress: Some("All"),
            ..signals("ann@x.org")
        };
        assert_eq!(classify_sender(&oof), SenderKind::AutoReply);
        assert_eq!(
            classify_sender(&signals("MAILER-DAEMON@mx.x.org")),
            SenderKind::Bounce
        );
        let report = SenderSignals {
            delivery_report: true,
            ..signals("ann@x.org")
        };
        assert_eq!(classify_sender(&report), SenderKind::Bounce);
        assert!(!SenderKind::AutoReply.may_auto_answer());
        assert!(SenderKind::Person.may_auto_answer());
    }

    fn candidate(clue: Clue, owner: CustomerId, closed: bool) -> Candidate {
        Candidate {
            clue,
            conversation: ConversationId::new(),
            owner,
            closed,
        }
    }

    #[test]
    fn the_strongest_clue_decides_and_never_merges_into_another_customer() {
        let me = CustomerId::new();
        let other = CustomerId::new();
        assert_eq!(plan_thread(me, &[]), ThreadPlan::Open { linked: None });
        let mine = candidate(Clue::KnownMessageId, me, false);
        let theirs = candidate(Clue::ReplyAddress, other, false);
        assert_eq!(
            plan_thread(me, &[mine, theirs]),
            ThreadPlan::Open {
                linked: Some((theirs.conversation, LinkReason::OtherSender))
            }
        );
        let strong = candidate(Clue::OurMessageId, me, false);
        assert_eq!(
            plan_thread(me, &[mine, strong]),
            ThreadPlan::Continue(strong.conversation)
        );
        let closed = candidate(Clue::ReplyAddress, me, true);
        assert_eq!(
            plan_thread(me, &[closed, mine]),
            ThreadPlan::Open {
                linked: Some((closed.conversation, LinkReason::Closed))
            }
        );
    }

    #[test]
    fn tokens_read_back_what_they_wrote() {
        let conv = ConversationId::new();
        let mac = "0123456789abcdef";
        let address = reply_address("support@ex.com", conv, mac);
        assert!(address.len() - "@ex.com".len() <= 64, "{address}");
        assert_eq!(
            parse_reply_address("support@ex.com", &address),
            Some((conv, mac.to_string()))
        );
        assert_eq!(
            parse_reply_address("support@ex.com", &address.to_uppercase()),
            Some((conv, mac.to_string())),
            "case-folded by a mail system"
        );
        assert_eq!(parse_reply_address("support@other.com", &address), None);
        assert_eq!(
            parse_reply_address("support@ex.com", "support@ex.com"),
            None
        );
        let id = message_id("ex.com", conv, 7, mac);
        assert_eq!(
            parse_message_id(&format!("<{id}>")),
            Some((conv, 7, mac.to_string()))
        );
        assert_eq!(parse_message_id("<CAF123@mail.gmail.com>"), None);
        assert_eq!(parse_message_id("td.zz.1.0123456789abcdef@x"), None);
    }

    #[test]
    fn addresses_are_normalised_or_refused() {
        assert_eq!(
            normalise_address("Ann Lee <Ann.Lee@Example.ORG>").as_deref(),
            Some("ann.lee@example.org")
        );
        assert_eq!(normalise_address("bob@x.io").as_deref(), Some("bob@x.io"));
        for bad in ["", "bob", "bob@", "@x.io", "bob@x", "a b@x.io", "a@b@x.io"] {
            assert_eq!(normalise_address(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn token_parsers_never_panic(s in "\\PC{0,80}") {
            let _ = parse_message_id(&s);
            let _ = parse_reply_address("support@ex.com", &s);
            let _ = normalise_address(&s);
        }

        #[test]
        fn a_person_never_loses_to_a_weaker_clue(closed in any::<bool>(), n in 0usize..4) {
            let me = CustomerId::new();
            let strong = candidate(Clue::ReplyAddress, me, closed);
            let mut all = vec![strong];
            all.extend((0..n).map(|_| candidate(Clue::KnownMessageId, CustomerId::new(), false)));
            let plan = plan_thread(me, &all);
            if closed {
                prop_assert_eq!(plan, ThreadPlan::Open { linked: Some((strong.conversation, LinkReason::Closed)) });
            } else {
                prop_assert_eq!(plan, ThreadPlan::Continue(strong.conversation));
            }
        }
    }
}

//! Input limits shared by every way in (REST, WebSocket, CLI).

/// Longest message or note body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest client message id.
pub const MAX_CLIENT_MSG_ID_LEN: usize = 64;
/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// Why an input was refused. The text is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains characters that are not allowed")]
    BadCharacters { field: &'static str },
    /// An identifier that the secret guard recognises (a WIF key fits the
    /// `client_msg_id` alphabet): ids are stored and echoed as they are, so
    /// one that is a secret is refused rather than kept.
    #[error("{field} looks like a secret; use a random id")]
    LooksSecret { field: &'static str },
}

/// A message or note body: trimmed, non-empty, bounded, no control
/// characters other than newlines and tabs.
pub fn body(text: &str) -> Result<String, InvalidInput> {
    bounded_text("body", text, MAX_BODY_CHARS, true)
}

pub fn subject(text: &str) -> Result<String, InvalidInput> {
    bounded_text("subject", text, MAX_SUBJECT_CHARS, false)
}

pub fn name(text: &str) -> Result<String, InvalidInput> {
    bounded_text("name", text, MAX_NAME_CHARS, false)
}

/// An email as a customer or the exchange gives it: bounded like a name,
/// and an error that says which field it was.
pub fn email(text: &str) -> Result<String, InvalidInput> {
    bounded_text("email", text, MAX_NAME_CHARS, false)
}

fn bounded_text(
    field: &'static str,
    text: &str,
    max: usize,
    multiline: bool,
) -> Result<String, InvalidInput> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(InvalidInput::Empty { field });
    }
    if trimmed.chars().count() > max {
        return Err(InvalidInput::TooLong { field, max });
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t' || c == '\r'));
    if !trimmed.chars().all(allowed) {
        return Err(InvalidInput::BadCharacters { field });
    }
    Ok(trimmed.to_owned())
}

/// A client message id: 1–64 characters of `A-Z a-z 0-9 - _ . :`.
pub fn client_msg_id(id: &str) -> Result<(), InvalidInput> {
    let field = "client_msg_id";
    if id.is_empty() {
        return Err(InvalidInput::Empty { field });
    }
    if id.len() > MAX_CLIENT_MSG_ID_LEN {
        return Err(InvalidInput::TooLong {
            field,
            max: MAX_CLIENT_MSG_ID_LEN,
        });
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    {
        return Err(InvalidInput::BadCharacters { field });
    }
    if !crate::guard::scan(id).is_empty() {
        return Err(InvalidInput::LooksSecret { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn body_is_trimmed_and_bounded() {
        assert_eq!(body("  hi\n").unwrap(), "hi");
        assert_eq!(body("   "), Err(InvalidInput::Empty { field: "body" }));
        assert!(body(&"字".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(matches!(
            body(&"字".repeat(MAX_BODY_CHARS + 1)),
            Err(InvalidInput::TooLong { .. })
        ));
        assert!(body("line one\nline two").is_ok());
        assert!(body("bell\u{7}").is_err());
        assert!(subject("two\nlines").is_err());
    }

    #[test]
    fn an_over_long_email_is_named_in_its_error() {
        let err = email(&"a".repeat(200)).unwrap_err().to_string();
        assert!(err.starts_with("email is longer"), "{err}");
        assert_eq!(email(" w@x.io ").unwrap(), "w@x.io");
    }

    #[test]
    fn client_msg_ids_are_short_and_plain() {
        assert!(client_msg_id("c-1700000000.abc:1").is_ok());
        assert!(client_msg_id("").is_err());
        assert!(client_msg_id("has space").is_err());
        assert!(client_msg_id(&"a".repeat(65)).is_err());
        // A WIF key fits the alphabet: refused, since ids are stored as is.
        assert!(matches!(
            client_msg_id("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"),
            Err(InvalidInput::LooksSecret { .. })
        ));
        // Ids made of clocks and counters (what clients and the bench send)
        // are never taken for card numbers or codes.
        for i in 0..20_000u64 {
            let us = 1_796_601_143_404_000 + i * 7_919;
            for id in [
                format!("b-{us}-{i}"),
                format!("c-{}-{i}", us / 1000),
                format!("{us}"),
            ] {
                assert!(client_msg_id(&id).is_ok(), "{id}");
            }
        }
    }

    proptest! {
        #[test]
        fn validated_bodies_are_never_empty_or_too_long(s in "\\PC{0,50}") {
            if let Ok(b) = body(&s) {
                prop_assert!(!b.is_empty());
                prop_assert!(b.chars().count() <= MAX_BODY_CHARS);
                prop_assert_eq!(b.trim(), b.as_str());
            }
        }
    }
}

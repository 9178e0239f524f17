//! Trust and safety on the message path.
//!
//! Customer text passes the secret guard before anything else sees it: the
//! store, the bus, the bot, triage and every log get the redacted text only.
//! The customer is told, in their language, what was removed and that
//! official support never asks for it. Agent and bot text passes the
//! outbound guard: a message asking the customer for a secret, remote
//! access or a transfer is refused.

use crate::error::ApiError;
use trustdesk_core::guard::{self, GuardedText, OutboundKind, SecretKind};
use trustdesk_core::notice::NoticeCode;
use trustdesk_core::{EventKind, Language};

/// Customer text after the guard, with the notices to append.
#[derive(Debug)]
pub struct Screened {
    pub text: GuardedText,
    pub notices: Vec<EventKind>,
    pub redacted: bool,
}

fn kind_name(kind: SecretKind, zh: bool) -> &'static str {
    match (kind, zh) {
        (SecretKind::SeedPhrase, true) => "助记词",
        (SecretKind::SeedPhrase, false) => "a seed phrase",
        (SecretKind::PrivateKey, true) => "私钥",
        (SecretKind::PrivateKey, false) => "a private key",
        (SecretKind::ExtendedPrivateKey, true) => "扩展私钥",
        (SecretKind::ExtendedPrivateKey, false) => "an extended private key",
        (SecretKind::CardNumber, true) => "银行卡号",
        (SecretKind::CardNumber, false) => "a card number",
        (SecretKind::OtpCode, true) => "验证码",
        (SecretKind::OtpCode, false) => "a verification code",
        (SecretKind::Password, true) => "密码",
        (SecretKind::Password, false) => "a password",
    }
}

/// Runs the secret guard over customer text.
pub fn screen_customer_text(text: &str, language: Language) -> Screened {
    let screened = GuardedText::screen(text);
    let zh = language == Language::Zh;
    let mut notices = Vec::new();
    if !screened.removed.is_empty() {
        let names: Vec<&str> = screened.removed.iter().map(|k| kind_name(*k, zh)).collect();
        let text = if zh {
            format!(
                "为保护您的资产，我们已自动隐藏您消息中的{}，客服人员看不到它。官方客服绝不会索要助记词、私钥、密码或验证码。如果您曾把它告诉任何人，请回复“安全”，我们的安全团队会立即协助您（包括冻结账户）。",
                names.join("、")
            )
        } else {
            format!(
                "To protect your funds we removed {} from your message; our agents cannot see it. Official support never asks for seed phrases, private keys, passwords or verification codes. If you have shared it with anyone, reply \"security\" and our security team will help you right away, including freezing your account.",
                names.join(", ")
            )
        };
        notices.push(NoticeCode::SecretRedacted.with_text(text));
    } else if screened.possible_secret {
        let text = if zh {
            "您的消息里似乎有一组助记词。请不要在任何聊天中发送助记词：官方客服绝不会索要它。"
        } else {
            "Your message looks like it contains a seed phrase. Never send a seed phrase in any chat: official support never asks for it."
        };
        notices.push(NoticeCode::PossibleSecret.with_text(text));
    }
    Screened {
        redacted: !screened.removed.is_empty(),
        text: screened.text,
        notices,
    }
}

fn outbound_reason(kind: OutboundKind) -> &'static str {
    match kind {
        OutboundKind::SeedPhrase => "asks the customer for a seed phrase",
        OutboundKind::PrivateKey => "asks the customer for a private key",
        OutboundKind::Password => "asks the customer for a password",
        OutboundKind::TwoFactorCode => "asks the customer for a 2FA or verification code",
        OutboundKind::RemoteAccess => "asks the customer for remote access to a device",
        OutboundKind::TransferToAddress => "asks the customer to transfer funds to an address",
    }
}

/// Refuses agent or bot text that asks for what official support never asks.
pub fn check_outbound_text(text: &str) -> Result<(), ApiError> {
    match guard::check_outbound(text).first() {
        None => Ok(()),
        Some(violation) => Err(ApiError::Blocked(format!(
            "not sent: this message {}. Official support never does; please rephrase.",
            outbound_reason(violation.kind)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn seed_phrases_are_removed_and_explained_in_the_customers_language() {
        let s = screen_customer_text(&format!("my words are {SEED} help"), Language::Zh);
        assert!(s.redacted);
        assert!(!s.text.contains("abandon"), "{}", s.text);
        let EventKind::SystemNotice {
            code,
            text,
            audience,
        } = &s.notices[0]
        else {
            panic!()
        };
        assert_eq!(
            (code.as_str(), *audience),
            ("secret_redacted", trustdesk_core::Visibility::Public)
        );
        assert!(text.contains("助记词") && !text.contains("abandon"));
    }

    #[test]
    fn ordinary_text_passes_untouched() {
        let s = screen_customer_text(
            "my withdrawal 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed is pending",
            Language::En,
        );
        assert!(!s.redacted);
        assert!(s.notices.is_empty());
        assert!(
            s.text
                .contains("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        );
    }

    #[test]
    fn agents_cannot_ask_for_secrets() {
        assert!(
            check_outbound_text("Please send me your seed phrase so I can verify the wallet")
                .is_err()
        );
        assert!(check_outbound_text("请提供您的谷歌验证码").is_err());
        assert!(check_outbound_text("Never share your seed phrase with anyone.").is_ok());
    }
}

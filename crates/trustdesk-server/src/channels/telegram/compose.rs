//! The text of our Telegram messages: plain text (no `parse_mode`, so
//! nothing an agent or the bot wrote becomes markup), in the
//! conversation's language, cut to what one message holds.
//!
//! The anti-phishing code, when the customer set one, closes EVERY
//! message: Telegram is where impersonators write to customers ("support"
//! accounts, fake bots), and "a message without my code is not from them"
//! is a rule a customer can only apply if it holds for each message, not
//! just the first. It is one short line. The longer explanation (we never
//! ask for seed phrases…) is added to the first message of a conversation
//! only, with or without a code, so a chat does not repeat it.

use crate::channels::outbound::{Content, Outgoing};
use trustdesk_core::Language;

/// Most characters in one message (Telegram: 4096).
pub const MAX_TEXT_CHARS: usize = 4096;
/// Most characters in a file's caption (Telegram: 1024).
pub const MAX_CAPTION_CHARS: usize = 1024;

/// The message text(s) for an outgoing event; a long one becomes several
/// messages, the safety lines on the last.
pub fn texts(out: &Outgoing, first: bool) -> Vec<String> {
    let zh = out.conversation.language == Some(Language::Zh);
    let mut text = match &out.content {
        Content::Reply { author, body } => format!("{body}\n\n— {author}"),
        Content::Automatic { text, articles } => {
            let mut t = text.clone();
            for article in articles {
                t.push_str(&format!("\n\n• {}\n{}", article.title, article.snippet));
            }
            t
        }
        Content::File { author, file } => file_line(author, &file.name, zh),
        // Only email continues a left chat today; a transcript reads the
        // same anywhere.
        Content::Transcript { lines } => lines
            .iter()
            .map(|l| format!("{}: {}", l.author, l.text))
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    let safety = safety_lines(out.anti_phishing_code.as_deref(), first, zh);
    if !safety.is_empty() {
        text.push_str("\n\n");
        text.push_str(&safety);
    }
    split(&text, MAX_TEXT_CHARS)
}

/// The caption of a file we send.
pub fn caption(out: &Outgoing, author: &str, name: &str, first: bool) -> String {
    let zh = out.conversation.language == Some(Language::Zh);
    let mut text = file_line(author, name, zh);
    let safety = safety_lines(out.anti_phishing_code.as_deref(), first, zh);
    if !safety.is_empty() {
        text.push_str("\n\n");
        text.push_str(&safety);
    }
    text.chars().take(MAX_CAPTION_CHARS).collect()
}

fn file_line(author: &str, name: &str, zh: bool) -> String {
    if zh {
        format!("{author} 给您发送了文件：{name}")
    } else {
        format!("{author} sent you a file: {name}")
    }
}

fn safety_lines(code: Option<&str>, first: bool, zh: bool) -> String {
    let mut lines = Vec::new();
    if let Some(code) = code {
        lines.push(if zh {
            format!("防钓鱼码：{code}")
        } else {
            format!("Anti-phishing code: {code}")
        });
    }
    if first {
        lines.push(match (code.is_some(), zh) {
            (true, false) => "Every message from us shows your code; one without it is not from us. We never ask for seed phrases, private keys, passwords or 2FA codes.".into(),
            (true, true) => "我们的每条消息都会显示您的防钓鱼码；没有它的消息不是我们发的。我们绝不会索要助记词、私钥、密码或验证码。".into(),
            (false, false) => "We never ask for seed phrases, private keys, passwords or 2FA codes. Set an anti-phishing code in your account to recognise our messages.".into(),
            (false, true) => "我们绝不会索要助记词、私钥、密码或验证码。在账户中设置防钓鱼码，即可识别我们的消息。".into(),
        });
    }
    lines.join("\n")
}

/// Pieces of at most `max` characters, cut at a line break when there is
/// one in the second half of the piece.
fn split(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    while chars.len() - start > max {
        let window = &chars[start..start + max];
        let cut = window
            .iter()
            .rposition(|c| *c == '\n')
            .filter(|at| *at >= max / 2)
            .map_or(max, |at| at + 1);
        pieces.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    pieces.push(chars[start..].iter().collect());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_on_every_message_and_the_warning_on_the_first() {
        let first = safety_lines(Some("PANDA-42"), true, false);
        assert!(first.starts_with("Anti-phishing code: PANDA-42\n"));
        assert!(first.contains("never ask for seed phrases"));
        let later = safety_lines(Some("PANDA-42"), false, true);
        assert_eq!(later, "防钓鱼码：PANDA-42");
        assert_eq!(safety_lines(None, false, false), "");
        assert!(safety_lines(None, true, true).contains("助记词"));
    }

    #[test]
    fn long_text_is_split_into_messages_telegram_takes() {
        let long = format!("{}\n{}", "a".repeat(3000), "b".repeat(3000));
        let pieces = split(&long, MAX_TEXT_CHARS);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p.chars().count() <= MAX_TEXT_CHARS));
        assert_eq!(pieces.concat(), long);
        let han = "字".repeat(MAX_TEXT_CHARS * 2 + 1);
        let pieces = split(&han, MAX_TEXT_CHARS);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), han);
        assert_eq!(split("hi", MAX_TEXT_CHARS), vec!["hi".to_owned()]);
    }
}

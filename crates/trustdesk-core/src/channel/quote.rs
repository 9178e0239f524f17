//! Where the quoted history of an email reply begins, so agents read what
//! is new (the whole mail stays available as the original).
//!
//! Mail clients mark the start of the quote differently: Gmail and Apple
//! Mail write "On <date>, <name> wrote:", Chinese clients "在 … 写道：",
//! Outlook a "-----Original Message-----" line or a rule followed by a
//! "From:" header block, and plain-text clients prefix every quoted line
//! with ">". The new text is everything above the first such marker.

/// The reply without its quoted history (the whole text when no marker
/// is found, or when the marker is the first line: a mail that is all
/// quote keeps its text).
pub fn trim_quoted(text: &str) -> &str {
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if starts_quote(trimmed, next) {
            let kept = text[..offset].trim_end();
            return if kept.is_empty() { text.trim() } else { kept };
        }
        offset += line.len();
    }
    text.trim()
}

fn starts_quote(line: &str, next: &str) -> bool {
    if line.starts_with('>') {
        return true;
    }
    let lower = line.to_lowercase();
    // "On Mon, 1 Dec 2026 at 10:00, Ann <ann@x.org> wrote:" (sometimes
    // wrapped onto two lines).
    if lower.starts_with("on ")
        && (lower.ends_with("wrote:") || next.to_lowercase().ends_with("wrote:"))
    {
        return true;
    }
    if (line.starts_with('在') || line.starts_with("于"))
        && (line.ends_with("写道：") || line.ends_with("写道:"))
    {
        return true;
    }
    if lower.contains("original message") && line.starts_with("---") {
        return true;
    }
    if line.starts_with("-----原始邮件-----") || line.starts_with("------------------ 原始邮件")
    {
        return true;
    }
    // Outlook: a rule of underscores, then the "From:" block.
    if line.len() >= 10 && line.chars().all(|c| c == '_') {
        return true;
    }
    let header = |l: &str| {
        let l = l.to_lowercase();
        l.starts_with("from:") || l.starts_with("发件人:") || l.starts_with("发件人：")
    };
    let sent = |l: &str| {
        let l = l.to_lowercase();
        l.starts_with("sent:") || l.starts_with("date:") || l.starts_with("发送时间")
    };
    header(line) && sent(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_style_of_quote_is_trimmed() {
        let cases = [
            "Thanks, it arrived.\n\nOn Mon, 7 Dec 2026 at 10:00, Support <s@x.com> wrote:\n> Your deposit is on its way.\n",
            "Thanks, it arrived.\n\nOn Mon, 7 Dec 2026 at 10:00, Support\n<s@x.com> wrote:\n> old",
            "Thanks, it arrived.\n> Your deposit is on its way.",
            "Thanks, it arrived.\n\n-----Original Message-----\nFrom: Support\n",
            "Thanks, it arrived.\n\n________________________________\nFrom: Support <s@x.com>\nSent: Monday\n",
            "Thanks, it arrived.\n\nFrom: Support <s@x.com>\nSent: Monday, 7 December 2026 10:00\nTo: me\n",
            "Thanks, it arrived.\n\n在 2026年12月7日 10:00，Support 写道：\n> 您的充值已到账",
        ];
        for case in cases {
            assert_eq!(trim_quoted(case), "Thanks, it arrived.", "{case:?}");
        }
    }

    #[test]
    fn text_without_a_quote_or_only_a_quote_is_kept() {
        assert_eq!(trim_quoted("  Hello\nworld \n"), "Hello\nworld");
        assert_eq!(trim_quoted("> all quoted"), "> all quoted");
        assert_eq!(
            trim_quoted("My friend said: on monday it wrote nothing\nok"),
            "My friend said: on monday it wrote nothing\nok"
        );
        assert_eq!(
            trim_quoted("From: the wallet app\nto the exchange"),
            "From: the wallet app\nto the exchange"
        );
    }
}

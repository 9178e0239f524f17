//! Passwords written after a context phrase: "my password is X",
//! "password: X", "pwd:X", "密码是X", "密码：X". Only the password token is
//! redacted, not the context words.
//!
//! The token is the run of printable ASCII that follows the context (after
//! spaces, `:`/`：`/`=` and an opening quote), trailing sentence punctuation
//! trimmed, at most 128 bytes. Chinese text after the context ("密码是什么")
//! is not a password, and a small stop list keeps "my password is wrong",
//! "password: reset" and friends out.

use super::{Finding, SecretKind};

const CONTEXT: &[&str] = &[
    "password is",
    "password was",
    "password:",
    "password：",
    "password =",
    "password=",
    "passwd:",
    "passwd is",
    "passcode is",
    "passcode:",
    "pwd:",
    "pwd：",
    "pwd=",
    "pwd is",
    "pass:",
    "pw:",
    "pin is",
    "pin:",
    "pin：",
    "pin code is",
    "pin code:",
    "密码是",
    "密码为",
    "密码：",
    "密码:",
    "密碼是",
    "密碼：",
    "密碼:",
    "口令是",
    "pin码",
    "pin碼",
    // Bare 密码 last (the longer forms above win): only ASCII right after it
    // is taken, so "密码错误" is not a finding but "密码 abc123" is.
    "密码",
    "密碼",
];

const STOP: &[&str] = &[
    "not",
    "wrong",
    "incorrect",
    "correct",
    "invalid",
    "too",
    "very",
    "the",
    "a",
    "an",
    "same",
    "expired",
    "locked",
    "right",
    "fine",
    "ok",
    "okay",
    "working",
    "changed",
    "reset",
    "forgot",
    "forget",
    "forgotten",
    "never",
    "again",
    "just",
    "doesn't",
    "didn't",
    "isn't",
    "wasn't",
    "won't",
    "can't",
    "cannot",
    "doesnt",
    "didnt",
    "isnt",
    "cant",
    "lost",
    "missing",
    "empty",
    "blank",
    "required",
    "weak",
    "strong",
    "being",
    "still",
    "also",
    "now",
    "and",
    "or",
    "but",
    "in",
    "on",
    "of",
    "for",
    "to",
    "my",
    "your",
    "it",
    "this",
    "that",
    "is",
    "was",
    "no",
    "none",
    "n/a",
    "what",
    "which",
    "set",
    "different",
    "unknown",
    "hidden",
    "please",
    "pls",
    "stolen",
    "compromised",
    "leaked",
    "broken",
    "case",
    "sensitive",
    "long",
    "short",
    "new",
    "old",
    "updated",
    "accepted",
    "rejected",
    "strict",
    "mandatory",
    "complex",
    "simple",
    "easy",
    "hard",
    "incorrectly",
    "displayed",
    "shown",
    "sent",
    "?",
    "***",
];

pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Context phrases all start with ASCII p/P or with 密/口.
        let c = b[i];
        if !(c == b'p' || c == b'P' || c == 0xE5) {
            i += 1;
            continue;
        }
        let Some(len) = CONTEXT.iter().find_map(|ctx| {
            let n = ctx.len();
            (i + n <= b.len()
                && b[i..i + n]
                    .iter()
                    .zip(ctx.as_bytes())
                    .all(|(x, y)| x.to_ascii_lowercase() == *y))
            .then_some(n)
        }) else {
            // "changed my pass to Hunter22", "pw is qwerty123": informal
            // contexts, so only a token that looks like a password counts.
            if let Some(n) = word_at(b, i, INFORMAL)
                && let Some((s, e)) =
                    token_after(text, i + n).filter(|&(s, e)| looks_like_password(&text[s..e]))
            {
                out.push(Finding::redact(SecretKind::Password, s, e));
                i = e;
                continue;
            }
            // "password for my account is X", "password I used: X".
            if let Some(n) = word_at(b, i, BASE)
                && let Some((s, e)) = linked_token(text, i + n)
            {
                out.push(Finding::redact(SecretKind::Password, s, e));
                i = e;
                continue;
            }
            i += 1;
            continue;
        };
        // An English context must start a word: "spin is" is not "pin is".
        if c.is_ascii_alphabetic() && i > 0 && b[i - 1].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let ctx_end = i + len;
        i = ctx_end;
        // "密码应该是Abc123": a bare 密码 followed by a link a few characters on.
        if let Some((s, e)) = token_after(text, ctx_end).or_else(|| linked_token(text, ctx_end)) {
            out.push(Finding::redact(SecretKind::Password, s, e));
            i = e;
        }
    }
}

/// The length of the first of `words` that starts a word at `i` (ASCII
/// case-insensitive).
fn word_at(b: &[u8], i: usize, words: &[&str]) -> Option<usize> {
    if i > 0 && b[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    words
        .iter()
        .find(|w| b.len() >= i + w.len() && b[i..i + w.len()].eq_ignore_ascii_case(w.as_bytes()))
        .map(|w| w.len())
}

/// Short informal contexts ("pass", "pw", "… to X"): the token must look
/// like a password, since "my pass is here" and "change my password to
/// something safer" are not passwords.
const INFORMAL: &[&str] = &[
    "password to",
    "passcode to",
    "passwd to",
    "pwd to",
    "pass to",
    "pass is",
    "pass was",
    "pass =",
    "pass=",
    "pw is",
    "pw was",
    "pw to",
    "pw =",
    "pw=",
];

/// A token a person would pick as a password: 6–64 characters mixing
/// letters with digits or symbols, or 6+ digits (a PIN-like password).
fn looks_like_password(token: &str) -> bool {
    let n = token.chars().count();
    let letters = token.chars().any(|c| c.is_ascii_alphabetic());
    let digits = token.chars().any(|c| c.is_ascii_digit());
    let symbols = token.chars().any(|c| c.is_ascii_punctuation());
    let mixed = letters && (digits || symbols);
    let all_digits = digits && !letters && !symbols;
    (6..=64).contains(&n) && (mixed || all_digits)
}

/// Words that name a password, for the looser "… is X" form.
const BASE: &[&str] = &["password", "passwd", "passcode", "pwd"];
const LINKS: &[&str] = &[" is ", " was ", ":", "=", "：", "是", "为", "成了", "成"];

/// A password a few words after its name: within 32 bytes of `pos`, in the
/// same clause (no `.` `,` `?` `!` `。` `，` newline before the link), at most
/// four words in between, then " is "/":"/"是" … and the token.
fn linked_token(text: &str, pos: usize) -> Option<(usize, usize)> {
    let win = super::after(text, pos, 32);
    let (p, link) = LINKS
        .iter()
        .filter_map(|l| win.find(l).map(|p| (p, *l)))
        .min_by_key(|&(p, _)| p)?;
    let between = &win[..p];
    if between.contains(['.', ',', '?', '!', '\n', '。', '，', '？', '！', ';', '；'])
        || between.split_whitespace().count() > 4
    {
        return None;
    }
    token_after(text, pos + p + link.len())
}

fn token_after(text: &str, pos: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut s = pos;
    // Skip spaces, separators and an opening quote. Full-width colon and
    // ideographic space are 3 bytes.
    loop {
        if s < b.len() && matches!(b[s], b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'`') {
            s += 1;
        } else if ['：', '\u{3000}', '“', '「']
            .iter()
            .any(|c| text[s..].starts_with(*c))
        {
            s += 3;
        } else {
            break;
        }
        if s - pos > 16 {
            return None;
        }
    }
    // A quoted password may contain spaces: take it up to the closing quote.
    if s > pos {
        let q = b[s - 1];
        if matches!(q, b'"' | b'\'' | b'`') {
            let rest = &b[s..b.len().min(s + 128)];
            if let Some(k) = rest.iter().position(|&c| c == q || c == b'\n')
                && rest[k] == q
                && k > 0
            {
                return Some((s, s + k));
            }
        }
    }
    let mut e = s;
    while e < b.len() && e - s < 128 && b[e].is_ascii_graphic() {
        e += 1;
    }
    if e - s >= 128 && b.get(e).is_some_and(u8::is_ascii_graphic) {
        return None;
    }
    // Trim sentence punctuation and closing quotes.
    while e > s
        && matches!(
            b[e - 1],
            b'.' | b',' | b'!' | b'?' | b';' | b')' | b'"' | b'\'' | b'`'
        )
    {
        e -= 1;
    }
    if e == s {
        return None;
    }
    let tok = &text[s..e];
    if STOP.iter().any(|w| tok.eq_ignore_ascii_case(w)) {
        return None;
    }
    Some((s, e))
}

#[cfg(test)]
mod tests {
    use crate::guard::{SecretKind, guard, scan as scan_all};

    fn pw(t: &str) -> Vec<String> {
        scan_all(t)
            .into_iter()
            .filter(|f| f.kind == SecretKind::Password)
            .map(|f| t[f.start..f.end].to_string())
            .collect()
    }

    #[test]
    fn passwords_after_context() {
        assert_eq!(pw("my password is Hunter2!x."), vec!["Hunter2!x"]);
        assert_eq!(pw("Password: \"s3cr3t pass\""), vec!["s3cr3t pass"]);
        assert_eq!(pw("pwd:Abc12345"), vec!["Abc12345"]);
        assert_eq!(pw("我的密码是abc123456，请帮我登录"), vec!["abc123456"]);
        assert_eq!(pw("登录密码：Qq@2024"), vec!["Qq@2024"]);
        assert_eq!(pw("my PIN is 4821"), vec!["4821"]);
        assert_eq!(pw("交易密码 Abc12345"), vec!["Abc12345"]);
        assert_eq!(pw("密码abc123"), vec!["abc123"]);
        assert_eq!(pw("the password for my account is Xy9!pq"), vec!["Xy9!pq"]);
        assert_eq!(pw("pwd I used: hunter22"), vec!["hunter22"]);
        assert_eq!(pw("登录密码应该是Abc123，对吗"), vec!["Abc123"]);
        assert_eq!(
            pw("I changed my pass to Hunter22 yesterday"),
            vec!["Hunter22"]
        );
        assert_eq!(
            pw("changed my password to Tr0ub4dor&3"),
            vec!["Tr0ub4dor&3"]
        );
        assert_eq!(pw("my pass is abc12345"), vec!["abc12345"]);
        assert_eq!(pw("pw is qwerty123!"), vec!["qwerty123"]);
        assert_eq!(pw("set my pass to P@ssw0rd"), vec!["P@ssw0rd"]);
        assert_eq!(pw("密码改成了abc123"), vec!["abc123"]);
        assert_eq!(pw("我把密码换成Abc12345了"), vec!["Abc12345"]);
        assert_eq!(
            guard("password: letmein").redacted,
            "password: [redacted:password]"
        );
    }

    #[test]
    fn not_passwords() {
        for t in [
            "my password is wrong",
            "I forgot my password",
            "password: reset",
            "密码是什么",
            "how do I reset my password?",
            "密码错误",
            "修改密码后无法登录",
            "my password is not working",
            "spin is fun",
            "password reset link is broken",
            "the password policy is strict",
            "my password, as I said, is lost",
            "密码错误是什么原因",
            "password: forgot it, that's why I'm writing",
            "my password is just not accepted",
            "I want to change my password to something safer",
            "my boarding pass is here",
            "my pass is expired",
            "how do I change my password to a stronger one",
            "密码改成功了吗",
            "I'd like to pass to the next step",
            "pass to 2FA page",
        ] {
            assert!(pw(t).is_empty(), "{t}: {:?}", pw(t));
        }
    }
}

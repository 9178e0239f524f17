//! Card numbers and 2FA / verification codes.
//!
//! One pass collects *digit sequences*: groups of ASCII digits joined by a
//! single space or dash, not glued to letters or other digits' punctuation.
//!
//! Card numbers (13–19 digits) are redacted when all of these hold:
//! * Luhn passes;
//! * the first digit is 2–6 (Mastercard 2/5, Amex/JCB/Diners 3, Visa 4,
//!   Discover/UnionPay 6). Order ids, millisecond timestamps and phone
//!   numbers with a country code (86…, 1…) usually start elsewhere;
//! * when written in groups, the first group has 4 digits and every group
//!   2–7 (4-4-4-4, 4-6-5, 4-4-4-4-3);
//! * not preceded by `+` (a phone number) or `#`/`No.` (a ticket or order
//!   number) and not part of an amount (`1,000.50`);
//! * no order/phone/id word ("order", "订单", "单号", "uid", "tel", "手机" …)
//!   stands closer before it than a card word ("card", "卡号", "visa" …).
//!   A Luhn-valid order id right after "order" is therefore not a card: one
//!   in ten random ids passes Luhn, and the word tells us what it is.
//!
//! Codes (4–8 digits, or 3+3 / 4+4 digits split by a space or dash) are
//! redacted only with 2FA context ("2FA", "authenticator", "code is",
//! "验证码", "动态码" …) in the 48 bytes before them (closer than any
//! order/amount word), or right after them ("123456 是我的谷歌验证码").

use super::{Finding, SecretKind, after, before, last_match_end};

const OTP_CONTEXT: &[&str] = &[
    "2fa",
    "2-fa",
    "two-factor",
    "two factor",
    "2-step",
    "2 step",
    "two-step",
    "two step",
    "verification:",
    "verification is",
    "email code",
    "谷歌验证",
    "google验证",
    "二次验证",
    "两步验证",
    "双重验证",
    "双重认证",
    "安全验证",
    "身份验证器",
    "mfa",
    "otp",
    "authenticator",
    "google auth",
    "authy",
    "verification code",
    "verify code",
    "auth code",
    "sms code",
    "security code",
    "one-time code",
    "one time code",
    "code is",
    "code:",
    "code：",
    "code =",
    "code=",
    "验证码",
    "驗證碼",
    "动态码",
    "動態碼",
    "短信码",
    "短信碼",
    "校验码",
    "动态密码",
    "安全码",
    "认证码",
    "口令",
];

/// Words that say a number is something else than a card or a code.
const OTHER_NUMBER_CONTEXT: &[&str] = &[
    "order",
    "订单",
    "訂單",
    "单号",
    "單號",
    "编号",
    "流水",
    "工单",
    "uid",
    "user id",
    "userid",
    "用户id",
    "id:",
    "id：",
    "id is",
    "ticket",
    "invoice",
    "iban",
    "swift",
    "ref:",
    "ref no",
    "reference",
    "tracking",
    "phone",
    "tel:",
    "tel.",
    "mobile",
    "手机",
    "電話",
    "电话",
    "amount",
    "金额",
    "usdt",
    "btc",
    "eth ",
    "trx",
    "txid",
    "hash",
    "交易",
    "error code",
    "error code:",
    "error code：",
    "error code is",
    "promo code:",
    "promo code is",
    "invite code:",
    "invite code is",
    "referral code:",
    "referral code is",
    "coupon code:",
    "coupon code is",
    "错误码",
    "错误代码",
    "promo",
    "referral",
    "invite",
    "邀请",
];

const CARD_CONTEXT: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "unionpay",
    "卡号",
    "卡號",
    "银行卡",
    "信用卡",
    "借记卡",
    "储蓄卡",
    "银联",
];

struct Seq {
    start: usize,
    end: usize,
    /// (start, end) of each digit group; at most 8 are kept.
    groups: Vec<(usize, usize)>,
    dashes: bool,
}

pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let seq = read_seq(b, i);
        i = seq.end;
        // Glued to letters afterwards (an id like 1234abcd, a hex string).
        if b.get(seq.end).is_some_and(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        if part_of_amount(b, seq.start, seq.end) || (seq.start > 0 && b[seq.start - 1] == b'+') {
            continue;
        }
        // "#123456", "No.123456": a ticket or order number.
        let pre = before(text, seq.start, 4).to_ascii_lowercase();
        if pre.ends_with('#') || pre.ends_with("no.") || pre.ends_with("no. ") {
            continue;
        }
        if let Some(end) = card_end(text, b, &seq) {
            out.push(Finding::redact(SecretKind::CardNumber, seq.start, end));
            continue;
        }
        if is_code_shape(&seq) && has_otp_context(text, seq.start, seq.end) {
            out.push(Finding::redact(SecretKind::OtpCode, seq.start, seq.end));
            continue;
        }
        // "验证码 123456 789": look at space-separated groups one by one.
        if seq.groups.len() > 1 && !seq.dashes {
            for &(s, e) in &seq.groups {
                if (4..=8).contains(&(e - s)) && has_otp_context(text, s, e) {
                    out.push(Finding::redact(SecretKind::OtpCode, s, e));
                }
            }
        }
    }
}

fn read_seq(b: &[u8], start: usize) -> Seq {
    let mut groups = Vec::new();
    let mut dashes = false;
    let mut i = start;
    loop {
        let gs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if groups.len() < 8 {
            groups.push((gs, i));
        }
        let sep = b.get(i).copied();
        if matches!(sep, Some(b' ') | Some(b'-'))
            && b.get(i + 1).is_some_and(|c| c.is_ascii_digit())
        {
            dashes |= sep == Some(b'-');
            i += 1;
            continue;
        }
        break;
    }
    Seq {
        start,
        end: i,
        groups,
        dashes,
    }
}

fn part_of_amount(b: &[u8], start: usize, end: usize) -> bool {
    let punct = |c: u8| c == b'.' || c == b',';
    let before = start >= 2 && punct(b[start - 1]) && b[start - 2].is_ascii_digit();
    let after = end + 1 < b.len() && punct(b[end]) && b[end + 1].is_ascii_digit();
    before || after
}

/// The Luhn check over the ASCII digits of `s` (other bytes ignored).
pub fn luhn(s: &str) -> bool {
    let mut sum = 0u32;
    let mut n = 0;
    for c in s.bytes().rev().filter(u8::is_ascii_digit) {
        let mut d = u32::from(c - b'0');
        if n % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        n += 1;
    }
    n > 0 && sum.is_multiple_of(10)
}

/// The end of a card number at the start of `seq`: the whole sequence, or
/// its longest prefix of whole groups that is one ("4111 1111 1111 1111 12/28"
/// reads the expiry month as a fifth group).
fn card_end(text: &str, b: &[u8], seq: &Seq) -> Option<usize> {
    if !(b'2'..=b'6').contains(&b[seq.start]) {
        return None;
    }
    let pre = before(text, seq.start, 40);
    if let Some(o) = last_match_end(pre, OTHER_NUMBER_CONTEXT)
        && last_match_end(pre, CARD_CONTEXT).is_none_or(|c| c <= o)
    {
        return None;
    }
    let mut digits = 0;
    let mut best = None;
    for (k, &(s, e)) in seq.groups.iter().enumerate() {
        digits += e - s;
        if digits > 19 {
            break;
        }
        if digits < 13 {
            continue;
        }
        let groups = &seq.groups[..=k];
        let shape_ok = groups.len() == 1
            || (groups[0].1 - groups[0].0 == 4
                && groups.iter().all(|(s, e)| (2..=7).contains(&(e - s))));
        if shape_ok && luhn(&text[seq.start..e]) {
            best = Some(e);
        }
    }
    best
}

fn is_code_shape(seq: &Seq) -> bool {
    match seq.groups.as_slice() {
        [(s, e)] => (4..=8).contains(&(e - s)),
        [(s1, e1), (s2, e2)] => {
            let (a, c) = (e1 - s1, e2 - s2);
            a == c && (3..=4).contains(&a)
        }
        _ => false,
    }
}

/// Units that make a number an amount, a count or a duration.
const UNITS: &[&str] = &[
    "usdt", "usdc", "btc", "eth", "trx", "bnb", "usd", "cny", "rmb", "eur", "%", "元", "块", "个",
    "枚", "笔", "次", "天", "小时", "分钟", "秒", "万", "美元", "u ", "days", "hours", "minutes",
    "times", "coins", "dollars",
];

/// A year, not a code: "set up 2FA in 2021", "since 2019", "2023年".
fn is_year(text: &str, start: usize, end: usize) -> bool {
    let year = text[start..end].parse::<u32>().ok();
    if end - start != 4 || !year.is_some_and(|y| (1990..=2039).contains(&y)) {
        return false;
    }
    if after(text, end, 3).starts_with('年') {
        return true;
    }
    let pre = before(text, start, 16).trim_end().to_ascii_lowercase();
    let word = pre
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    [
        "in", "since", "from", "until", "till", "before", "after", "year", "early", "late", "mid",
    ]
    .contains(&word)
        || pre.ends_with('在')
        || pre.ends_with('于')
}

fn has_otp_context(text: &str, start: usize, end: usize) -> bool {
    if is_year(text, start, end) {
        return false;
    }
    let unit = after(text, end, 10).trim_start().to_ascii_lowercase();
    if UNITS.iter().any(|u| unit.starts_with(u)) {
        return false;
    }
    let pre = before(text, start, 48);
    let other = last_match_end(pre, OTHER_NUMBER_CONTEXT);
    if let Some(o) = last_match_end(pre, OTP_CONTEXT) {
        return other.is_none_or(|x| x < o);
    }
    if other.is_some() {
        return false;
    }
    let post = after(text, end, 32);
    last_match_end(post, OTP_CONTEXT).is_some()
        && last_match_end(post, OTHER_NUMBER_CONTEXT).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::scan as scan_all;

    fn kinds(t: &str) -> Vec<(SecretKind, String)> {
        scan_all(t)
            .into_iter()
            .map(|f| (f.kind, t[f.start..f.end].to_string()))
            .collect()
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("4111-1111-1111-1111"));
        assert!(!luhn("4111111111111112"));
        assert!(luhn("378282246310005"));
        assert!(!luhn(""));
    }

    #[test]
    fn cards_in_several_formats() {
        for c in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
            "3782 822463 10005",
            "6011111111111117",
            "6222021234567890128",
        ] {
            assert!(luhn(c), "{c}");
            let t = format!("my card {c} please refund");
            assert_eq!(
                kinds(&t),
                vec![(SecretKind::CardNumber, c.to_string())],
                "{t}"
            );
        }
    }

    #[test]
    fn not_cards() {
        for t in [
            "order 4111111111111111 is stuck",
            "订单号：4111111111111111",
            "call me +86 138 0013 8000",
            "phone 13800138000",
            "I sent 1,000.50 USDT",
            "timestamp 1732406400000",
            "4111111111111112 is not valid",
            "41111 1111 1111 1111",
            "IBAN DE89 3704 0044 0532 0130 00",
        ] {
            assert!(kinds(t).is_empty(), "{t}: {:?}", kinds(t));
        }
        // The expiry or CVV after the number is not part of it.
        assert_eq!(
            kinds("card 4111 1111 1111 1111 12 28 cvv 123"),
            vec![(SecretKind::CardNumber, "4111 1111 1111 1111".to_string())]
        );
        assert_eq!(
            kinds("4111111111111111 123"),
            vec![(SecretKind::CardNumber, "4111111111111111".to_string())]
        );
        // Card context closer than the order word wins.
        assert_eq!(kinds("order paid with card 4111111111111111").len(), 1);
    }

    #[test]
    fn otp_codes_need_context() {
        for (t, code) in [
            ("my 2FA code is 123456", "123456"),
            ("谷歌验证码：654321", "654321"),
            ("验证码 4821", "4821"),
            ("Google Authenticator shows 123 456", "123 456"),
            ("839201 是我的动态码", "839201"),
            ("OTP=00912345", "00912345"),
            ("2-step code 551230", "551230"),
            ("谷歌验证 661203", "661203"),
            ("动态密码 123456", "123456"),
        ] {
            assert_eq!(
                kinds(t),
                vec![(SecretKind::OtpCode, code.to_string())],
                "{t}"
            );
        }
        for t in [
            "my order 123456 has not arrived",
            "I lost my 2FA, uid 12345678",
            "error code: 4001",
            "I deposited 5000 USDT yesterday",
            "the year 2024",
            "2FA reset, amount 123456",
            "2FA ticket #123456",
            "2FA 已开启，转账 123456 USDT",
            "验证码已经发了 5000 次",
            "i set up 2FA in 2021 and never had issues",
            "谷歌验证码2023年就绑定了",
        ] {
            assert!(kinds(t).is_empty(), "{t}: {:?}", kinds(t));
        }
    }
}

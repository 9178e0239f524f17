//! The outbound guard: flags an agent or bot message that *asks* the customer
//! for a secret, for remote access, or to send funds to an address.
//!
//! The message is cut into sentences (`.` `!` `?` `。` `！` `？` `；` and
//! newlines) and each sentence into clauses (`,` `，` `;` `:` `：`). A sentence
//! is a violation when one of its clauses makes a request ("send me",
//! "provide", "share", "tell me", "提供", "发给我", "告诉我" …) that no
//! negation *before it in the same clause* cancels ("never share", "do not
//! send", "不要向任何人提供", "绝不会索要"), and the sentence names an object:
//! seed phrase, private key, password, 2FA code, remote-access software (with
//! an install/open verb), or a transfer to an address. Advice such as "never
//! share your seed phrase" therefore passes, while "如果不能登录，请把你的密码发给我"
//! and "don't worry, just send me your seed phrase" are blocked. Typing is a
//! request only when aimed at the chat ("type it here", "在这里输入"), so "enter
//! your 2FA code in the app" passes.
//!
//! Known limit: it is keyword based. A negation in an earlier clause does not
//! carry ("Never, under any circumstances, share your seed phrase" is
//! blocked) and unusual phrasings of a request pass; the server lets a
//! supervisor override a block, audited.

use super::{contains_any, floor_boundary};
use crate::crypto::{RefKind, recognise};
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

const REQUEST: &[&str] = &[
    "send me",
    "send us",
    "send it",
    "send over",
    "give me",
    "give us",
    "provide",
    "share",
    "tell me",
    "tell us",
    "what is your",
    "what's your",
    "whats your",
    "need your",
    "need the",
    "reply with",
    "confirm your",
    "verify your",
    "submit",
    "dm me",
    "paste",
    "read out",
    "read me",
    "can you send",
    "could you send",
    "please send",
    "ask for",
    "ask you for",
    "what's the",
    "what is the",
    "what was the",
    "是多少",
    "是什么",
    "发来",
    "念一下",
    "读一下",
    "提供",
    "索要",
    "透露",
    "发给我",
    "发我",
    "发过来",
    "发送给",
    "给我",
    "告诉我",
    "报一下",
    "报给",
    "说一下",
    "需要你的",
    "需要您的",
    "把你的",
    "把您的",
    "截图",
    "发一下",
    "回复",
];

/// Typing is a request only when it is aimed at the chat.
const TYPE_VERBS: &[&str] = &["type", "enter", "input", "write", "输入", "填写", "填入"];
const HERE: &[&str] = &[
    "here",
    "below",
    "in the chat",
    "in this chat",
    "to me",
    "to us",
    "这里",
    "此处",
    "聊天",
    "对话框",
    "下面",
];

const INSTALL: &[&str] = &[
    "install", "download", "open", "run", "use", "connect", "安装", "下载", "打开", "使用", "连接",
    "开启",
];

const TRANSFER: &[&str] = &[
    "send ",
    "send your",
    "send the",
    "send all",
    "send funds",
    "send usdt",
    "send btc",
    "send eth",
    "transfer",
    "move your",
    "move the",
    "move all",
    "deposit",
    "withdraw to",
    "转到",
    "转入",
    "转账到",
    "转至",
    "转给",
    "打到",
    "充值到",
    "充到",
    "提到",
    "转移到",
    "转移",
    "转",
    "打款",
    "汇款",
];

const ADDRESS_WORDS: &[&str] = &[
    "this address",
    "the address below",
    "following address",
    "address below",
    "this wallet",
    "new wallet",
    "safe wallet",
    "secure wallet",
    "safe address",
    "secure address",
    "our wallet",
    "my wallet",
    "这个地址",
    "该地址",
    "此地址",
    "以下地址",
    "下面的地址",
    "下面地址",
    "安全钱包",
    "安全地址",
    "新钱包",
    "这个钱包",
    "我们的钱包",
];

const NEGATION: &[&str] = &[
    "never",
    "don't",
    "dont",
    "do not",
    "don’t",
    "not ask",
    "won't",
    "will not",
    "no one",
    "nobody",
    "no staff",
    "no official",
    "must not",
    "should not",
    "shouldn't",
    "beware",
    "scam",
    "不要",
    "不会",
    "切勿",
    "绝不",
    "决不",
    "永远不",
    "从不",
    "请勿",
    "千万别",
    "别把",
    "别给",
    "别发",
    "谨防",
    "不能",
    "不可",
    "骗",
];

/// Phrases with a negation word that do not negate the request.
const BENIGN_NEGATION: &[&str] = &[
    "don't worry",
    "do not worry",
    "dont worry",
    "no worries",
    "never mind",
    "别担心",
    "不要担心",
    "不用担心",
];

const OBJECTS: &[(OutboundKind, &[&str])] = &[
    (
        OutboundKind::SeedPhrase,
        &[
            "seed",
            "recovery phrase",
            "mnemonic",
            "secret phrase",
            "backup phrase",
            "wallet phrase",
            "12 words",
            "24 words",
            "12-word",
            "24-word",
            "助记词",
            "种子",
            "恢复短语",
            "恢复词",
        ],
    ),
    (
        OutboundKind::PrivateKey,
        &["private key", "privkey", "keystore", "私钥", "秘钥", "密钥"],
    ),
    (
        OutboundKind::TwoFactorCode,
        &[
            "2fa",
            "otp",
            "authenticator",
            "google auth",
            "verification code",
            "sms code",
            "auth code",
            "security code",
            "one-time code",
            "the code",
            "code you",
            "code we sent",
            "验证码",
            "谷歌验证",
            "动态码",
            "短信码",
        ],
    ),
    (
        OutboundKind::Password,
        &["password", "passcode", "pwd", "密码", "口令"],
    ),
];

const REMOTE: &[&str] = &[
    "anydesk",
    "teamviewer",
    "rustdesk",
    "todesk",
    "remote access",
    "remote desktop",
    "remote control",
    "screen share",
    "screen sharing",
    "远程",
    "向日葵",
    "屏幕共享",
];

/// Checks an outbound (agent or bot) message; returns one violation per
/// sentence and kind. Never panics; linear in the input for bounded word lists.
pub fn check_outbound(text: &str) -> Vec<OutboundViolation> {
    let mut out = Vec::new();
    for (start, end) in sentences(text) {
        let s = &text[start..end];
        if s.trim().is_empty() {
            continue;
        }
        let mut lower = s.to_lowercase();
        for b in BENIGN_NEGATION {
            if lower.contains(b) {
                lower = lower.replace(b, " ");
            }
        }
        let (mut asks, mut installs, mut transfers) = (false, false, false);
        for clause in lower.split([',', '，', ';', ':', '：', '、']) {
            asks |= requested(clause, REQUEST)
                || (requested(clause, TYPE_VERBS) && contains_any(clause, HERE));
            installs |= requested(clause, INSTALL);
            transfers |= requested(clause, TRANSFER);
        }
        let mut push = |kind| out.push(OutboundViolation { kind, start, end });
        if (asks || installs) && contains_any(&lower, REMOTE) {
            push(OutboundKind::RemoteAccess);
        }
        if asks {
            // The most specific object only: "seed phrase password" is about
            // the seed.
            if let Some((kind, _)) = OBJECTS
                .iter()
                .find(|(_, words)| contains_any(&lower, words))
            {
                push(*kind);
            }
        }
        if transfers
            && (contains_any(&lower, ADDRESS_WORDS)
                || recognise(s).iter().any(|r| r.kind == RefKind::Address))
        {
            push(OutboundKind::TransferToAddress);
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

/// Start of the earliest occurrence of any needle (same matching rules as
/// `last_match_end`: ASCII case-insensitive, ASCII needles start a word).
fn first_match_start(hay: &str, needles: &[&str]) -> Option<usize> {
    let h = hay.as_bytes();
    let mut best: Option<usize> = None;
    for n in needles {
        let nb = n.as_bytes();
        if nb.is_empty() || nb.len() > h.len() {
            continue;
        }
        let word_start = nb[0].is_ascii_alphanumeric();
        let limit = best
            .unwrap_or(h.len() - nb.len() + 1)
            .min(h.len() - nb.len() + 1);
        for s in 0..limit {
            if word_start && s > 0 && h[s - 1].is_ascii_alphanumeric() {
                continue;
            }
            if h[s..s + nb.len()]
                .iter()
                .zip(nb)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
            {
                best = Some(s);
                break;
            }
        }
    }
    best
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
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<OutboundKind> {
        check_outbound(t).into_iter().map(|v| v.kind).collect()
    }

    #[test]
    fn requests_are_blocked_en() {
        use OutboundKind::*;
        for (t, k) in [
            (
                "Please send me your seed phrase so I can verify the wallet.",
                SeedPhrase,
            ),
            ("What is your 12-word recovery phrase?", SeedPhrase),
            (
                "To unlock the account, provide your private key.",
                PrivateKey,
            ),
            ("Can you share your password with me", Password),
            ("Tell me the 2FA code you just received", TwoFactorCode),
            (
                "Type your verification code here and we will finish.",
                TwoFactorCode,
            ),
            ("Please install AnyDesk so I can fix it.", RemoteAccess),
            ("Open TeamViewer and give me the ID", RemoteAccess),
            (
                "Transfer your USDT to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed for safety",
                TransferToAddress,
            ),
            ("Move all funds to this safe wallet now", TransferToAddress),
            ("Don't worry, just send me your seed phrase.", SeedPhrase),
            ("What's the code you received by SMS?", TwoFactorCode),
            (
                "To speed up, send 0.1 ETH to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                TransferToAddress,
            ),
            ("If you cannot log in, tell me your password", Password),
            (
                "For verification please share the 12 words of your wallet",
                SeedPhrase,
            ),
        ] {
            assert!(kinds(t).contains(&k), "{t}: {:?}", kinds(t));
        }
    }

    #[test]
    fn requests_are_blocked_zh() {
        use OutboundKind::*;
        for (t, k) in [
            ("请提供你的助记词", SeedPhrase),
            ("把你的私钥发给我，我帮你恢复", PrivateKey),
            ("请告诉我你的登录密码", Password),
            ("请把谷歌验证码发给我", TwoFactorCode),
            ("请下载向日葵远程软件", RemoteAccess),
            ("请安装AnyDesk，我远程帮你操作", RemoteAccess),
            (
                "请把USDT转到这个地址：TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                TransferToAddress,
            ),
            ("你的资产有风险，请尽快转入安全钱包", TransferToAddress),
            ("在这里输入你的验证码", TwoFactorCode),
            ("如果不能登录，请把你的密码发给我", Password),
            ("您好，请问您的谷歌验证码是多少？", TwoFactorCode),
            (
                "请转0.5个ETH到0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed完成验证",
                TransferToAddress,
            ),
            ("别担心，把助记词发过来我帮你检查", SeedPhrase),
        ] {
            assert!(kinds(t).contains(&k), "{t}: {:?}", kinds(t));
        }
    }

    #[test]
    fn advice_is_not_blocked() {
        for t in [
            "Never share your seed phrase with anyone, including us.",
            "We will never ask for your password or 2FA code.",
            "Do not install AnyDesk or TeamViewer at anyone's request.",
            "Please enter your 2FA code in the app to confirm the withdrawal.",
            "Your withdrawal to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed is complete.",
            "Please check the deposit address shown in the app.",
            "请不要向任何人提供您的助记词。",
            "官方客服绝不会索要您的私钥或密码。",
            "切勿安装任何远程软件。",
            "您的提现已到账，请查收。",
            "请在App内重置密码。",
            "Thanks for waiting, the transfer is being processed.",
            "No one from support will ever ask you to share your seed phrase.",
            "Please provide your UID and the TXID of the deposit.",
            "请提供您的UID和充值记录截图",
            "Could you share a screenshot of the error?",
            "官方客服不会向您索要验证码",
            "您的提币地址是TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t吗？",
            "Please share the transaction hash so we can check.",
            "请提供交易哈希",
            "Your password reset link has been sent.",
            "我帮您转接人工客服",
        ] {
            assert!(kinds(t).is_empty(), "{t}: {:?}", kinds(t));
        }
    }

    #[test]
    fn spans_are_sentences() {
        let t = "Hello! Please send me your seed phrase. Thanks.";
        let v = check_outbound(t);
        assert_eq!(v.len(), 1);
        assert_eq!(
            &t[v[0].start..v[0].end],
            " Please send me your seed phrase."
        );
    }
}

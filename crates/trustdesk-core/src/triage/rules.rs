//! Emergency rules (zh, en, and a small lexicon for other languages) layered
//! over the learned urgent score: a hacked or stolen account, a withdrawal
//! or trade the customer did not make, a fake-support scam in progress, a
//! freeze request, a leaked seed phrase or private key, credentials changed
//! by someone else, funds being drained. Each rule is a conjunction of
//! phrase lists, with exclusions, so that a question *about* security ("how
//! do I unfreeze my account", "how to protect my account from hackers",
//! "hacked last month, how do I open an investigation") does not fire.
//!
//! The input is the folded text (lowercase, half-width, digits kept).

fn has(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// The folded text plus a 2^16-bit set of the hashes of its 3-byte windows:
/// a needle whose first or last three bytes are absent cannot occur, which
/// skips most of the several hundred substring searches of the rules.
struct Folded<'a> {
    s: &'a str,
    bits: Vec<u64>,
}

fn window_hash(w: &[u8]) -> usize {
    let v = u32::from(w[0]) | u32::from(w[1]) << 8 | u32::from(w[2]) << 16;
    (v.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

impl<'a> Folded<'a> {
    fn new(s: &'a str) -> Self {
        let mut bits = vec![0u64; 1 << 10];
        for w in s.as_bytes().windows(3) {
            let h = window_hash(w);
            bits[h >> 6] |= 1 << (h & 63);
        }
        Folded { s, bits }
    }

    fn may_contain(&self, needle: &str) -> bool {
        let b = needle.as_bytes();
        if b.len() < 3 {
            return true;
        }
        let present = |w: &[u8]| {
            let h = window_hash(w);
            self.bits[h >> 6] & (1 << (h & 63)) != 0
        };
        present(&b[..3]) && present(&b[b.len() - 3..])
    }
}

impl std::ops::Deref for Folded<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.s
    }
}

fn hs(t: &Folded<'_>, needles: &[&str]) -> bool {
    needles.iter().any(|n| t.may_contain(n) && t.s.contains(n))
}

/// `needle` occurs with no letter right before it (so "freeze my" does not
/// match inside "unfreeze my").
fn has_word(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| {
        text.match_indices(n).any(|(i, _)| {
            !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphabetic())
        })
    })
}

/// Past events asked about after the fact, hypotheticals and prevention
/// questions are not emergencies.
#[rustfmt::skip]
const NOT_NOW: &[&str] = &[
    "was my account hacked", "is my account hacked", "am i hacked", "it was my new",
    "之前", "以前", "上个月", "去年", "上周", "如果", "万一", "假如", "防止", "预防", "避免",
    "怎么防", "如何防", "会不会", "有没有被", "被黑过", "被盗过", "如何保护", "怎么保护",
    "last month", "last year", "last week", "months ago", "years ago", "what if", "if my",
    "in case", "someday", "one day", "avoid", "prevent", "protect", "what happens if",
    "how to know if", "how do i know if", "ever been hacked", "were you hacked", "担心", "怕",
    "加强安全", "怎么加强", "safe from", "is it safe", "secure from", "worried", "afraid",
    "could someone", "的话", "gets hacked", "get hacked", "your hot wallet",
    "what happens to users",
];

// ---------------------------------------------------------------- zh

#[rustfmt::skip]
const ZH_AUTHORITY: &[&str] = &["法院", "司法", "公安", "警方", "警察"];

fn zh_freeze_request(text: &Folded<'_>) -> bool {
    // A freeze ordered by a court or the police is a compliance matter.
    if hs(text, ZH_AUTHORITY)
        || hs(
            text,
            &[
                "解除",
                "解冻",
                "解封",
                "后怎么",
                "之后怎么",
                "暂时",
                "一段时间",
            ],
        )
    {
        return false;
    }
    for verb in ["冻结", "锁定", "锁住", "封掉", "封了"] {
        for (i, _) in text.match_indices(verb) {
            let before = &text[..i];
            let after = &text[i + verb.len()..];
            if matches!(before.chars().next_back(), Some('被' | '解' | '已')) {
                continue;
            }
            let asks = [
                "请", "帮我", "马上", "立即", "立刻", "赶紧", "赶快", "快", "尽快", "申请", "需要",
                "要求", "先", "紧急",
            ]
            .iter()
            .any(|w| before.ends_with(w) || before.ends_with(&format!("{w}一下")));
            // "请帮我把账户锁住": the object comes before the verb.
            let fronted = ["账户", "账号", "帐户", "帐号", "号", "钱包", "它"]
                .iter()
                .any(|w| before.ends_with(w))
                && has(
                    before,
                    &[
                        "请", "帮", "马上", "立即", "立刻", "赶紧", "赶快", "快", "把",
                    ],
                );
            if fronted {
                return true;
            }
            let object = [
                "我", "账", "帐", "号", "一下", "钱包", "它", "资金", "资产", "uid",
            ]
            .iter()
            .any(|w| after.trim_start().starts_with(w));
            if asks || object {
                return true;
            }
        }
    }
    false
}

#[rustfmt::skip]
const ZH_THEFT: &[&str] = &[
    "盗我", "盗号", "被盗", "盗了", "被黑", "黑客", "偷了我", "偷我", "骗走", "钱被偷",
    "币被偷", "号被偷", "账户被偷", "账号被偷", "资产被偷", "被人盗", "被清空", "钱包清空了",
    "账户清空了", "余额清空了", "被掏空", "入侵", "冒用", "盗用", "登了我的号", "登录了我的号", "登了我的账", "盗刷",
];
#[rustfmt::skip]
const ZH_NOT_ME: &[&str] = &[
    "什么也没干", "什么也没做", "什么都没干", "什么都没做",
    "不是我操作", "不是我本人", "不是我提", "不是我做", "不是我下", "不是我转", "不是我改",
    "不是我弄", "非本人", "我没有操作", "我没操作", "我没有提", "我没提", "本人没有操作",
    "没有操作过", "没操作过", "不知情", "没有授权", "未经授权", "未授权", "没做过",
    "不是我做的", "我没提过", "什么都没动", "我没动", "没动过", "没提过", "根本没提", "没有提过", "没转过", "没有转过", "我没有下", "我没下",
    "我没开的", "我没有开的", "不是我开的", "我没买的", "我没卖的", "我没下的",
];
#[rustfmt::skip]
const ZH_MONEY_OUT: &[&str] = &[
    "提币", "提现", "转走", "转出", "提走", "转到", "提款", "被转", "下单", "交易", "提了",
    "转了", "陌生地址", "eth", "btc", "usdt", "币", "仓位", "订单", "持仓",
];
#[rustfmt::skip]
const ZH_GONE: &[&str] = &[
    "全没了", "都没了", "不见了", "全部不见", "被转光", "被提光", "清零了", "莫名其妙", "归零",
    "变成0", "变成零",
];
/// Weaker signs of loss, counted only with a place the money was kept.
#[rustfmt::skip]
const ZH_GONE_WEAK: &[&str] = &["只剩", "没了", "少了", "在减少", "越来越少", "变成0", "变成零"];
#[rustfmt::skip]
const ZH_KEPT_IN: &[&str] = &["账户里", "钱包里", "账户的", "账号里", "余额", "资产"];
#[rustfmt::skip]
const ZH_TRADING_LOSS: &[&str] = &["爆仓", "亏", "强平", "合约", "跌", "平仓"];
#[rustfmt::skip]
const ZH_SECRET: &[&str] = &["助记词", "私钥", "密钥", "12个单词", "恢复短语"];
#[rustfmt::skip]
const ZH_LEAKED: &[&str] = &[
    "泄露", "泄漏", "被别人", "被人", "发给了", "告诉了", "给了", "拿到", "被盗", "正在被",
    "拿着", "知道了", "输入了", "截图发",
];
#[rustfmt::skip]
const ZH_IMPERSONATOR: &[&str] = &[
    "冒充", "自称", "假客服", "假的客服", "骗子", "假官方", "说是官方", "说是客服",
    "官方的人", "客服的人", "管理员", "假冒", "经理", "说她是", "说他是", "你们的人",
];
#[rustfmt::skip]
const ZH_HANDED_OVER: &[&str] = &[
    "已经转", "转了", "我转", "远程", "正在", "告诉他", "告诉了", "给他转", "在操作", "还在",
    "刚刚", "刚才", "刚转", "转完", "转出去了", "给了", "骗走", "让我装",
    "装了", "下载了", "自己在动", "在用我的", "已经充", "我充了", "充了两", "充了几",
];
/// Someone else named in the message.
const ZH_STRANGER: &[&str] = &["有人", "别人", "黑客", "陌生", "不是我", "骗子"];
#[rustfmt::skip]
const ZH_CHANGED: &[&str] = &[
    "被改", "被修改", "被人改", "被换绑", "被解绑", "被重置", "被别人", "被人绑", "被陌生",
];
#[rustfmt::skip]
const ZH_CREDENTIAL: &[&str] = &["谷歌", "验证", "密码", "手机", "邮箱", "2fa", "账号", "账户"];
#[rustfmt::skip]
const ZH_ACTIVE: &[&str] = &[
    "正在被登录", "被别人登录着", "被别人登陆", "被别人登录", "有人在用我的", "踢不掉",
    "在疯狂", "在被提", "币在被", "正在提我", "快拦住", "帮我拦截", "拦下来", "拦住",
    "正在被人操作", "被人操作", "鼠标自己", "被人登录", "有人登了", "有人登录了我",
    "有人在操作", "被人转", "往外转", "在转出", "在被转", "不认识的提", "不认识的交易",
    "不认识的转", "不认识的订单", "陌生的提现", "陌生的提币", "陌生的交易", "没见过的提", "被别人控制", "被人控制", "控制了我的",
];

/// "不是我" as a denial ("…提币，不是我"), not inside "是不是我…".
fn zh_denial(t: &Folded<'_>) -> bool {
    t.match_indices("不是我").any(|(i, m)| {
        let before = &t[..i];
        let next = t[i + m.len()..].chars().next();
        !before.ends_with('是')
            && next.is_none_or(|c| !super::features::is_han(c) || "本操做提下转改弄".contains(c))
    })
}

fn zh_urgent(t: &Folded<'_>, fee: bool) -> bool {
    if zh_freeze_request(t) {
        return true;
    }
    let not_now = hs(t, NOT_NOW);
    if hs(t, ZH_THEFT) && !not_now {
        return true;
    }
    if (hs(t, ZH_NOT_ME) || zh_denial(t)) && hs(t, ZH_MONEY_OUT) && !not_now {
        return true;
    }
    let gone = (hs(t, ZH_GONE) && hs(t, &["币", "钱", "资产", "余额", "u", "账户", "钱包"]))
        || (hs(t, ZH_GONE_WEAK) && hs(t, ZH_KEPT_IN));
    if gone
        && (!fee || hs(t, ZH_STRANGER))
        && !hs(t, ZH_TRADING_LOSS)
        && !hs(t, &["充", "到账", "提币后", "转账", "提现后"])
        && !not_now
    {
        return true;
    }
    if hs(
        t,
        &[
            "被人提走",
            "被提走",
            "被转走",
            "被盗走",
            "被人转",
            "被转出",
            "被转移",
            "把我的",
        ],
    ) && hs(t, &["转走", "提走", "盗走", "转出", "转移", "被人"])
        && !not_now
    {
        return true;
    }
    if hs(t, ZH_SECRET) && hs(t, ZH_LEAKED) && !not_now {
        return true;
    }
    if hs(t, ZH_IMPERSONATOR) && hs(t, ZH_HANDED_OVER) && !not_now {
        return true;
    }
    if hs(t, ZH_CHANGED) && hs(t, ZH_CREDENTIAL) && !not_now && !t.contains("注册") {
        return true;
    }
    if hs(t, &["陌生", "别人", "有人", "不是我", "黑客"])
        && hs(t, &["修改了", "改了", "换了", "换绑了", "解绑了"])
        && hs(t, &["密码", "邮箱", "手机号", "谷歌", "验证器", "2fa"])
        && !not_now
    {
        return true;
    }
    if has(t, &["被转到", "被提到", "被转去", "被转进"])
        && has(t, &["陌生", "不认识", "未知", "别人的"])
    {
        return true;
    }
    // Someone else logged in and acted.
    if hs(t, &["有人", "别人", "黑客", "陌生人"])
        && hs(t, &["登录", "登陆", "登了", "进了"])
        && hs(
            t,
            &[
                "提走", "卖了", "转走", "提了", "转了", "改了", "下单", "卖掉", "买了",
            ],
        )
        && !not_now
    {
        return true;
    }
    if hs(t, &["远程", "屏幕共享", "共享屏幕", "共享桌面"])
        && hs(t, &["现在", "正在", "在操作", "控制了", "在帮我"])
    {
        return true;
    }
    hs(t, ZH_ACTIVE) && !not_now
}

// ---------------------------------------------------------------- en

#[rustfmt::skip]
const EN_FREEZE: &[&str] = &[
    "freeze my", "freeze the account", "freeze it", "freeze this account", "freeze account",
    "freeze now", "freeze everything", "lock my acc", "lock the acc", "lock it now", "lock down my",
    "block my acc", "suspend my acc", "disable my acc", "lock acct", "lock account",
    "lock this acc", "freeze acct", "block acct", "disable acct", "suspend acct", "put a hold on my", "hold on my account", "freeze uid", "lock uid", "block it now",
    "stop all withdrawals", "stop the withdrawal", "cancel this withdrawal, it's not me",
];
#[rustfmt::skip]
const EN_HACKED: &[&str] = &[
    "hacked", "compromised", "stole my account", "stolen account", "account stolen",
    "account is stolen", "account was stolen", "took over my account", "account takeover",
    "hacker", "being hacked", "hijack", "taken over", "takeover", "breached", "broke into", "got into my account",
    "intrusion", "intruder",
];
#[rustfmt::skip]
const EN_NOT_REALLY: &[&str] = &[
    "email got hacked", "email was hacked", "email hacked", "at risk", "api key", "another site",
    "other site", "should i change", "data breach",
];
#[rustfmt::skip]
const EN_NOT_ME: &[&str] = &[
    "did not start", "didn't start", "didnt start", "not initiated by me", "did not initiate",
    "didn't make", "didnt make", "did not make", "never made", "didn't do it", "didnt do it",
    "did not do it", "didn't withdraw", "didnt withdraw", "did not withdraw",
    "didn't authorize", "didnt authorize", "did not authorize", "not authorized by me",
    "wasn't me", "was not me", "not by me", "unauthorized", "unauthorised",
    "without my permission", "i didn't send", "i didnt send", "don't recognize",
    "dont recognize", "never did", "without my knowledge", "not done by me", "not me",
    "did not authorise", "didn't authorise", "didnt authorise", "not authorised by me",
    "i'm not doing", "im not doing", "i am not doing",
    "i never withdrew", "i didn't place", "i didnt place", "i never placed", "never requested",
    "didn't request", "didnt request", "did not request", "never initiated", "didn't initiate",
    "never asked for",
];
#[rustfmt::skip]
const EN_MONEY_OUT: &[&str] = &[
    "withdraw", "transferred", "transfer", "sent out", "drain", "left my account", "trade",
    "trading", "moved", "sold", "gone", "sent coins", "unknown address", "from my account",
    "order", "bought", "balance",
];
#[rustfmt::skip]
const EN_ASSETS: &[&str] = &[
    "account", "acct", "fund", "coin", "money", "crypto", "usdt", "btc", "eth", "balance",
    "wallet", "everything", "token", "assets",
];
#[rustfmt::skip]
const EN_SECRET: &[&str] = &[
    "seed phrase", "recovery phrase", "mnemonic", "private key", "seed words", "secret phrase",
    "12 words", "24 words", "my seed", "recovery words", "backup phrase",
];
#[rustfmt::skip]
const EN_LEAKED: &[&str] = &[
    "someone has", "has my", "leaked", "i gave", "gave my", "stolen", "stole", "shared my",
    "i shared", "sent my", "exposed", "draining", "typed my", "entered my", "gave it",
    "showed my", "told him", "told them",
];
#[rustfmt::skip]
const EN_IMPERSONATOR: &[&str] = &[
    "\"your", "your agent",
    "fake support", "fake customer", "posing as", "pretending to be", "claiming to be",
    "impersonat", "scammer", "\"support", "\"admin", "\"official", "\"customer", "customer care", "fake agent", "fake admin",
    "admin on telegram", "support on telegram", "says he is", "says she is", "said he was",
    "said she was", "says they are", "claims to be", "claimed to be", "from your support",
    "from your team", "fake",
];
#[rustfmt::skip]
const EN_HANDED_OVER: &[&str] = &[
    "been scammed",
    "i sent", "sent it", "already sent", "sent him", "sent them", "sent her", "remote access", "still has",
    "still have", "still messaging", "transferred", "gave him", "gave them", "just sent",
    "they have my", "right now", "i paid", "gave my", "i gave", "told him my", "told them my",
    "made me", "send him", "asking for more", "still asking", "scammed me", "got scammed by",
    "took my", "stole", "made me install", "i did,", "i did.", "i did it",
    "i moved", "i followed", "i installed", "moving my", "still using", "has my", "is logging", "logging in", "logged in", "using my account", "now he", "now she", "now they",
];
#[rustfmt::skip]
const EN_REMOTE: &[&str] = &[
    "anydesk", "teamviewer", "remote access", "remote desktop", "screen share", "share my screen",
    "sharing my screen", "remote control",
];
#[rustfmt::skip]
const EN_ACTIVE: &[&str] = &[
    "unknown api", "api key i didn't create", "api key i never created",
    "that i didn't create", "that i didnt create", "that i did not create", "that i never created",
    "is logged into my account", "is logged in as me", "logged in somewhere else",
    "kick them out", "is withdrawing", "draining my", "drained", "being drained",
    "being emptied", "being withdrawn", "being moved", "being transferred", "being sent",
    "keeps going down", "is trading on my account", "is using my account", "emptied my",
    "wiped my account", "account was emptied", "someone logged in and", "stranger in my account",
    "someone in my account", "someone is in my account", "flowing out", "being sent out",
];
#[rustfmt::skip]
const EN_CHANGED: &[&str] = &[
    "was changed", "were changed", "changed my", "changed by", "got changed", "reset my",
];
#[rustfmt::skip]
const EN_CREDENTIAL: &[&str] = &[
    "2fa", "authenticator", "email", "password", "phone", "google auth",
];
#[rustfmt::skip]
const EN_STRANGER: &[&str] = &[
    "someone", "hacker", "they ", "not me", "wasn't me", "gone", "withdrawn", "without",
    "i didn't", "i didnt", "i did not", "somebody",
];

#[rustfmt::skip]
const EN_STRANGE_LOGIN: &[&str] = &[
    "login from", "logged in from", "log in from", "login attempt from", "sign-in from",
    "signed in from", "unknown login", "unknown device", "new device", "strange login",
    "unrecognized login", "unrecognised login", "login i don't recognize",
];
#[rustfmt::skip]
const EN_LOSS: &[&str] = &[
    "is gone", "are gone", "all gone", "disappeared", "vanished", "emptied", "is empty",
    "now zero", "now 0", "went to zero", "withdrawn",
];

/// A freeze ordered by a court, the police or a prosecutor is a compliance
/// matter, not a customer's freeze request.
#[rustfmt::skip]
const EN_AUTHORITY: &[&str] = &[
    "court", "police", "law enforcement", "prosecutor", "judicial", "subpoena", "authorities",
];
const AUTHORITY_FREEZE: &[&str] = &[
    "freeze", "frozen", "on hold", "hold on", "冻结", "凍結", "封",
];
/// Impersonation words: a "police officer" asking for money is a scam.
const IMPOSTOR: &[&str] = &[
    "fake",
    "pretend",
    "claiming",
    "claimed",
    "impersonat",
    "scam",
    "冒充",
    "假",
    "骗",
    "自称",
];

fn en_urgent(t: &Folded<'_>, fee: bool) -> bool {
    if has_word(t, EN_FREEZE)
        && !hs(t, EN_AUTHORITY)
        && !hs(
            t,
            &[
                "temporarily",
                "while i travel",
                "is that possible",
                "is it possible",
                "unfreeze",
                "what happens",
                "if i freeze",
                "when i freeze",
                "can i freeze",
                "unlock",
            ],
        )
    {
        return true;
    }
    let not_now = hs(t, NOT_NOW);
    let not_really = hs(t, EN_NOT_REALLY);
    if hs(t, EN_HACKED) && !not_really && !not_now {
        return true;
    }
    if hs(t, &["stole", "stolen", "robbed"]) && hs(t, EN_ASSETS) && !t.contains("phone") && !not_now
    {
        return true;
    }
    if has_word(t, EN_NOT_ME) && hs(t, EN_MONEY_OUT) {
        return true;
    }
    if hs(t, EN_SECRET) && hs(t, EN_LEAKED) && !not_now {
        return true;
    }
    if hs(t, EN_IMPERSONATOR) && hs(t, EN_HANDED_OVER) && !not_now {
        return true;
    }
    if hs(t, EN_REMOTE)
        && hs(
            t,
            &["now", "moving", "withdraw", "sent", "transfer", "money"],
        )
    {
        return true;
    }
    if hs(t, EN_ACTIVE) && !not_now && (!fee || hs(t, EN_STRANGER)) {
        return true;
    }
    // "a login from Nigeria and my ETH is gone": a strange login and a loss.
    if hs(t, EN_STRANGE_LOGIN)
        && hs(t, EN_LOSS)
        && !hs(
            t,
            &[
                "nothing",
                "not gone",
                "isn't gone",
                "still there",
                "still have",
            ],
        )
        && !not_now
        && !not_really
    {
        return true;
    }
    if hs(t, EN_CHANGED) && hs(t, EN_CREDENTIAL) && hs(t, EN_STRANGER) && !not_now {
        return true;
    }
    if hs(
        t,
        &[
            "went to zero",
            "went to 0",
            "is now zero",
            "is now 0",
            "dropped to zero",
            "dropped to 0",
            "balance is zero",
            "balance is 0",
            "shows zero",
            "shows 0",
        ],
    ) && (hs(t, EN_NOT_ME)
        || hs(
            t,
            &["made no", "no transactions", "did nothing", "overnight"],
        ))
        && !not_now
    {
        return true;
    }
    if hs(t, &["all my", "everything"])
        && hs(
            t,
            &["is gone", "are gone", "disappeared", "vanished", "missing"],
        )
        && hs(t, EN_ASSETS)
        && !hs(
            t,
            &[
                "liquidat",
                "lost on",
                "futures",
                "trade",
                "margin",
                "deposit",
                "withdrawal",
            ],
        )
    {
        return true;
    }
    t.contains("right now")
        && hs(
            t,
            &[
                "someone",
                "withdraw",
                "hacker",
                "logged in",
                "remote",
                "screen",
            ],
        )
}

/// A small emergency lexicon for the other languages customers write in
/// (hacked / freeze or lock the account / taken over / withdrawn without
/// permission). Stems, so inflections match.
#[rustfmt::skip]
const OTHER_URGENT: &[&str] = &[
    // es / pt
    "hackear", "hackead", "congel", "bloqueen", "bloqueiem", "sin mi permiso", "sem permissão",
    "sem minha permissão", "robaron", "roubaram",
    // fr / de / it / tr / pl
    "piraté", "bloquez", "gehackt", "sperren", "hackerato", "bloccate", "hacklendi", "dondurun",
    "zhakowane", "zablokujcie", "volé", "gestohlen",
    // ru / uk
    "взлом", "заблокируйте", "заморозьте", "без моего разрешения", "без мого дозволу", "украли",
    // ja / ko
    "乗っ取", "凍結して", "身に覚えのない", "해킹", "동결", "잠가", "하지 않은 출금",
    // vi / th / id
    "bị hack", "khóa ngay", "ถูกแฮก", "ระงับบัญชี", "diretas", "bekukan",
];

// ------------------------------------------------ cue families (zh + en)
//
// The phrase rules above know particular wordings. The families below
// generalise: an emergency is two kinds of evidence together (an intruder
// and a loss, a denial and money moving, a secret handed to an
// impersonator, a security setting changed by someone else).

#[rustfmt::skip]
const INTRUDER: &[&str] = &[
    "有人", "别人", "陌生人", "黑客", "骗子", "被人", "陌生ip", "陌生设备",
    "someone", "somebody", "hacker", "scammer", "stranger", "a guy", "some guy", "unknown person",
    "some person", "attacker", "thief",
];
#[rustfmt::skip]
const LOSS: &[&str] = &[
    "只剩",
    "没了", "不见", "少了", "转走", "提走", "被提", "被转", "清空", "卖了", "乱下单", "转出",
    "减少", "盗走", "全卖", "都卖", "提光", "转光", "乱买", "乱交易",
    "gone", "emptied", "is empty", "wallet empty", "withdrew", "withdrawn", "drained", "moving my",
    "are moving", "is moving", "transferred out", "sent out", "bought a bunch", "sold my",
    "sold all", "lost all", "stole", "took all", "took my", "cleaned out", "wiped",
];
#[rustfmt::skip]
const DENIAL: &[&str] = &[
    "什么也没干", "什么都没做", "什么也没做", "什么都没干",
    "不是我", "没操作", "没有操作", "我没有提", "我没提", "不知情", "未授权", "没授权",
    "不是本人", "非本人",
    "didn't", "didnt", "did not", "never", "aren't mine", "arent mine", "not mine", "wasn't me",
    "wasnt me", "not me", "unauthori", "without my",
];
#[rustfmt::skip]
const MONEY_MOVED: &[&str] = &[
    "提币", "提现", "转出", "转走", "提走", "下单", "交易记录", "买入", "卖出", "资产", "余额",
    "卖单", "买单", "订单", "挂单",
    "withdraw", "transfer", "trade", "order", "bought", "sold", "balance", "funds", "coins",
    "moving", "sent",
];
#[rustfmt::skip]
const HANDED: &[&str] = &[
    "给了", "告诉了", "告诉他", "念给", "发给", "输入了", "填了", "报给", "转了", "已经转",
    "我转", "给他",
    "gave", "told him", "told them", "told her", "typed", "entered", "sent him", "sent them",
    "shared", "read out", "i sent", "handed",
];
#[rustfmt::skip]
const SECRET_OR_CODE: &[&str] = &[
    "验证码", "密码", "助记词", "私钥", "谷歌", "动态码", "资金",
    "code", "password", "seed", "phrase", "private key", "2fa", "otp", "funds", "usdt", "btc",
    "eth", "money",
];
#[rustfmt::skip]
const IMPERSONATION: &[&str] = &[
    "说是", "自称", "冒充", "假", "官方", "客服", "安全中心", "风控部门", "工作人员", "管理员",
    "support", "admin", "official", "security team", "moderator", " mod", "claiming",
    "pretending", "posing", "agent", "staff", "employee",
];
#[rustfmt::skip]
const CHANGED_SETTING: &[&str] = &[
    "被改", "被加", "被人加", "被重置", "被换", "被绑", "被解绑", "被关闭", "被关了",
    "reset", "changed", "added", "removed", "disabled", "turned off",
];
#[rustfmt::skip]
const SETTING: &[&str] = &[
    "白名单", "谷歌", "验证", "密码", "邮箱", "手机", "api", "防钓鱼",
    "whitelist", "2fa", "authenticator", "password", "email", "phone", "api", "anti-phishing",
];
/// Contexts where an "intruder" word is a counterparty or a helper, or a
/// "loss" is a transfer delay.
#[rustfmt::skip]
const NOT_INTRUSION: &[&str] = &[
    "对方", "买家", "卖家", "商家", "p2p", "otc", "转给我", "充值", "到账", "未到", "没到",
    "buyer", "seller", "merchant", "sent me", "can someone", "could someone", "someone help",
    "someone please", "deposit", "not arrived", "not credited", "hasn't arrived",
    "not received", "didn't receive", "didnt receive", "didn't arrive", "didnt arrive",
];

fn families(t: &Folded<'_>) -> bool {
    if hs(t, NOT_NOW) {
        return false;
    }
    let context_ok = !hs(t, NOT_INTRUSION);
    if context_ok && hs(t, INTRUDER) && hs(t, LOSS) {
        return true;
    }
    if context_ok && hs(t, DENIAL) && hs(t, LOSS) {
        return true;
    }
    if context_ok
        && hs(
            t,
            &[
                "不是我的",
                "aren't mine",
                "arent mine",
                "not mine",
                "wasn't me",
                "not me",
            ],
        )
        && hs(t, MONEY_MOVED)
    {
        return true;
    }
    if hs(t, HANDED) && hs(t, SECRET_OR_CODE) && hs(t, IMPERSONATION) && !t.contains("?") {
        return true;
    }
    if hs(t, CHANGED_SETTING) && hs(t, SETTING) && (hs(t, INTRUDER) || hs(t, DENIAL)) {
        return true;
    }
    // Credentials typed into a phishing site, and money is now moving.
    if hs(
        t,
        &[
            "钓鱼",
            "假网站",
            "phishing",
            "fake site",
            "fake website",
            "scam site",
        ],
    ) && hs(
        t,
        &[
            "输了",
            "输入了",
            "填了",
            "登录了",
            "entered",
            "typed",
            "logged in",
            "signed in",
        ],
    ) && hs(
        t,
        &[
            "提币", "提现", "转出", "转走", "withdraw", "transfer", "gone", "moving", "没了",
        ],
    ) {
        return true;
    }
    if hs(t, INTRUDER)
        && hs(
            t,
            &[
                "in my account",
                "into my account",
                "我的账户里",
                "我的账号里",
            ],
        )
        && hs(
            t,
            &[
                "placing", "trading", "buying", "selling", "withdraw", "trade", "下单", "交易",
                "提币",
            ],
        )
    {
        return true;
    }
    // "I need my account frozen right now": a freeze asked for, object first.
    hs(t, &["need", "want", "get", "have", "please", "pls"])
        && hs(
            t,
            &[
                "account frozen",
                "acct frozen",
                "account locked down",
                "wallet frozen",
                "account blocked now",
                "account disabled now",
            ],
        )
        && !hs(
            t,
            &[
                "why",
                "how",
                "unfreeze",
                "unlock",
                "until",
                "when",
                "was frozen",
                "is frozen",
                "got frozen",
                "been frozen",
            ],
        )
}

/// The customer says the threat did not work ("I hung up", "我没理他"): the
/// learned score alone must not raise an alarm then.
#[rustfmt::skip]
const CALM: &[&str] = &[
    "it was my new", "是我自己", "是我本人登录",
    "没理", "没有理", "没上当", "没给他", "没有给", "挂了电话", "拉黑了", "没点",
    "hung up", "ignored", "didn't fall", "did not fall", "didn't give", "did not give",
    "didnt give", "blocked him", "blocked them", "didn't click", "didnt click", "did not click",
];

/// A planned, temporary freeze ("while I travel") is a request, not an
/// emergency: the learned score alone must not make it urgent.
#[rustfmt::skip]
const PLANNED: &[&str] = &[
    "while i travel", "while traveling", "while travelling", "during my trip", "temporarily",
    "出国", "旅行期间", "暂时",
];

/// Whether the text says an attempt failed (see [`CALM`]) or asks about a
/// past, hypothetical or preventive case: the learned score alone must not
/// raise an alarm then.
pub fn calm(folded: &str) -> bool {
    has(folded, CALM)
        || has(folded, PLANNED)
        || has(folded, NOT_NOW)
        || has(folded, EN_NOT_REALLY)
        || authority_freeze(folded)
}

/// "got a letter from police about a freeze on my account": a freeze by an
/// authority (compliance), unless the "authority" is an impostor.
pub fn authority_freeze(folded: &str) -> bool {
    (has(folded, EN_AUTHORITY) || has(folded, ZH_AUTHORITY))
        && has(folded, AUTHORITY_FREEZE)
        && !has(folded, IMPOSTOR)
}

/// Whether a folded text matches an emergency rule.
pub fn urgent_rule(folded: &str) -> bool {
    // "The withdrawal fee drained my balance", "提现手续费扣了，余额少了": a
    // fee explains the loss and its withdrawal is the customer's own. The
    // fee words go, and a loss alone no longer makes an emergency unless a
    // stranger is named.
    let without_fees = blank_fees(folded);
    let fee = without_fees.is_some();
    let text = without_fees.as_deref().unwrap_or(folded);
    let t = Folded::new(text);
    // The zh phrase rules need Han characters, the en ones Latin letters.
    let han = text.chars().any(super::features::is_han);
    let latin = text.bytes().any(|b| b.is_ascii_alphabetic());
    (han && zh_urgent(&t, fee))
        || (latin && en_urgent(&t, fee))
        || families(&t)
        || hs(&t, OTHER_URGENT)
}

/// Fee words, longest first ("withdrawal fee" before "fee").
const EN_FEES: &[&str] = &[
    "withdrawal fees",
    "withdrawal fee",
    "network fees",
    "network fee",
    "gas fees",
    "gas fee",
    "trading fees",
    "trading fee",
    "transfer fees",
    "transfer fee",
    "fees",
    "fee",
    "commission",
];
const ZH_FEES: &[&str] = &[
    "提现手续费",
    "提币手续费",
    "转账手续费",
    "手续费",
    "矿工费",
    "网络费",
    "gas费",
];

/// The text with its fee words blanked, or `None` when it names no fee.
fn blank_fees(folded: &str) -> Option<String> {
    let mut out = folded.to_owned();
    let mut found = false;
    for fee in ZH_FEES {
        if out.contains(fee) {
            out = out.replace(fee, " ");
            found = true;
        }
    }
    for fee in EN_FEES {
        while let Some(at) = out.match_indices(fee).map(|(i, _)| i).find(|&i| {
            let b = out.as_bytes();
            let end = i + fee.len();
            (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && (end == b.len() || !b[end].is_ascii_alphanumeric())
        }) {
            out.replace_range(at..at + fee.len(), " ");
            found = true;
        }
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::urgent_rule;

    #[test]
    fn fires_on_emergencies() {
        for t in [
            "冻结我的账户",
            "请立即冻结账户，我手机丢了",
            "我的账号被盗了！资产全被提走了",
            "我没操作但是收到了提币成功的短信",
            "有个自称客服的人让我把币转到安全账户，我已经转了一部分",
            "我的助记词被别人拿到了",
            "please freeze my account immediately",
            "my account was hacked and there is a withdrawal i didn't make",
            "someone has my seed phrase",
            "a fake support agent told me to send usdt and i sent 500",
            "lock my acct asap",
            "someone is trading on my account, not me",
            "合约账户里突然多了很多我没开的仓位，亏光了",
            "fake support told me to move funds to a \"secure address\", i did, help",
            "there are withdrawals happening that i'm not doing",
            "new api key created that i didn't create and it's trading",
            "my sessions list shows a login from nigeria and my eth is gone",
            "pls lock acct my phone got stolen with the app logged in",
        ] {
            assert!(urgent_rule(t), "{t}");
        }
    }

    #[test]
    fn authority_freeze_is_calm() {
        use super::calm;
        assert!(calm(
            "got a letter from police about a freeze on my account"
        ));
        assert!(calm("法院冻结了我的账户"));
        assert!(!calm(
            "a fake police officer said my account will be frozen, i sent him usdt"
        ));
        assert!(!urgent_rule("the court froze my account, how do i appeal"));
        assert!(calm("how do i freeze my account while i travel"));
        assert!(!urgent_rule(
            "i didn't create an api key yet, how do i make one for trading?"
        ));
    }

    #[test]
    fn quiet_on_questions() {
        for t in [
            "账户被冻结了，怎么解冻",
            "有人私信说可以帮我解冻账户",
            "助记词怎么保存最安全",
            "怎么防止账号被盗",
            "法院冻结了我的账户",
            "how do i unfreeze my account",
            "my account is frozen, how do i unfreeze it",
            "my email got hacked, is my exchange account at risk?",
            "what's the safest way to store my seed phrase",
            "someone pretending to be your support contacted me on telegram",
            "i didn't receive my withdrawal",
            "how do i protect my account from hackers",
            "what should i do if my account gets hacked someday",
            "提币没到",
            "合约爆仓了 钱全没了",
        ] {
            assert!(!urgent_rule(t), "{t}");
        }
    }
}

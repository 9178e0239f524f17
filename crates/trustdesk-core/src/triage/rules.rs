//! High-precision emergency rules (zh and en) layered over the learned
//! urgent score: a hacked or stolen account, a withdrawal the customer did
//! not make, a fake-support scam in progress, a freeze request, a leaked seed
//! phrase or private key. Each rule is a conjunction of phrase lists so that
//! a question *about* security ("how do I unfreeze my account", "how to avoid
//! phishing") does not fire.
//!
//! The input is the normalised text (lowercase, half-width).

fn has(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
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

/// Past events asked about after the fact are not emergencies.
fn is_past(text: &str) -> bool {
    has(
        text,
        &[
            "之前",
            "以前",
            "上个月",
            "去年",
            "上周",
            "last month",
            "last year",
            "last week",
            "months ago",
            "years ago",
        ],
    )
}

fn zh_freeze_request(text: &str) -> bool {
    // A freeze ordered by a court or the police is a compliance matter.
    if has(text, &["法院", "司法", "公安", "警方", "警察"]) {
        return false;
    }
    for (i, _) in text.match_indices("冻结") {
        let before = &text[..i];
        let after = &text[i + "冻结".len()..];
        let prev = before.chars().next_back();
        if matches!(prev, Some('被' | '解' | '已' | '法')) {
            continue;
        }
        let asks = [
            "请", "帮我", "马上", "立即", "立刻", "赶紧", "赶快", "快", "尽快", "申请", "需要",
            "要求", "先",
        ]
        .iter()
        .any(|w| before.ends_with(w) || before.ends_with(&format!("{w}一下")));
        let object = ["我", "账", "帐", "号", "一下", "钱包", "它", "资金", "资产"]
            .iter()
            .any(|w| after.starts_with(w));
        if asks || object {
            return true;
        }
    }
    false
}

fn zh_urgent(t: &str) -> bool {
    if zh_freeze_request(t) {
        return true;
    }
    let account = ["账号", "账户", "帐号", "帐户", "号", "钱包"];
    let stolen = account
        .iter()
        .any(|a| t.contains(&format!("{a}被盗")) || t.contains(&format!("{a}被黑")))
        || t.contains("被人盗")
        || t.contains("盗了我的");
    let theft = has(
        t,
        &[
            "盗我",
            "盗号",
            "被盗",
            "盗了",
            "被黑",
            "黑客",
            "偷了我",
            "偷我",
            "骗走",
            "钱被偷",
            "币被偷",
            "号被偷",
            "账户被偷",
            "账号被偷",
            "资产被偷",
        ],
    );
    let prevention = has(
        t,
        &[
            "防",
            "避免",
            "会不会",
            "怎么样才",
            "如何保护",
            "小心",
            "有没有",
            "被黑过",
            "被盗过",
        ],
    );
    if (stolen || theft) && !is_past(t) && !prevention {
        return true;
    }
    let not_me = has(
        t,
        &[
            "不是我",
            "非本人",
            "我没有操作",
            "我没操作",
            "我没有提",
            "我没提",
            "本人没有操作",
            "没有操作过",
            "没操作过",
            "不知情",
            "没有授权",
            "未经授权",
            "未授权",
            "没做过",
            "不是我做的",
            "根本没",
        ],
    );
    let money_out = has(
        t,
        &[
            "提币",
            "提现",
            "转走",
            "转出",
            "提走",
            "转到",
            "提款",
            "被转",
            "下单",
            "交易",
            "提了",
            "转了",
            "陌生地址",
        ],
    );
    if not_me && money_out {
        return true;
    }
    // Credentials changed by someone else.
    let changed = has(
        t,
        &[
            "被改",
            "被修改",
            "被人改",
            "被换绑",
            "被解绑",
            "修改了",
            "改了",
        ],
    );
    let credential = has(t, &["谷歌", "验证", "密码", "手机", "邮箱", "2fa"]);
    let stranger = has(
        t,
        &[
            "不是我",
            "陌生",
            "别人",
            "有人",
            "不见",
            "被提",
            "没了",
            "不知道",
        ],
    );
    if changed && credential && stranger && !is_past(t) && !t.contains("怎么改") {
        return true;
    }
    if has(
        t,
        &[
            "在被提",
            "币在被",
            "正在提我",
            "快拦住",
            "帮我拦截",
            "拦下来",
            "拦住",
        ],
    ) {
        return true;
    }
    if has(t, &["远程", "屏幕共享", "共享屏幕", "共享桌面"])
        && has(t, &["现在", "正在", "在操作", "控制了", "在帮我"])
    {
        return true;
    }
    if has(
        t,
        &[
            "被人提走",
            "被提走",
            "被转走",
            "被人转走",
            "被盗走",
            "被人转",
            "被转出",
            "被转移",
        ],
    ) {
        return true;
    }
    let secret = has(t, &["助记词", "私钥", "密钥"]);
    let leaked = has(
        t,
        &[
            "泄露",
            "泄漏",
            "被别人",
            "被人",
            "发给了",
            "告诉了",
            "给了",
            "拿到",
            "被盗",
            "正在被",
        ],
    );
    if secret && leaked && !t.contains("会不会") {
        return true;
    }
    let fake_support = has(t, &["冒充", "自称", "假客服", "假的客服", "骗子", "假官方"]);
    let acting = has(
        t,
        &[
            "已经转",
            "转了",
            "我转",
            "远程",
            "正在",
            "告诉他",
            "告诉了",
            "给他转",
            "在操作",
            "还在",
            "刚刚",
            "刚才",
            "刚转",
            "转完",
            "转出去了",
            "给了",
        ],
    );
    if fake_support && acting {
        return true;
    }
    has(
        t,
        &[
            "正在被登录",
            "被别人登录着",
            "被别人登陆",
            "被别人登录",
            "有人在用我的",
            "踢不掉",
            "在疯狂",
        ],
    )
}

fn en_urgent(t: &str) -> bool {
    if has_word(
        t,
        &[
            "freeze my",
            "freeze the account",
            "freeze it",
            "freeze this account",
            "lock my account",
            "lock the account",
            "block my account",
            "suspend my account",
            "disable my account",
            "freeze account",
            "freeze now",
            "lock it now",
        ],
    ) {
        return true;
    }
    let hacked = has(
        t,
        &[
            "hacked",
            "compromised",
            "stole my account",
            "stolen account",
            "account stolen",
            "account is stolen",
            "account was stolen",
            "took over my account",
            "account takeover",
        ],
    );
    let not_really = has(
        t,
        &[
            "email got hacked",
            "email was hacked",
            "email hacked",
            "avoid",
            "prevent",
            "protect",
            "at risk",
            "api key",
            "what if",
            "how to know",
        ],
    );
    if hacked && !not_really && !is_past(t) {
        return true;
    }
    let theft = has(t, &["stole", "stolen", "robbed", "hacker"]);
    let assets = has(
        t,
        &[
            "account",
            "acct",
            "fund",
            "coin",
            "money",
            "crypto",
            "usdt",
            "btc",
            "eth",
            "balance",
            "wallet",
            "everything",
        ],
    );
    if theft && assets && !not_really && !is_past(t) && !t.contains("phone") {
        return true;
    }
    let not_me = has_word(
        t,
        &[
            "didn't make",
            "didnt make",
            "did not make",
            "never made",
            "didn't do it",
            "didnt do it",
            "did not do it",
            "didn't withdraw",
            "didnt withdraw",
            "did not withdraw",
            "didn't authorize",
            "didnt authorize",
            "did not authorize",
            "not authorized by me",
            "wasn't me",
            "was not me",
            "not by me",
            "unauthorized",
            "unauthorised",
            "without my permission",
            "i didn't send",
            "i didnt send",
            "don't recognize",
            "dont recognize",
            "never did",
            "without my knowledge",
            "not done by me",
        ],
    );
    let money_out = has(
        t,
        &[
            "withdraw",
            "transferred",
            "transfer",
            "sent out",
            "drain",
            "left my account",
            "trade",
            "moved",
            "sold",
            "gone",
            "sent coins",
            "unknown address",
            "from my account",
        ],
    );
    if not_me && money_out {
        return true;
    }
    let secret = has(
        t,
        &[
            "seed phrase",
            "recovery phrase",
            "mnemonic",
            "private key",
            "seed words",
            "secret phrase",
        ],
    );
    let leaked = has(
        t,
        &[
            "someone has",
            "has my",
            "leaked",
            "i gave",
            "gave my",
            "stolen",
            "stole",
            "shared my",
            "sent my",
            "exposed",
            "draining",
            "typed my",
            "entered my",
        ],
    );
    if secret && leaked {
        return true;
    }
    let fake_support = has(
        t,
        &[
            "fake support",
            "fake customer",
            "posing as",
            "pretending to be",
            "claiming to be",
            "impersonat",
            "scammer",
            "\"support\"",
            "fake agent",
            "fake admin",
            "\"admin\"",
            "admin on telegram",
            "support on telegram",
            "\"official\"",
            "says he is",
            "says she is",
            "said he was",
            "said she was",
            "says they are",
            "claims to be",
            "claimed to be",
            "from your support",
            "from your team",
            "fake",
        ],
    );
    let acting = has(
        t,
        &[
            "i sent",
            "already sent",
            "sent him",
            "sent them",
            "sent her",
            "remote access",
            "still has",
            "still have",
            "still messaging",
            "transferred",
            "gave him",
            "gave them",
            "just sent",
            "they have my",
            "right now",
            "i paid",
            "gave my",
            "i gave",
            "told him my",
            "told them my",
            "made me",
            "send him",
            "asking for more",
            "still asking",
            "scammed",
            "took my",
            "stole",
        ],
    );
    if fake_support && acting {
        return true;
    }
    let active = has(
        t,
        &[
            "is logged into my account",
            "is logged in as me",
            "logged in somewhere else",
            "kick them out",
            "is withdrawing",
            "draining my",
            "drained",
            "being drained",
            "being emptied",
            "being withdrawn",
            "being moved",
            "being transferred",
            "being sent",
        ],
    );
    if active {
        return true;
    }
    let changed = has(
        t,
        &[
            "was changed",
            "were changed",
            "changed my",
            "changed by",
            "got changed",
            "reset my",
        ],
    );
    let credential = has(
        t,
        &[
            "2fa",
            "authenticator",
            "email",
            "password",
            "phone",
            "google auth",
        ],
    );
    let stranger = has(
        t,
        &[
            "someone",
            "hacker",
            "they ",
            "not me",
            "wasn't me",
            "gone",
            "withdrawn",
            "without",
        ],
    );
    if changed && credential && stranger && !is_past(t) {
        return true;
    }
    t.contains("right now")
        && has(
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
fn other_urgent(t: &str) -> bool {
    has(
        t,
        &[
            // es / pt
            "hackear",
            "hackead",
            "congel",
            "bloqueen",
            "bloqueiem",
            "sin mi permiso",
            "sem permissão",
            "sem minha permissão",
            // fr / de / it / tr / pl
            "piraté",
            "bloquez",
            "gehackt",
            "sperren",
            "hackerato",
            "bloccate",
            "hacklendi",
            "dondurun",
            "zhakowane",
            "zablokujcie",
            // ru / uk
            "взлом",
            "заблокируйте",
            "заморозьте",
            "без моего разрешения",
            "без мого дозволу",
            // ja / ko
            "乗っ取",
            "凍結して",
            "身に覚えのない",
            "해킹",
            "동결",
            "잠가",
            "하지 않은 출금",
            // vi / th / id
            "bị hack",
            "khóa ngay",
            "ถูกแฮก",
            "ระงับบัญชี",
            "diretas",
            "bekukan",
        ],
    )
}

/// Whether a normalised text matches an emergency rule.
pub fn urgent_rule(normalized: &str) -> bool {
    zh_urgent(normalized) || en_urgent(normalized) || other_urgent(normalized)
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
        ] {
            assert!(urgent_rule(t), "{t}");
        }
    }

    #[test]
    fn quiet_on_questions() {
        for t in [
            "账户被冻结了，怎么解冻",
            "有人私信说可以帮我解冻账户",
            "助记词怎么保存最安全",
            "how do i unfreeze my account",
            "my account is frozen, how do i unfreeze it",
            "my email got hacked, is my exchange account at risk?",
            "what's the safest way to store my seed phrase",
            "someone pretending to be your support contacted me on telegram",
            "i didn't receive my withdrawal",
            "提币没到",
        ] {
            assert!(!urgent_rule(t), "{t}");
        }
    }
}

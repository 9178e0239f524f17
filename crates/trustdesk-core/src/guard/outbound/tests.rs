//! The outbound guard's behaviour: requests blocked, advice passed.

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

/// Lines of a corpus file, without comments and blank lines.
fn corpus(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

#[test]
fn real_agent_replies_are_never_blocked() {
    let blocked: Vec<_> = corpus(include_str!("corpus/agent_replies.txt"))
        .filter_map(|t| {
            let k = kinds(t);
            (!k.is_empty()).then(|| format!("{t} → {k:?}"))
        })
        .collect();
    assert!(blocked.is_empty(), "false blocks:\n{}", blocked.join("\n"));
}

#[test]
fn requests_written_around_the_keywords_are_blocked() {
    let mut missed = Vec::new();
    let mut count = 0;
    for line in corpus(include_str!("corpus/evasions.txt")) {
        let (kind, text) = line.split_once('\t').expect("kind<TAB>text");
        let kind: OutboundKind =
            serde_json::from_value(serde_json::Value::String(kind.into())).expect("a kind");
        count += 1;
        if !kinds(text).contains(&kind) {
            missed.push(format!("{text} → {:?}, wanted {kind:?}", kinds(text)));
        }
    }
    assert!(count >= 40, "the corpus was read");
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
}

#[test]
fn folding_edge_cases_give_spans_inside_the_text() {
    for t in [
        "",
        "s",
        "s e",
        "。。。",
        "\u{200b}\u{200b}",
        "助 ",
        " 记",
        "a.b.c.d.e.f",
        "ｓ　ｅ　ｅ　ｄ",
        "e\u{301}\u{301}\u{301}",
        "send me, , ,",
        "把",
        "send it",
        "ｓｅｎｄ ｍｅ ｙｏｕｒ ｓｅｅｄ",
    ] {
        for v in check_outbound(t) {
            assert!(v.start < v.end && v.end <= t.len(), "{t:?}: {v:?}");
            assert!(t.is_char_boundary(v.start) && t.is_char_boundary(v.end));
        }
    }
    assert_eq!(
        kinds("ｓｅｎｄ ｍｅ ｙｏｕｒ ｓｅｅｄ"),
        [OutboundKind::SeedPhrase]
    );
}

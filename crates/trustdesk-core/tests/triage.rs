//! Triage: held-out figures, behaviour on specific messages, robustness.

use proptest::prelude::*;
use std::sync::OnceLock;
use trustdesk_core::model::{Category, Language, Priority};
use trustdesk_core::triage::eval::{Report, evaluate};
use trustdesk_core::triage::{
    Classifier, Example, builtin_examples, classify, detect_language, parse_examples,
};

fn split() -> (Vec<Example>, Vec<Example>) {
    let (test, train): (Vec<Example>, Vec<Example>) = builtin_examples()
        .iter()
        .cloned()
        .partition(Example::is_held_out);
    (train, test)
}

/// The model trained on the training split only, scored on the held-out
/// split (computed once for all the tests of this file).
fn held_out() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let (train, test) = split();
        evaluate(&Classifier::train(&train), &test)
    })
}

#[test]
fn dataset_has_several_hundred_examples_per_language_and_every_category() {
    let all = builtin_examples();
    let count = |l: Language| all.iter().filter(|e| e.language == l).count();
    assert!(count(Language::Zh) >= 600, "zh {}", count(Language::Zh));
    assert!(count(Language::En) >= 600, "en {}", count(Language::En));
    assert!(
        count(Language::Other) >= 50,
        "other {}",
        count(Language::Other)
    );
    for l in [Language::Zh, Language::En] {
        for c in Category::ALL {
            let n = all
                .iter()
                .filter(|e| e.language == l && e.category == *c)
                .count();
            assert!(n >= 80, "{l} {c}: only {n}");
        }
    }
    // Urgent examples are all security, and labelled priority urgent.
    for e in all.iter().filter(|e| e.urgent) {
        assert_eq!(e.category, Category::Security, "{}", e.text);
        assert_eq!(e.priority, Priority::Urgent, "{}", e.text);
    }
    let (train, test) = split();
    let share = test.len() as f64 / all.len() as f64;
    assert!((0.15..=0.30).contains(&share), "held-out share {share}");
    // No held-out text appears verbatim in training.
    let train_texts: std::collections::HashSet<&str> =
        train.iter().map(|e| e.text.as_str()).collect();
    assert!(test.iter().all(|e| !train_texts.contains(e.text.as_str())));
    // Template groups never straddle the split.
    let train_groups: std::collections::HashSet<&str> =
        train.iter().map(|e| e.group.as_str()).collect();
    assert!(
        test.iter()
            .all(|e| !train_groups.contains(e.group.as_str()))
    );
}

/// Threshold: the held-out accuracy measured when this was written is 0.94
/// (zh 0.94, en 0.97; 0.92 before the last data batch; docs/triage.md). 0.85 leaves room for dataset growth
/// to move it a little while still catching a real regression: the
/// words-only naive Bayes baseline scores 0.80, and a broken feature
/// extractor or learner falls far below.
#[test]
fn held_out_category_accuracy() {
    let r = held_out();
    assert!(r.n >= 300, "held-out too small: {}", r.n);
    assert!(r.accuracy() >= 0.85, "{r}");
    assert!(r.language_accuracy(Language::Zh) >= 0.85, "{r}");
    assert!(r.language_accuracy(Language::En) >= 0.85, "{r}");
    assert!(r.macro_f1() >= 0.82, "{r}");
}

#[test]
fn held_out_urgent_recall_and_precision() {
    let r = held_out();
    assert!(
        r.urgent_tp + r.urgent_fn >= 30,
        "too few urgent examples: {r}"
    );
    assert!(r.urgent_recall() >= 0.9, "{r}");
    assert!(r.urgent_precision() >= 0.8, "{r}");
}

#[test]
fn language_detection_accuracy() {
    let all = builtin_examples();
    let ok = all
        .iter()
        .filter(|e| detect_language(&e.text) == e.language)
        .count();
    let acc = ok as f64 / all.len() as f64;
    assert!(acc >= 0.97, "language detection {acc}");
}

#[test]
fn emergencies_are_urgent_security() {
    for text in [
        "my account was hacked and there is a withdrawal I didn't make",
        "Someone got into my account and withdrew 3 ETH, it wasn't me",
        "please freeze my account right away",
        "a person who says he is from your support team made me send him 800 USDT, he is still asking for more",
        "someone has my seed phrase right now",
        "我的账号被盗了，里面的币被人提走了",
        "请帮我冻结账户，我手机被偷了",
        "有个假客服让我把USDT转到所谓的安全账户，我已经转了一笔",
        "账户里有一笔提币不是我操作的",
        "我的助记词泄露了",
        // Written after the rules were fixed and never added to the dataset.
        "紧急 我的账户有人在异地登录 还在往外提USDT",
        "我把谷歌验证码发给了冒充客服的人 现在账户里的钱没了",
        "求助！！我的帐户被别人登进去了，把我的BTC全卖了",
        "请你们立刻冻结我的账号 UID 38291",
        "有人拿到了我的助记词 正在转走我的币",
        "my account is being accessed by someone else and they withdrew funds",
        "fake support on telegram took my seed phrase and emptied my wallet",
        "there were 3 withdrawals from my account tonight and none of them were me",
        "hacker changed my email and is trying to withdraw",
        "i got phished, they have my password and 2fa, please freeze",
    ] {
        let t = classify(text);
        assert!(t.urgent, "{text}: {t:?}");
        assert_eq!(t.category, Category::Security, "{text}: {t:?}");
        assert_eq!(t.priority, Priority::Urgent, "{text}: {t:?}");
    }
}

#[test]
fn calm_questions_are_not_urgent() {
    for text in [
        "how do I set a stop loss",
        "my account is frozen, how can I unfreeze it?",
        "what is the best way to back up a seed phrase",
        "提币没到",
        "账户被冻结了怎么解冻",
        "怎么设置防钓鱼码",
        "听说有人冒充客服，怎么辨别",
        "我的提币一直没到账 都三天了 急死了",
        "what happens when I freeze my account, can I unfreeze it later",
        "how do I know if my account was hacked",
        "can support ever ask for my password",
        "withdrawal still not here after 2 days, this is urgent",
    ] {
        let t = classify(text);
        assert!(!t.urgent, "{text}: {t:?}");
        assert_ne!(t.priority, Priority::Urgent, "{text}: {t:?}");
    }
}

#[test]
fn categories_of_typical_messages() {
    let cases = [
        (
            "USDT TRC20 提币一直没到账",
            Category::Transfer,
            Language::Zh,
        ),
        ("我的USDT提币没到账", Category::Transfer, Language::Zh),
        ("充值的时候忘记填memo了", Category::Transfer, Language::Zh),
        ("how do I set a stop loss", Category::Trading, Language::En),
        ("合约爆仓了 强平价格不对", Category::Trading, Language::Zh),
        (
            "I need a tax report of my trades for last year",
            Category::Compliance,
            Language::En,
        ),
        ("怎么导出交易记录报税", Category::Compliance, Language::Zh),
        (
            "how should I back up my hardware wallet",
            Category::Storage,
            Language::En,
        ),
        ("硬件钱包的助记词怎么备份", Category::Storage, Language::Zh),
        ("my KYC was rejected, why?", Category::Account, Language::En),
        ("实名认证被拒绝了", Category::Account, Language::Zh),
        (
            "lost my google authenticator, how do I reset 2FA",
            Category::Security,
            Language::En,
        ),
        ("谷歌验证器丢了怎么办", Category::Security, Language::Zh),
        (
            "deposit sent on ERC20 to my TRC20 address",
            Category::Transfer,
            Language::En,
        ),
    ];
    for (text, category, language) in cases {
        let t = classify(text);
        assert_eq!(t.category, category, "{text}: {t:?}");
        assert_eq!(t.language, language, "{text}: {t:?}");
        assert!(t.confidence > 0.0 && t.confidence <= 1.0);
    }
}

#[test]
fn security_is_at_least_high_priority() {
    let t = classify("I lost my 2FA device");
    assert_eq!(t.category, Category::Security, "{t:?}");
    assert!(t.priority >= Priority::High, "{t:?}");
}

#[test]
fn training_is_deterministic() {
    let (train, test) = split();
    // A subset keeps this test fast in debug builds.
    let train = &train[..train.len().min(400)];
    let a = Classifier::train(train);
    let b = Classifier::train(train);
    for e in test.iter().take(100) {
        assert_eq!(a.classify(&e.text), b.classify(&e.text), "{}", e.text);
    }
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let huge = "提币没到账 withdrawal ".repeat(200_000);
    for text in [
        "",
        " ",
        "\0\0\0",
        "🙂🚀💸",
        "？？？！！！",
        "1234567890",
        "\u{202e}evil\u{200d}",
        "𠀀𠀁𠀂",
        huge.as_str(),
    ] {
        let t = classify(text);
        assert!((0.0..=1.0).contains(&t.confidence), "{t:?}");
    }
    let empty = classify("");
    assert!(!empty.urgent);
    assert_eq!(empty.language, Language::Other);
}

#[test]
fn parse_skips_malformed_lines() {
    let ex = parse_examples(
        "# comment\nok text\ttransfer\ten\tnormal\tfalse\nbad line\nx\tnope\ten\tlow\tfalse\n",
    );
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].category, Category::Transfer);
    assert_eq!(ex[0].group, "ok text");
}

#[test]
fn debug_output_stays_small() {
    let shown = format!("{:?}", Classifier::builtin());
    assert!(shown.len() < 2_000, "{} bytes", shown.len());
}

#[test]
fn an_empty_training_set_still_classifies() {
    let m = Classifier::train(&[]);
    let t = m.classify("withdrawal not received");
    assert!((0.0..=1.0).contains(&t.confidence));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_and_is_deterministic(text in any::<String>()) {
        let a = classify(&text);
        let b = classify(&text);
        prop_assert!((0.0..=1.0).contains(&a.confidence));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.urgent, a.priority == Priority::Urgent);
        if a.urgent {
            prop_assert_eq!(a.category, Category::Security);
        }
    }

    #[test]
    fn mixed_scripts_never_panic(
        text in "[a-zA-Z0-9 提币充值到账谷歌验证器冻结账户助记词！？。，\\-_/@#]{0,300}"
    ) {
        let t = classify(&text);
        prop_assert!((0.0..=1.0).contains(&t.confidence));
        prop_assert_eq!(detect_language(&text), t.language);
    }
}

#[test]
fn a_freeze_by_an_authority_is_compliance_not_an_emergency() {
    for t in [
        "got a notice from the police about a freeze on my account, what is going on",
        "法院冻结了我的账户怎么办",
        "a prosecutor put my funds on hold, who do I talk to",
    ] {
        let r = trustdesk_core::triage::classify(t);
        assert_eq!(r.category, Category::Compliance, "{t}: {r:?}");
        assert!(!r.urgent, "{t}: {r:?}");
    }
    // An impostor "police officer" is a scam in progress.
    let r = trustdesk_core::triage::classify("有人冒充警察说我账户要被冻结，让我转钱，我转了2万");
    assert!(r.urgent && r.category == Category::Security, "{r:?}");
}

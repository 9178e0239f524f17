//! Regression set: routine questions the triage once sent past the bot to
//! the security team as emergencies (a withdrawal fee, a phone-number
//! change). None of them may come out urgent.

use trustdesk_core::triage::classify;

#[test]
fn routine_questions_are_not_emergencies() {
    let flagged: Vec<String> = include_str!("triage_routine/routine.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|text| {
            let t = classify(text);
            t.urgent.then(|| {
                format!(
                    "{text} → {:?} {:?} {:.2}",
                    t.category, t.priority, t.confidence
                )
            })
        })
        .collect();
    assert!(
        flagged.is_empty(),
        "flagged urgent:\n{}",
        flagged.join("\n")
    );
}

/// Naming a fee does not hide a real emergency beside it.
#[test]
fn a_fee_beside_a_theft_stays_urgent() {
    for text in [
        "I didn't authorize this withdrawal and I was charged a fee",
        "Someone drained my account, even the withdrawal fee was paid from it",
        "我的账号被盗了，提现手续费都扣了，币全被提走了",
        "有人登录了我的账户，提走了我的币，还扣了手续费",
    ] {
        let t = classify(text);
        assert!(t.urgent, "{text}: {t:?}");
    }
}

//! Tests of [`score`]: percentages worked out by hand in the comments.

use super::*;
use crate::ids::{AgentId, ConversationId, ReviewId, ScorecardId};
use crate::time::Timestamp;
use RatingValue::*;
use proptest::prelude::*;

fn cat(key: &str, weight: u32, scale: Scale, critical: bool) -> ScoreCategory {
    ScoreCategory {
        key: key.into(),
        label: key.into(),
        weight,
        scale,
        critical,
        description: String::new(),
    }
}

fn card(categories: Vec<ScoreCategory>, threshold: u8) -> Scorecard {
    Scorecard {
        id: ScorecardId::new(),
        name: "card".into(),
        categories,
        pass_threshold_pct: threshold,
    }
}

fn r(key: &str, value: RatingValue) -> Rating {
    Rating::new(key, value)
}

/// `a`: weight `wa`, 1–5; `b`: weight `wb`, pass/fail; pass mark 80%.
fn two(wa: u32, wb: u32) -> Scorecard {
    card(
        vec![
            cat("a", wa, Scale::OneToFive, false),
            cat("b", wb, Scale::PassFail, false),
        ],
        80,
    )
}

#[test]
fn weights_change_the_percentage_as_computed_by_hand() {
    // a = 3 earns 0.5, b = pass earns 1.
    // weights 3 and 1: (3 × 0.5 + 1 × 1) / 4 = 62.5 %
    let s = score(&two(3, 1), &[r("a", Score(3)), r("b", Pass)]).unwrap();
    assert_eq!(s.percent, 62.5);
    assert!(!s.passed);
    // weights 1 and 3: (1 × 0.5 + 3 × 1) / 4 = 87.5 %
    let s = score(&two(1, 3), &[r("a", Score(3)), r("b", Pass)]).unwrap();
    assert_eq!(s.percent, 87.5);
    assert!(s.passed);
    assert!(s.critical_failed.is_empty());
    // a = 5 earns 1, b = fail 0; weights 3 and 1: 3 / 4 = 75 %
    let s = score(&two(3, 1), &[r("b", Fail), r("a", Score(5))]).unwrap();
    assert_eq!(s.percent, 75.0);
}

#[test]
fn a_one_to_five_score_maps_to_v_minus_one_quarters() {
    let c = card(vec![cat("a", 1, Scale::OneToFive, false)], 0);
    let got: Vec<f64> = (1..=5)
        .map(|v| score(&c, &[r("a", Score(v))]).unwrap().percent)
        .collect();
    assert_eq!(got, [0.0, 25.0, 50.0, 75.0, 100.0]);
}

#[test]
fn not_applicable_leaves_the_category_out_of_both_sums() {
    // Only b counts: pass → 100 %, fail → 0 %.
    let s = score(&two(3, 1), &[r("a", NotApplicable), r("b", Pass)]).unwrap();
    assert_eq!(s.percent, 100.0);
    assert!(s.passed);
    let s = score(&two(3, 1), &[r("a", NotApplicable), r("b", Fail)]).unwrap();
    assert_eq!(s.percent, 0.0);
    assert!(!s.passed);
}

#[test]
fn a_critical_fail_fails_a_95_percent_review() {
    // accuracy weight 19 rated 5, the secret rule weight 1 failed:
    // 19 / 20 = 95 %, above the 80 % mark, and still a failed review.
    let c = card(
        vec![
            cat("accuracy", 19, Scale::OneToFive, false),
            cat("never_asked_for_secret", 1, Scale::PassFail, true),
        ],
        80,
    );
    let s = score(
        &c,
        &[r("accuracy", Score(5)), r("never_asked_for_secret", Fail)],
    )
    .unwrap();
    assert_eq!(s.percent, 95.0);
    assert!(!s.passed);
    assert_eq!(s.critical_failed, ["never_asked_for_secret"]);
}

#[test]
fn a_one_on_a_critical_scale_is_a_critical_fail_and_a_two_is_not() {
    let c = card(
        vec![
            cat("x", 1, Scale::OneToFive, true),
            cat("y", 9, Scale::PassFail, true),
            cat("z", 1, Scale::PassFail, true),
        ],
        50,
    );
    let s = score(&c, &[r("x", Score(1)), r("y", Pass), r("z", Fail)]).unwrap();
    assert_eq!(s.critical_failed, ["x", "z"], "in card order");
    assert!(!s.passed);
    // (1 × 0.25 + 9 × 1 + 1 × 1) / 11 ≈ 93.2 %, no critical failure, passes
    let s = score(&c, &[r("x", Score(2)), r("y", Pass), r("z", Pass)]).unwrap();
    assert!(s.critical_failed.is_empty());
    assert!(s.passed);
    assert!((s.percent - 1025.0 / 11.0).abs() < 1e-9);
    // N/A on a critical category is not a failure
    let s = score(
        &c,
        &[r("x", NotApplicable), r("y", Pass), r("z", NotApplicable)],
    )
    .unwrap();
    assert!(s.passed && s.critical_failed.is_empty());
}

#[test]
fn exactly_at_the_threshold_passes() {
    // weights 4 pass and 1 fail: exactly 80 %
    let c = card(
        vec![
            cat("a", 4, Scale::PassFail, false),
            cat("b", 1, Scale::PassFail, false),
        ],
        80,
    );
    let s = score(&c, &[r("a", Pass), r("b", Fail)]).unwrap();
    assert_eq!(s.percent, 80.0);
    assert!(s.passed);
    // 1 / 3 of a pass mark is not representable in a float; the integer
    // comparison decides: 2 of 3 equal weights = 66.67 % ≥ 66 %, < 67 %.
    let mut c = card(
        vec![
            cat("a", 1, Scale::PassFail, false),
            cat("b", 1, Scale::PassFail, false),
            cat("c", 1, Scale::PassFail, false),
        ],
        66,
    );
    let ratings = [r("a", Pass), r("b", Pass), r("c", Fail)];
    assert!(score(&c, &ratings).unwrap().passed);
    c.pass_threshold_pct = 67;
    assert!(!score(&c, &ratings).unwrap().passed);
}

#[test]
fn the_worked_example_of_docs_qa_md() {
    // The built-in card; identity and security not applicable.
    // earned: secret 3 × 1 + accuracy 3 × 0.75 + resolution 3 × 1
    //       + kb 2 × 0.5 + tone 2 × 0.75 + timeliness 1 × 0.25 = 11
    // possible: 3 + 3 + 3 + 2 + 2 + 1 = 14 → 78.57 %, under 80 %: fails.
    let c = Scorecard::crypto_default();
    let mut ratings = vec![
        r(keys::NEVER_ASKED_FOR_SECRET, Pass),
        r(keys::IDENTITY_VERIFIED, NotApplicable),
        r(keys::SECURITY_ESCALATION, NotApplicable),
        r(keys::ACCURACY, Score(4)),
        r(keys::RESOLUTION, Score(5)),
        r(keys::KNOWLEDGE_BASE, Score(3)),
        r(keys::TONE, Score(4)),
        r(keys::TIMELINESS, Score(2)),
    ];
    let s = score(&c, &ratings).unwrap();
    assert!((s.percent - 1100.0 / 14.0).abs() < 1e-9, "{}", s.percent);
    assert!(!s.passed);
    // tone 5 instead: 11.5 / 14 = 82.14 %: passes.
    ratings[6] = r(keys::TONE, Score(5));
    let s = score(&c, &ratings).unwrap();
    assert!((s.percent - 1150.0 / 14.0).abs() < 1e-9);
    assert!(s.passed);
    // and had the agent asked for the seed phrase: 8.5 / 14 = 60.71 %,
    // a critical failure.
    ratings[0] = r(keys::NEVER_ASKED_FOR_SECRET, Fail);
    let s = score(&c, &ratings).unwrap();
    assert!((s.percent - 850.0 / 14.0).abs() < 1e-9);
    assert!(!s.passed);
    assert_eq!(s.critical_failed, [keys::NEVER_ASKED_FOR_SECRET]);
}

#[test]
fn every_rating_error_is_reported() {
    let c = two(1, 1);
    let err = |ratings: &[Rating]| score(&c, ratings).unwrap_err();
    assert_eq!(
        err(&[r("a", Score(3)), r("b", Pass), r("zz", Pass)]),
        ReviewError::UnknownKey { key: "zz".into() }
    );
    assert_eq!(
        err(&[r("a", Score(3)), r("a", Score(4)), r("b", Pass)]),
        ReviewError::DuplicateRating { key: "a".into() }
    );
    assert_eq!(
        err(&[r("a", Score(3))]),
        ReviewError::Missing { key: "b".into() }
    );
    for v in [0, 6] {
        assert_eq!(
            err(&[r("a", Score(v)), r("b", Pass)]),
            ReviewError::ScoreOutOfRange {
                key: "a".into(),
                value: v
            }
        );
    }
    assert_eq!(
        err(&[r("a", Pass), r("b", Pass)]),
        ReviewError::WrongScale {
            key: "a".into(),
            scale: Scale::OneToFive
        }
    );
    assert_eq!(
        err(&[r("a", Score(3)), r("b", Score(5))]),
        ReviewError::WrongScale {
            key: "b".into(),
            scale: Scale::PassFail
        }
    );
    assert_eq!(
        err(&[r("a", NotApplicable), r("b", NotApplicable)]),
        ReviewError::AllNotApplicable
    );
    let msg = err(&[r("a", Score(3))]).to_string();
    assert!(msg.contains("not applicable"), "{msg}");
}

#[test]
fn an_invalid_card_is_not_scored() {
    let c = two(0, 1);
    assert_eq!(
        score(&c, &[r("a", Score(3)), r("b", Pass)]),
        Err(ReviewError::InvalidScorecard(ScorecardError::ZeroWeight {
            key: "a".into()
        }))
    );
}

#[test]
fn a_review_is_scored_only_on_its_own_card() {
    let c = two(1, 1);
    let mut review = Review {
        id: ReviewId::new(),
        scorecard_id: c.id,
        conversation_id: ConversationId::new(),
        agent: AgentId::new(),
        reviewer: AgentId::new(),
        ratings: vec![r("a", Score(5)), r("b", Pass)],
        comment: Some("good".into()),
        at: Timestamp(1),
    };
    assert_eq!(review.score(&c).unwrap().percent, 100.0);
    let v = serde_json::to_value(&review).unwrap();
    assert_eq!(v["ratings"][0], serde_json::json!({"key": "a", "value": 5}));
    assert_eq!(serde_json::from_value::<Review>(v).unwrap(), review);
    review.scorecard_id = ScorecardId::new();
    assert_eq!(review.score(&c), Err(ReviewError::WrongScorecard));
}

#[test]
fn rating_json_is_a_number_or_a_word() {
    let cases = [
        (Score(4), serde_json::json!({"key": "tone", "value": 4})),
        (Pass, serde_json::json!({"key": "tone", "value": "pass"})),
        (Fail, serde_json::json!({"key": "tone", "value": "fail"})),
        (
            NotApplicable,
            serde_json::json!({"key": "tone", "value": "not_applicable"}),
        ),
    ];
    for (value, json) in cases {
        let rating = r("tone", value);
        assert_eq!(serde_json::to_value(&rating).unwrap(), json);
        assert_eq!(serde_json::from_value::<Rating>(json).unwrap(), rating);
    }
    for bad in [
        r#"0"#,
        r#"6"#,
        r#"-1"#,
        r#"4.5"#,
        r#""Pass""#,
        r#""na""#,
        "null",
    ] {
        let json = format!(r#"{{"key":"tone","value":{bad}}}"#);
        assert!(serde_json::from_str::<Rating>(&json).is_err(), "{bad}");
    }
    let e = serde_json::from_str::<Rating>(r#"{"key":"tone","value":"maybe"}"#).unwrap_err();
    assert!(e.to_string().contains("a score from 1 to 5"), "{e}");
}

#[test]
fn review_score_json_round_trips() {
    let s = ReviewScore {
        percent: 78.571_428_571_428_57,
        passed: false,
        critical_failed: vec!["identity_verified".into()],
    };
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "percent": 78.571_428_571_428_57,
            "passed": false,
            "critical_failed": ["identity_verified"],
        })
    );
    assert_eq!(serde_json::from_value::<ReviewScore>(v).unwrap(), s);
}

/// A category (weight, is 1–5, critical) and a rating choice for it.
fn arb_rated() -> impl Strategy<Value = ((u32, bool, bool), u8)> {
    ((1u32..=1000, any::<bool>(), any::<bool>()), 0u8..=5)
}

proptest! {
    #[test]
    fn percent_is_always_between_0_and_100(
        rated in prop::collection::vec(arb_rated(), 1..=MAX_CATEGORIES),
        threshold in 0u8..=100,
    ) {
        let c = card(
            rated
                .iter()
                .enumerate()
                .map(|(i, ((w, five, crit), _))| {
                    let scale = if *five { Scale::OneToFive } else { Scale::PassFail };
                    cat(&format!("k{i}"), *w, scale, *crit)
                })
                .collect(),
            threshold,
        );
        // choice 0 is N/A; otherwise a score 1–5, or pass (odd) / fail (even)
        let ratings: Vec<Rating> = rated
            .iter()
            .enumerate()
            .map(|(i, ((_, five, _), choice))| {
                let value = match (choice, five) {
                    (0, _) => NotApplicable,
                    (v, true) => Score(*v),
                    (v, false) if v % 2 == 1 => Pass,
                    _ => Fail,
                };
                r(&format!("k{i}"), value)
            })
            .collect();
        match score(&c, &ratings) {
            Ok(s) => {
                prop_assert!((0.0..=100.0).contains(&s.percent), "{}", s.percent);
                if s.passed {
                    prop_assert!(s.critical_failed.is_empty());
                    prop_assert!(s.percent >= f64::from(threshold) - 1e-9);
                }
            }
            Err(e) => prop_assert_eq!(e, ReviewError::AllNotApplicable),
        }
    }
}

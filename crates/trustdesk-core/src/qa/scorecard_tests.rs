//! Tests of [`Scorecard::validate`] and the built-in card.

use super::*;
use crate::ids::ScorecardId;

fn cat(key: &str, weight: u32, scale: Scale) -> ScoreCategory {
    ScoreCategory {
        key: key.into(),
        label: format!("Label of {key}"),
        weight,
        scale,
        critical: false,
        description: String::new(),
    }
}

fn card(categories: Vec<ScoreCategory>) -> Scorecard {
    Scorecard {
        id: ScorecardId::new(),
        name: "Test card".into(),
        categories,
        pass_threshold_pct: 80,
    }
}

fn err(c: &Scorecard) -> ScorecardError {
    c.validate().unwrap_err()
}

#[test]
fn a_plain_card_is_valid() {
    let c = card(vec![
        cat("tone", 1, Scale::OneToFive),
        cat("rule_2", 3, Scale::PassFail),
    ]);
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(c.category("rule_2").unwrap().weight, 3);
    assert!(c.category("nope").is_none());
}

#[test]
fn no_categories_is_refused() {
    assert_eq!(err(&card(vec![])), ScorecardError::NoCategories);
}

#[test]
fn more_than_thirty_categories_are_refused() {
    let many = |n: usize| {
        (0..n)
            .map(|i| cat(&format!("c{i}"), 1, Scale::PassFail))
            .collect()
    };
    assert_eq!(card(many(MAX_CATEGORIES)).validate(), Ok(()));
    assert_eq!(
        err(&card(many(MAX_CATEGORIES + 1))),
        ScorecardError::TooManyCategories { count: 31 }
    );
}

#[test]
fn duplicate_keys_are_refused_and_named() {
    let e = err(&card(vec![
        cat("tone", 1, Scale::OneToFive),
        cat("accuracy", 1, Scale::OneToFive),
        cat("tone", 2, Scale::PassFail),
    ]));
    assert_eq!(e, ScorecardError::DuplicateKey { key: "tone".into() });
    assert!(e.to_string().contains("\"tone\" is used twice"), "{e}");
}

#[test]
fn keys_must_be_lowercase_slugs() {
    for bad in [
        "", "Tone", "tone-1", "1tone", "_tone", "to ne", "语气", "tōne",
    ] {
        assert_eq!(
            err(&card(vec![cat(bad, 1, Scale::OneToFive)])),
            ScorecardError::BadKey { key: bad.into() },
            "{bad:?}"
        );
    }
    assert!(
        card(vec![cat(&"k".repeat(MAX_KEY_CHARS), 1, Scale::PassFail)])
            .validate()
            .is_ok()
    );
    assert!(matches!(
        err(&card(vec![cat(
            &"k".repeat(MAX_KEY_CHARS + 1),
            1,
            Scale::PassFail
        )])),
        ScorecardError::BadKey { .. }
    ));
    for good in ["a", "tone", "never_asked_for_secret", "kb2"] {
        assert!(card(vec![cat(good, 1, Scale::PassFail)]).validate().is_ok());
    }
}

#[test]
fn weight_zero_is_refused() {
    let e = err(&card(vec![
        cat("tone", 1, Scale::OneToFive),
        cat("accuracy", 0, Scale::OneToFive),
    ]));
    assert_eq!(
        e,
        ScorecardError::ZeroWeight {
            key: "accuracy".into()
        }
    );
    assert!(e.to_string().contains("weight 0"), "{e}");
}

#[test]
fn threshold_over_100_is_refused() {
    let mut c = card(vec![cat("tone", 1, Scale::OneToFive)]);
    c.pass_threshold_pct = 100;
    assert!(c.validate().is_ok());
    c.pass_threshold_pct = 101;
    assert_eq!(err(&c), ScorecardError::ThresholdOver100 { pct: 101 });
}

#[test]
fn labels_must_be_present_and_short_counting_characters() {
    let mut c = card(vec![cat("tone", 1, Scale::OneToFive)]);
    c.categories[0].label = "  ".into();
    assert_eq!(err(&c), ScorecardError::EmptyLabel { key: "tone".into() });
    // 80 Chinese characters are 240 bytes, and still fit.
    c.categories[0].label = "语".repeat(MAX_LABEL_CHARS);
    assert!(c.validate().is_ok());
    c.categories[0].label = "a".repeat(MAX_LABEL_CHARS + 1);
    assert_eq!(err(&c), ScorecardError::LabelTooLong { key: "tone".into() });
}

#[test]
fn name_and_description_are_checked() {
    let mut c = card(vec![cat("tone", 1, Scale::OneToFive)]);
    c.name = String::new();
    assert_eq!(err(&c), ScorecardError::EmptyName);
    c.name = "n".repeat(MAX_LABEL_CHARS + 1);
    assert_eq!(err(&c), ScorecardError::NameTooLong);
    c.name = "ok".into();
    c.categories[0].description = "d".repeat(MAX_DESCRIPTION_CHARS + 1);
    assert!(matches!(err(&c), ScorecardError::DescriptionTooLong { .. }));
}

#[test]
fn the_built_in_card_is_valid_and_has_the_critical_rules() {
    let c = Scorecard::crypto_default();
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(c.id, CRYPTO_DEFAULT_ID);
    // published in docs/qa.md
    assert_eq!(c.id.to_string(), "7d0c6a3e-5b1f-4c2a-9e8d-1f0000000001");
    assert_eq!(c.pass_threshold_pct, 80);
    assert_eq!(Scorecard::crypto_default(), c, "the same every time");
    let critical: Vec<&str> = c
        .categories
        .iter()
        .filter(|c| c.critical)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        critical,
        [
            keys::NEVER_ASKED_FOR_SECRET,
            keys::IDENTITY_VERIFIED,
            keys::SECURITY_ESCALATION
        ]
    );
    for key in [
        keys::ACCURACY,
        keys::RESOLUTION,
        keys::KNOWLEDGE_BASE,
        keys::TONE,
        keys::TIMELINESS,
    ] {
        let cat = c.category(key).expect(key);
        assert!(!cat.critical);
        assert_eq!(cat.scale, Scale::OneToFive);
    }
    for cat in &c.categories {
        assert!(cat.label.is_ascii() && !cat.description.is_empty());
    }
    let secret = c.category(keys::NEVER_ASKED_FOR_SECRET).unwrap();
    assert_eq!(secret.scale, Scale::PassFail);
    for word in ["seed phrase", "private key", "password", "2FA"] {
        assert!(secret.description.contains(word), "{word}");
    }
}

#[test]
fn a_card_round_trips_through_json_with_snake_case_scales() {
    let c = Scorecard::crypto_default();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["pass_threshold_pct"], 80);
    assert_eq!(v["categories"][0]["key"], "never_asked_for_secret");
    assert_eq!(v["categories"][0]["scale"], "pass_fail");
    assert_eq!(v["categories"][0]["critical"], true);
    assert_eq!(v["categories"][3]["scale"], "one_to_five");
    assert_eq!(serde_json::from_value::<Scorecard>(v).unwrap(), c);
    // critical and description may be left out
    let minimal: ScoreCategory =
        serde_json::from_str(r#"{"key":"tone","label":"Tone","weight":2,"scale":"one_to_five"}"#)
            .unwrap();
    assert!(!minimal.critical);
    assert_eq!(minimal.description, "");
}

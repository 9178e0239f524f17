//! Held-out evaluation of the triage classifier.
//!
//! `cargo run --release -p trustdesk-core --example triage_eval`
//! (add `-- --compare` to also train and score the alternatives of
//! docs/triage.md, `-- --errors` to list the held-out mistakes).

use std::time::Instant;
use trustdesk_core::model::Language;
use trustdesk_core::triage::eval::evaluate;
use trustdesk_core::triage::{
    Classifier, Config, Example, FeatureSet, Learner, builtin_examples, detect_language,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let all = builtin_examples();
    let (test, train): (Vec<Example>, Vec<Example>) =
        all.iter().cloned().partition(Example::is_held_out);
    let count = |set: &[Example], l: Language| set.iter().filter(|e| e.language == l).count();
    println!(
        "dataset {} examples; train {} (zh {} en {} other {}), held-out {} (zh {} en {} other {})",
        all.len(),
        train.len(),
        count(&train, Language::Zh),
        count(&train, Language::En),
        count(&train, Language::Other),
        test.len(),
        count(&test, Language::Zh),
        count(&test, Language::En),
        count(&test, Language::Other),
    );

    if args.iter().any(|a| a == "--sweep") {
        sweep(&train);
        return;
    }
    let mut configs = vec![(
        "logistic regression, words + char n-grams (shipped)",
        Config::default(),
    )];
    if args.iter().any(|a| a == "--compare") {
        let lr = Config::default();
        configs.push((
            "logistic regression, words only",
            Config {
                features: FeatureSet::WORDS_ONLY,
                ..lr
            },
        ));
        configs.push((
            "naive Bayes, words + char n-grams",
            Config {
                learner: Learner::NaiveBayes,
                ..lr
            },
        ));
        configs.push((
            "naive Bayes, words only",
            Config {
                learner: Learner::NaiveBayes,
                features: FeatureSet::WORDS_ONLY,
                ..lr
            },
        ));
        configs.push((
            "logistic regression without the urgent rules",
            Config { rules: false, ..lr },
        ));
        configs.push((
            "logistic regression, 2^16 hash space",
            Config { bits: 16, ..lr },
        ));
        for (cjk_max, latin_min, latin_max) in [(2, 2, 5), (3, 2, 5), (3, 3, 5), (4, 3, 6)] {
            configs.push((
                Box::leak(
                    format!(
                        "logistic regression, CJK 1..={cjk_max}, Latin {latin_min}..={latin_max}"
                    )
                    .into_boxed_str(),
                ),
                Config {
                    features: FeatureSet {
                        cjk_max,
                        latin_min,
                        latin_max,
                        ..FeatureSet::FULL
                    },
                    ..lr
                },
            ));
        }
    }
    for (name, config) in configs {
        let t0 = Instant::now();
        let model = Classifier::train_with(&train, config);
        let took = t0.elapsed();
        println!(
            "\n== {name}  (trained in {:.0} ms)",
            took.as_secs_f64() * 1e3
        );
        println!("{}", evaluate(&model, &test));
        if args.iter().any(|a| a == "--errors") {
            for e in &test {
                let t = model.classify(&e.text);
                if t.category != e.category || t.urgent != e.urgent {
                    println!(
                        "  MISS {:?}: truth {}/{} got {}/{} ({:.2})",
                        e.text, e.category, e.urgent, t.category, t.urgent, t.confidence
                    );
                }
            }
        }
    }
    let lang_ok = all
        .iter()
        .filter(|e| detect_language(&e.text) == e.language)
        .count();
    println!(
        "\nlanguage detection on the whole dataset: {:.3} ({lang_ok}/{})",
        lang_ok as f64 / all.len() as f64,
        all.len()
    );
    for e in all
        .iter()
        .filter(|e| detect_language(&e.text) != e.language)
    {
        println!(
            "  LANG {:?}: truth {} got {}",
            e.text,
            e.language,
            detect_language(&e.text)
        );
    }
}

/// 5-fold cross-validation on the training split only (the held-out split
/// is never looked at while choosing hyper-parameters).
fn sweep(train: &[Example]) {
    let mut candidates: Vec<(String, Config)> = Vec::new();
    for (cjk_max, latin_min, latin_max) in [
        (1, 2, 5),
        (2, 2, 5),
        (2, 3, 6),
        (3, 2, 5),
        (4, 2, 5),
        (3, 3, 6),
        (4, 3, 6),
    ] {
        let features = FeatureSet {
            cjk_max,
            latin_min,
            latin_max,
            ..FeatureSet::FULL
        };
        candidates.push((
            format!("CJK 1..={cjk_max} Latin {latin_min}..={latin_max}"),
            Config {
                features,
                ..Config::default()
            },
        ));
    }
    for balanced in [false, true] {
        for (latin_min, latin_max) in [(2, 5), (3, 6)] {
            let features = FeatureSet {
                cjk_max: 2,
                latin_min,
                latin_max,
                ..FeatureSet::FULL
            };
            candidates.push((
                format!("balanced {balanced} Latin {latin_min}..={latin_max}"),
                Config {
                    features,
                    balanced,
                    ..Config::default()
                },
            ));
        }
    }
    for epochs in [8usize, 12, 20] {
        candidates.push((
            format!("epochs {epochs}"),
            Config {
                epochs,
                ..Config::default()
            },
        ));
    }
    candidates.push((
        "words only".to_owned(),
        Config {
            features: FeatureSet::WORDS_ONLY,
            ..Config::default()
        },
    ));
    for lr in [0.5f32, 1.0, 2.0] {
        for l2 in [1e-4f32, 1e-3] {
            candidates.push((
                format!("lr {lr} l2 {l2}"),
                Config {
                    lr,
                    l2,
                    ..Config::default()
                },
            ));
        }
    }
    for urgent_threshold in [0.2f32, 0.3, 0.5, 0.7, 0.8, 0.9] {
        candidates.push((
            format!("urgent threshold {urgent_threshold}"),
            Config {
                urgent_threshold,
                ..Config::default()
            },
        ));
        candidates.push((
            format!("urgent threshold {urgent_threshold}, no rules"),
            Config {
                urgent_threshold,
                rules: false,
                ..Config::default()
            },
        ));
    }
    if std::env::args().any(|a| a == "--errors") {
        for fold in 0..5 {
            let (va, tr): (Vec<Example>, Vec<Example>) =
                train.iter().cloned().partition(|e| e.fold() == fold);
            let m = Classifier::train(&tr);
            for e in &va {
                let t = m.classify(&e.text);
                if t.urgent != e.urgent {
                    println!(
                        "  CV URGENT MISS {:?}: truth {} got {}",
                        e.text, e.urgent, t.urgent
                    );
                }
            }
        }
        return;
    }
    for (name, config) in candidates {
        let (mut n, mut ok, mut utp, mut ufp, mut ufn) = (0, 0, 0, 0, 0);
        let mut lang = [(0usize, 0usize); 3];
        for fold in 0..5 {
            let (va, tr): (Vec<Example>, Vec<Example>) =
                train.iter().cloned().partition(|e| e.fold() == fold);
            let r = evaluate(&Classifier::train_with(&tr, config), &va);
            n += r.n;
            ok += r.correct;
            utp += r.urgent_tp;
            ufp += r.urgent_fp;
            ufn += r.urgent_fn;
            for (acc, l) in lang.iter_mut().zip(r.per_language) {
                acc.0 += l.0;
                acc.1 += l.1;
            }
        }
        let la = |i: usize| lang[i].1 as f64 / lang[i].0.max(1) as f64;
        println!(
            "{name:<28} cv accuracy {:.3} (zh {:.3} en {:.3} other {:.3}) urgent P {:.3} R {:.3}",
            ok as f64 / n as f64,
            la(0),
            la(1),
            la(2),
            utp as f64 / (utp + ufp).max(1) as f64,
            utp as f64 / (utp + ufn).max(1) as f64
        );
    }
}

//! Triage throughput on ~100-character messages, single thread.
//!
//! `cargo run --release -p trustdesk-core --example triage_throughput`

use std::hint::black_box;
use std::time::Instant;
use trustdesk_core::triage::{Classifier, Config, builtin_examples, classify};

fn main() {
    let t0 = Instant::now();
    let model = Classifier::builtin();
    println!(
        "built-in model trained on {} examples in {:.0} ms",
        builtin_examples().len(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    // ~100-character texts made from dataset sentences, zh and en.
    let texts: Vec<String> = builtin_examples()
        .iter()
        .map(|e| {
            let mut s = e.text.clone();
            while s.chars().count() < 100 {
                s.push(' ');
                s.push_str(&e.text);
            }
            s.chars().take(100).collect()
        })
        .collect();
    let mut n = 0usize;
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < 2.0 {
        for t in &texts {
            black_box(model.classify(black_box(t)));
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} classifications of 100-char texts in {secs:.2} s: {:.0}/s, {:.1} µs each",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
    black_box(classify("warm"));

    // The same without the emergency rule layer, to show its share.
    let bare = Classifier::train_with(
        builtin_examples(),
        Config {
            rules: false,
            ..Config::default()
        },
    );
    let mut n = 0usize;
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < 1.0 {
        for t in &texts {
            black_box(bare.classify(black_box(t)));
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("without the rule layer: {:.0}/s", n as f64 / secs);
}

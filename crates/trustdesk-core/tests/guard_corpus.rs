//! Runs the guard over the corpus in `tests/guard_corpus/`: every line is
//! `{"text": .., "expect": [{"kind": .., "action": ..}], "secret": [..]?}`.
//! The findings' (kind, action) pairs must equal `expect` (in order), and no
//! string listed in `secret` may survive in the redacted text.

use serde::Deserialize;
use trustdesk_core::guard::{GuardAction, SecretKind, guard};

#[derive(Deserialize)]
struct Expect {
    kind: SecretKind,
    action: GuardAction,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    expect: Vec<Expect>,
    #[serde(default)]
    secret: Vec<String>,
}

fn run(name: &str, data: &str) -> usize {
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
        n += 1;
        if name.starts_with("negatives") {
            assert!(
                case.expect.is_empty(),
                "{name}:{}: negatives expect nothing",
                i + 1
            );
        }
        let r = guard(&case.text);
        let got: Vec<(SecretKind, GuardAction)> =
            r.findings.iter().map(|f| (f.kind, f.action)).collect();
        let want: Vec<(SecretKind, GuardAction)> =
            case.expect.iter().map(|e| (e.kind, e.action)).collect();
        if got != want {
            failures.push(format!(
                "{name}:{}: {:?}\n  want {want:?}\n  got  {got:?}\n  redacted {:?}",
                i + 1,
                case.text,
                r.redacted
            ));
        }
        for s in &case.secret {
            if r.redacted.contains(s.as_str()) {
                failures.push(format!("{name}:{}: secret {s:?} survived", i + 1));
            }
        }
        // Warn-only lines keep their text unchanged.
        if !r.has_redactions() {
            assert_eq!(r.redacted, case.text);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    n
}

#[test]
fn positives() {
    let n = run(
        "positives.jsonl",
        include_str!("guard_corpus/positives.jsonl"),
    );
    assert!(n >= 40, "corpus shrank: {n}");
}

#[test]
fn negatives() {
    let n = run(
        "negatives.jsonl",
        include_str!("guard_corpus/negatives.jsonl"),
    );
    assert!(n >= 40, "corpus shrank: {n}");
}

//! Classify messages from stdin, one per line, printing one JSON object per
//! line (what `trustdesk classify` does in the server crate).
//!
//! `echo "提币没到" | cargo run --release -p trustdesk-core --example triage_classify`
//!
//! With `--score`, each line is `text<TAB>category<TAB>urgent` and the tool
//! prints the mistakes and the category accuracy / urgent recall instead:
//! a quick way to check the model on a fresh set of messages.

use std::io::{BufRead, Write};
use trustdesk_core::triage::classify;

fn main() {
    let score = std::env::args().any(|a| a == "--score");
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut n, mut ok, mut urgent, mut urgent_hit, mut false_alarm) = (0, 0, 0, 0, 0);
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if !score {
            let t = classify(&line);
            let json = serde_json::to_string(&t).unwrap_or_else(|_| "{}".to_owned());
            if writeln!(out, "{json}").is_err() {
                return;
            }
            continue;
        }
        let mut f = line.split('\t');
        let (Some(text), Some(category), Some(want_urgent)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let want_urgent = want_urgent == "true";
        let t = classify(text);
        n += 1;
        if t.category.as_str() == category {
            ok += 1;
        } else {
            let _ = writeln!(
                out,
                "CATEGORY {text:?}: want {category}, got {} ({:.2})",
                t.category, t.confidence
            );
        }
        if want_urgent {
            urgent += 1;
            if t.urgent {
                urgent_hit += 1;
            } else {
                let _ = writeln!(out, "URGENT MISSED {text:?}");
            }
        } else if t.urgent {
            false_alarm += 1;
            let _ = writeln!(out, "FALSE ALARM {text:?}");
        }
    }
    if score {
        let _ = writeln!(
            out,
            "category {ok}/{n}, urgent recall {urgent_hit}/{urgent}, false alarms {false_alarm}"
        );
    }
}

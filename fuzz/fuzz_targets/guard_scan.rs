//! Fuzzes the secret guard: any UTF-8 input must scan without panicking, the
//! findings must be sorted, disjoint, in bounds and on char boundaries, and
//! the redacted text must be exactly the input with each `Redact` span
//! replaced by its marker. The outbound guard and crypto recogniser get the
//! same input for the no-panic property.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustdesk_core::guard::{GuardAction, check_outbound, guard};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let r = guard(text);
    let mut prev = 0;
    let mut rebuilt = String::new();
    for f in &r.findings {
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        assert!(f.start >= prev, "unsorted or overlapping: {:?}", r.findings);
        if f.action == GuardAction::Redact {
            rebuilt.push_str(&text[prev..f.start]);
            rebuilt.push_str(&f.kind.marker());
        } else {
            rebuilt.push_str(&text[prev..f.end]);
        }
        prev = f.end;
    }
    rebuilt.push_str(&text[prev..]);
    assert_eq!(rebuilt, r.redacted);
    // Scanning is deterministic and stable on its own output's markers.
    assert_eq!(guard(text), r);
    let _ = check_outbound(text);
    let _ = trustdesk_core::crypto::recognise(text);
});

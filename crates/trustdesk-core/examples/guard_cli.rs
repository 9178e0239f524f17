//! One text per line on stdin, one JSON object per line on stdout with
//! `findings` and `redacted` — the same contract as `trustdesk guard scan`,
//! handy to try the guard without the server:
//!
//! ```sh
//! echo "my 2fa code is 123456" | cargo run -q -p trustdesk-core --example guard_cli
//! ```

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let r = trustdesk_core::guard::guard(&line?);
        serde_json::to_writer(&mut out, &r)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

//! trustdesk-bench: the load tool. Its scenarios land with issue 8.
fn main() {
    eprintln!("trustdesk-bench: no scenarios yet (see BENCHMARKS.md)");
    std::process::exit(2);
}

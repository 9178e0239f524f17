use trustdesk_core::triage::classify;
fn main() {
    let data = std::fs::read_to_string("/tmp/triage_probe/probe4.tsv").unwrap();
    let (mut n, mut ok, mut ufn, mut ufp) = (0, 0, 0, 0);
    for l in data.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        let t = classify(f[0]);
        n += 1;
        let good = t.category.as_str() == f[1];
        if good {
            ok += 1
        } else {
            println!(
                "MISS {} -> {} ({:.2}) want {}",
                f[0], t.category, t.confidence, f[1]
            );
        }
        let u = f[2] == "true";
        if u && !t.urgent {
            ufn += 1;
            println!("URGENT FN {}", f[0]);
        }
        if !u && t.urgent {
            ufp += 1;
            println!("URGENT FP {}", f[0]);
        }
    }
    println!("{ok}/{n} urgent fn {ufn} fp {ufp}");
}

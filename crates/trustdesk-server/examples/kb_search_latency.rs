//! Knowledge-base search latency over the starter KB plus generated
//! articles (default: 10,000 in all), with the project's question set.
//!
//!     cargo run --release -p trustdesk-server --example kb_search_latency -- [ARTICLES] [ROUNDS]
//!
//! Prints one JSON line: articles, queries, p50/p90/p99/max in ms and q/s
//! on one thread. (Relevance, hit@3, is measured on the real starter KB by
//! the test suite: the generated filler here is stitched from the same
//! articles and would crowd out the originals.)

use std::time::Instant;
use trustdesk_core::kb::{Article, ArticleDraft};
use trustdesk_core::{ArticleId, Language, Timestamp};
use trustdesk_server::kb::KbIndex;
use trustdesk_server::kb::import::STARTER;

fn starter() -> Vec<Article> {
    let mut out = Vec::new();
    let mut stack = vec![&STARTER];
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            if let Ok(d) = ArticleDraft::parse(file.contents_utf8().unwrap_or_default()) {
                out.push(article(d));
            }
        }
    }
    out
}

fn article(d: ArticleDraft) -> Article {
    Article {
        id: ArticleId::new(),
        slug: d.slug,
        locale: d.locale,
        category: d.category,
        title: d.title,
        body: d.body,
        tags: d.tags,
        published: true,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    }
}

/// Deterministic filler: articles stitched from lines of the starter
/// articles of the same locale, so term statistics stay realistic.
fn generated(base: &[Article], n: usize) -> Vec<Article> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|i| {
            let a = &base[(next() as usize) % base.len()];
            let b = &base[(next() as usize) % base.len()];
            let lines: Vec<&str> = a
                .body
                .lines()
                .chain(b.body.lines())
                .filter(|l| !l.trim().is_empty())
                .collect();
            let body: Vec<&str> = (0..12)
                .map(|_| lines[(next() as usize) % lines.len()])
                .collect();
            Article {
                id: ArticleId::new(),
                slug: format!("generated-{i}"),
                title: format!("{} ({i})", a.title),
                body: body.join("\n"),
                ..a.clone()
            }
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let base = starter();
    let mut articles = base.clone();
    articles.extend(generated(&base, total.saturating_sub(base.len())));
    let index = KbIndex::new().expect("index");
    let t = Instant::now();
    index.rebuild(&articles).expect("rebuild");
    let index_ms = t.elapsed().as_secs_f64() * 1000.0;

    let questions: Vec<(Language, &str)> = include_str!("../../../kb/questions.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut p = l.splitn(3, '\t');
            let locale = p.next().unwrap().parse().unwrap();
            let _expected = p.next();
            (locale, p.next().unwrap())
        })
        .collect();
    let mut lat = Vec::with_capacity(questions.len() * rounds);
    let start = Instant::now();
    for _ in 0..rounds {
        for (locale, q) in &questions {
            let t = Instant::now();
            let res = index.search(q, Some(*locale), 5).expect("search");
            std::hint::black_box(res);
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{{\"scenario\":\"kb-search-inproc\",\"articles\":{},\"index_ms\":{:.0},\"queries\":{},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"qps_one_thread\":{:.0}}}",
        articles.len(),
        index_ms,
        lat.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lat.last().copied().unwrap_or(0.0),
        lat.len() as f64 / elapsed,
    );
}

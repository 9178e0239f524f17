//! Knowledge-base search under load.
//!
//! `kb-gen` writes a generated knowledge base (markdown with front matter,
//! half Chinese, half English, crypto-support vocabulary) for
//! `trustdesk kb import DIR`; `kb-search` then sends open-loop search
//! queries at a fixed rate (arrivals scheduled by the clock, never waiting
//! for answers) and measures each from its intended send time.

use crate::net::{self, Endpoint};
use crate::sys;
use anyhow::{Context, Result};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*), so the same seed gives
/// the same knowledge base and the same queries on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const COINS: &[&str] = &[
    "USDT", "BTC", "ETH", "TRX", "SOL", "USDC", "BNB", "XRP", "DOGE", "TON",
];
const NETWORKS: &[&str] = &[
    "TRC20",
    "ERC20",
    "BEP20",
    "Solana",
    "Arbitrum",
    "Polygon",
    "Bitcoin",
    "Lightning",
];
const CATEGORIES: &[&str] = &[
    "account",
    "trading",
    "transfer",
    "security",
    "storage",
    "compliance",
];

const EN_TOPICS: &[&str] = &[
    "withdrawal pending",
    "deposit not credited",
    "wrong network deposit",
    "missing memo tag",
    "2FA reset",
    "lost authenticator",
    "account frozen",
    "KYC review",
    "API key permissions",
    "futures liquidation",
    "stop-loss order",
    "funding rate",
    "spot trading fees",
    "P2P dispute",
    "address whitelist",
    "phishing email",
    "fake support agent",
    "seed phrase backup",
    "hardware wallet",
    "tax report export",
    "travel rule",
    "withdrawal limit",
    "sub-account transfer",
    "margin call",
    "staking rewards",
    "convert dust",
    "login from new device",
    "password reset",
];
const EN_WORDS: &[&str] = &[
    "please",
    "check",
    "the",
    "transaction",
    "hash",
    "confirmations",
    "network",
    "address",
    "your",
    "account",
    "security",
    "verify",
    "official",
    "support",
    "never",
    "asks",
    "for",
    "code",
    "wallet",
    "balance",
    "order",
    "limit",
    "fee",
    "time",
    "review",
    "usually",
    "within",
    "minutes",
    "hours",
    "blockchain",
    "explorer",
    "status",
    "completed",
    "failed",
    "contact",
    "settings",
    "enable",
    "disable",
    "device",
    "email",
    "phone",
    "identity",
    "document",
];
const ZH_TOPICS: &[&str] = &[
    "提币未到账",
    "充值未到账",
    "充错网络",
    "漏填标签",
    "谷歌验证器重置",
    "账户被冻结",
    "实名认证审核",
    "API 权限",
    "合约爆仓",
    "止损单",
    "资金费率",
    "现货手续费",
    "C2C 申诉",
    "提币地址白名单",
    "钓鱼邮件",
    "冒充客服",
    "助记词备份",
    "硬件钱包",
    "税务报表导出",
    "提币限额",
    "子账户划转",
    "追加保证金",
    "质押收益",
    "小额资产兑换",
    "新设备登录",
    "重置密码",
];
const ZH_WORDS: &[&str] = &[
    "请",
    "核对",
    "交易哈希",
    "区块确认",
    "网络",
    "地址",
    "您的",
    "账户",
    "安全",
    "验证",
    "官方",
    "客服",
    "绝不会",
    "索要",
    "验证码",
    "钱包",
    "余额",
    "订单",
    "限额",
    "手续费",
    "时间",
    "审核",
    "通常",
    "分钟",
    "小时",
    "区块链浏览器",
    "状态",
    "已完成",
    "失败",
    "联系",
    "设置",
    "开启",
    "关闭",
    "设备",
    "邮箱",
    "手机",
    "身份",
    "证件",
    "到账",
    "链上",
    "提币",
    "充值",
];

/// Writes `count` articles under `dir/{en,zh}/`.
pub fn generate(dir: &Path, count: usize, seed: u64) -> Result<()> {
    let mut rng = Rng(seed.max(1));
    for locale in ["en", "zh"] {
        std::fs::create_dir_all(dir.join(locale))
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    for i in 0..count {
        let zh = i % 2 == 1;
        let (topics, words, locale) = if zh {
            (ZH_TOPICS, ZH_WORDS, "zh")
        } else {
            (EN_TOPICS, EN_WORDS, "en")
        };
        let coin = rng.pick(COINS);
        let network = rng.pick(NETWORKS);
        let topic = rng.pick(topics);
        let category = rng.pick(CATEGORIES);
        let title = if zh {
            format!("{coin} {topic}（{network}）第 {i} 篇")
        } else {
            format!("{coin} {topic} on {network}, part {i}")
        };
        let sep = if zh { "" } else { " " };
        let mut body = String::new();
        for _ in 0..12 {
            let sentence: Vec<&str> = (0..12).map(|_| rng.pick(words)).collect();
            body.push_str(&sentence.join(sep));
            body.push_str(if zh { "。" } else { ". " });
            if rng.next().is_multiple_of(3) {
                body.push_str(&format!("{coin} {network} {topic}{sep}"));
            }
        }
        let text = format!(
            "---\ntitle: {title}\nslug: gen-{i}\ncategory: {category}\nlocale: {locale}\ntags: [{coin}, {network}]\npublished: true\n---\n{body}\n"
        );
        std::fs::write(dir.join(locale).join(format!("gen-{i}.md")), text)?;
    }
    Ok(())
}

/// Queries like a customer's: a coin, a topic, sometimes a network.
fn queries(seed: u64, n: usize) -> Vec<(String, &'static str)> {
    let mut rng = Rng(seed.max(1) ^ 0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let zh = i % 2 == 1;
            let topic = rng.pick(if zh { ZH_TOPICS } else { EN_TOPICS });
            let coin = rng.pick(COINS);
            let q = if rng.next().is_multiple_of(2) {
                format!("{coin} {topic} {}", rng.pick(NETWORKS))
            } else {
                format!("{topic} {coin}")
            };
            (q, if zh { "zh" } else { "en" })
        })
        .collect()
}

pub struct Options {
    pub rate: f64,
    pub duration: Duration,
    pub pid: u32,
    pub seed: u64,
}

pub async fn run(endpoint: &Endpoint, o: &Options) -> Result<()> {
    let http = net::http_client()?;
    let queries = Arc::new(queries(o.seed, 1000));
    // Warm the connection pool and check the index is there.
    let probe: serde_json::Value = http
        .get(endpoint.url("/v1/kb/search"))
        .query(&[("q", queries[0].0.as_str()), ("locale", queries[0].1)])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let hits = probe["hits"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        hits > 0,
        "the first query found nothing: import a generated KB first (trustdesk-bench kb-gen, trustdesk kb import)"
    );

    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let errors = Arc::new(AtomicU64::new(0));
    let empty = Arc::new(AtomicU64::new(0));
    let interval = Duration::from_secs_f64(1.0 / o.rate);
    let cpu0 = sys::cpu_us(o.pid)?;
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + o.duration;
    let mut lateness = Vec::new();
    let mut sent = 0u64;
    let mut k = 0u32;
    loop {
        let intended = start + interval * k;
        if intended >= end {
            break;
        }
        tokio::time::sleep_until(intended.into()).await;
        lateness.push(intended.elapsed().as_micros() as u64);
        let (http, endpoint, queries) = (http.clone(), endpoint.clone(), queries.clone());
        let (errors, empty, done) = (errors.clone(), empty.clone(), done_tx.clone());
        let index = k as usize % queries.len();
        tokio::spawn(async move {
            let (q, locale) = &queries[index];
            let result = async {
                let res: serde_json::Value = http
                    .get(endpoint.url("/v1/kb/search"))
                    .query(&[("q", q.as_str()), ("locale", locale), ("limit", "5")])
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                anyhow::Ok(res["hits"].as_array().map_or(0, Vec::len))
            }
            .await;
            match result {
                Ok(n) => {
                    if n == 0 {
                        empty.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = done.send(intended.elapsed().as_micros() as u64);
                }
                Err(e) => {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("search failed: {e:#}");
                    }
                }
            }
        });
        sent += 1;
        k += 1;
    }
    drop(done_tx);
    let mut latencies = Vec::with_capacity(sent as usize);
    let drain_until = Instant::now() + Duration::from_secs(10);
    while let Ok(Some(l)) = tokio::time::timeout_at(drain_until.into(), done_rx.recv()).await {
        latencies.push(l);
    }
    let finished = Instant::now();
    let cpu1 = sys::cpu_us(o.pid)?;
    let latency = sys::latency_fields(&mut latencies);
    lateness.sort_unstable();
    let span = finished
        .duration_since(start)
        .as_secs_f64()
        .max(o.duration.as_secs_f64());
    let answered = latencies.len() as u64;
    println!(
        "{}",
        sys::with_fields(
            json!({
                "scenario": "kb-search",
                "offered_q_s": o.rate,
                "duration_s": o.duration.as_secs_f64(),
                "sent": sent,
                "answered": answered,
                "achieved_q_s": (answered as f64 / span * 10.0).round() / 10.0,
                "errors": errors.load(Ordering::Relaxed) + sent.saturating_sub(answered),
                "queries_without_hits": empty.load(Ordering::Relaxed),
                "server_cpu_us_per_query": if answered > 0 { ((cpu1 - cpu0) as f64 / answered as f64).round() } else { 0.0 },
                "bench_lateness_p99_ms": sys::ms(sys::percentile(&lateness, 99.0)),
            }),
            latency
        )
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_parses_as_front_matter() {
        let a = tempdir("a");
        let b = tempdir("b");
        generate(&a, 20, 7).unwrap();
        generate(&b, 20, 7).unwrap();
        let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        assert_eq!(read(&a, "en/gen-0.md"), read(&b, "en/gen-0.md"));
        assert_eq!(read(&a, "zh/gen-1.md"), read(&b, "zh/gen-1.md"));
        for entry in std::fs::read_dir(a.join("zh")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let draft = trustdesk_core::kb::ArticleDraft::parse(&text).unwrap();
            assert_eq!(draft.locale, trustdesk_core::Language::Zh);
            assert!(draft.published);
        }
        assert_eq!(std::fs::read_dir(a.join("en")).unwrap().count(), 10);
        assert_ne!(queries(1, 10), queries(2, 10));
        let _ = std::fs::remove_dir_all(a);
        let _ = std::fs::remove_dir_all(b);
    }

    fn tempdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("trustdesk-kbgen-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}

//! Crypto context for agents: recognise transaction hashes and addresses in a
//! message, validate them, and say which chain they most likely belong to.
//!
//! Everything here is pure and linear in the input: the text is cut once into
//! maximal ASCII-alphanumeric tokens and each token is looked at once.
//!
//! * BTC: base58check P2PKH/P2SH (main and test net) and bech32/bech32m segwit
//!   (v0 with bech32, v1+ with bech32m, enforced by the `bech32` crate).
//! * EVM: `0x` + 40 hex. Mixed case must satisfy EIP-55 (Keccak-256 of the
//!   lower-case hex); all-lower or all-upper is valid but `checksummed: None`.
//! * TRON: base58check, version byte 0x41, starts with `T`, 34 characters.
//! * Transaction hashes: `0x` + 64 hex (EVM) or bare 64 hex (BTC or TRON txid).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// What a recognised reference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Address,
    TxHash,
}

/// A chain family. EVM covers Ethereum (ERC-20), BNB Smart Chain (BEP-20),
/// Polygon, Arbitrum, …: their addresses and tx hashes look identical, so the
/// text alone cannot tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Bitcoin,
    BitcoinTestnet,
    Evm,
    Tron,
}

impl Network {
    /// Maps the labels customers and exchanges use ("ERC20", "TRC-20", "BEP20",
    /// "BTC", "Ethereum", …) to a network. Case and `-`/space insensitive.
    pub fn from_label(label: &str) -> Option<Network> {
        let norm: String = label
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        match norm.as_str() {
            "btc" | "bitcoin" | "segwit" | "bech32" => Some(Network::Bitcoin),
            "tbtc" | "testnet" | "bitcointestnet" => Some(Network::BitcoinTestnet),
            "eth" | "ethereum" | "erc20" | "evm" | "bep20" | "bsc" | "bnb" | "polygon"
            | "matic" | "arbitrum" | "optimism" | "base" => Some(Network::Evm),
            "trx" | "tron" | "trc20" => Some(Network::Tron),
            _ => None,
        }
    }
}

/// A transaction hash or address found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoRef {
    pub kind: RefKind,
    /// Likely networks, most likely first. Never empty.
    pub networks: Vec<Network>,
    /// Checksum (where the format has one) and structure verified.
    pub valid: bool,
    /// EVM addresses only: `Some(true)` mixed case that verifies under EIP-55,
    /// `Some(false)` mixed case that does not (then `valid` is false), `None`
    /// when all-lower/all-upper (no checksum to verify) or not an EVM address.
    pub checksummed: Option<bool>,
    /// Byte span of the reference in the input.
    pub start: usize,
    pub end: usize,
}

impl CryptoRef {
    /// The most likely network.
    pub fn network(&self) -> Network {
        self.networks[0]
    }
}

/// True when `addr` is an address that cannot belong to `expected` (e.g. a
/// TRON address given for an ERC-20 withdrawal). Tx hashes are never a
/// mismatch here: the text alone does not pin them to one chain.
pub fn network_mismatch(expected: Network, addr: &CryptoRef) -> bool {
    addr.kind == RefKind::Address && !addr.networks.contains(&expected)
}

/// Recognises addresses and transaction hashes in `text`, sorted by start.
pub fn recognise(text: &str) -> Vec<CryptoRef> {
    let mut out = Vec::new();
    for (start, end) in alnum_tokens(text) {
        if let Some(r) = classify(&text[start..end], start) {
            out.push(r);
        }
    }
    out
}

/// Maximal runs of ASCII alphanumerics, as byte spans. ASCII bytes never occur
/// inside a multi-byte UTF-8 sequence, so every span is on char boundaries.
pub(crate) fn alnum_tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        Some((start, i))
    })
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn classify(tok: &str, start: usize) -> Option<CryptoRef> {
    let end = start + tok.len();
    let mk = |kind, networks: Vec<Network>, valid, checksummed| CryptoRef {
        kind,
        networks,
        valid,
        checksummed,
        start,
        end,
    };
    let len = tok.len();
    if let Some(hex) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        if hex.len() == 40 && is_hex(hex) {
            let checksummed = eip55_state(hex);
            return Some(mk(
                RefKind::Address,
                vec![Network::Evm],
                checksummed != Some(false),
                checksummed,
            ));
        }
        if hex.len() == 64 && is_hex(hex) {
            return Some(mk(RefKind::TxHash, vec![Network::Evm], true, None));
        }
        return None;
    }
    if len == 64 && is_hex(tok) {
        return Some(mk(
            RefKind::TxHash,
            vec![Network::Bitcoin, Network::Tron],
            true,
            None,
        ));
    }
    let lower = tok.to_ascii_lowercase();
    for (hrp, net) in [
        ("bc1", Network::Bitcoin),
        ("tb1", Network::BitcoinTestnet),
        ("bcrt1", Network::BitcoinTestnet),
    ] {
        if lower.starts_with(hrp) && (14..=90).contains(&len) {
            let mixed = tok != lower && tok != tok.to_ascii_uppercase();
            // Bech32 is one case throughout; a mixed-case token with a
            // valid base58 checksum is a base58 address that happens to
            // begin with "TB1" (a TRON address can).
            if mixed && base58check(tok).is_some() {
                break;
            }
            let valid = !mixed && bech32::segwit::decode(tok).is_ok();
            return Some(mk(RefKind::Address, vec![net], valid, None));
        }
    }
    let first = tok.as_bytes()[0];
    if first == b'T' && len == 34 {
        let valid = base58check(tok).is_some_and(|p| p.len() == 21 && p[0] == 0x41);
        if valid || is_base58(tok) {
            return Some(mk(RefKind::Address, vec![Network::Tron], valid, None));
        }
    }
    if matches!(first, b'1' | b'3' | b'm' | b'n' | b'2') && (26..=35).contains(&len) {
        let net = if matches!(first, b'1' | b'3') {
            Network::Bitcoin
        } else {
            Network::BitcoinTestnet
        };
        if let Some(p) = base58check(tok) {
            let ok = p.len() == 21
                && match net {
                    Network::Bitcoin => matches!(p[0], 0x00 | 0x05),
                    _ => matches!(p[0], 0x6f | 0xc4),
                };
            if ok {
                return Some(mk(RefKind::Address, vec![net], true, None));
            }
        }
        // Only call a mainnet-looking base58 string an (invalid) address;
        // testnet prefixes m/n/2 collide with too many ordinary ids.
        if net == Network::Bitcoin && is_base58(tok) && has_letter_and_digit(tok) {
            return Some(mk(RefKind::Address, vec![net], false, None));
        }
    }
    None
}

fn has_letter_and_digit(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_alphabetic()) && s.bytes().any(|b| b.is_ascii_digit())
}

fn is_base58(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

/// `Some(true)`: mixed case verifying under EIP-55; `Some(false)`: mixed case
/// failing it; `None`: all-lower or all-upper, nothing to verify.
fn eip55_state(hex: &str) -> Option<bool> {
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return None;
    }
    Some(eip55_checksum(hex) == hex)
}

/// The EIP-55 spelling of a 40-hex address body (without `0x`).
pub fn eip55_checksum(hex: &str) -> String {
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    lower
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            if b.is_ascii_alphabetic() && nibble >= 8 {
                b.to_ascii_uppercase() as char
            } else {
                b as char
            }
        })
        .collect()
}

/// Decodes base58check: returns the payload (version byte included, checksum
/// removed) when the 4-byte double-SHA-256 checksum verifies. Inputs longer
/// than 120 characters are refused outright (no key or address is that long),
/// which keeps the quadratic base58 decoding bounded.
pub(crate) fn base58check(s: &str) -> Option<Vec<u8>> {
    if s.len() > 120 || s.is_empty() {
        return None;
    }
    let raw = bs58::decode(s).into_vec().ok()?;
    if raw.len() < 5 {
        return None;
    }
    let (payload, check) = raw.split_at(raw.len() - 4);
    let h = Sha256::digest(Sha256::digest(payload));
    (h[..4] == *check).then(|| payload.to_vec())
}

/// Encodes a payload with a base58check checksum (used by tests and fixtures).
pub fn base58check_encode(payload: &[u8]) -> String {
    let h = Sha256::digest(Sha256::digest(payload));
    let mut v = payload.to_vec();
    v.extend_from_slice(&h[..4]);
    bs58::encode(v).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> CryptoRef {
        let r = recognise(text);
        assert_eq!(r.len(), 1, "{text}: {r:?}");
        r.into_iter().next().unwrap()
    }

    #[test]
    fn btc_base58_addresses() {
        let r = one("send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa please");
        assert_eq!(
            (r.kind, r.network(), r.valid),
            (RefKind::Address, Network::Bitcoin, true)
        );
        assert_eq!(
            &"send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa please"[r.start..r.end],
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
        );
        let r = one("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
        assert!(r.valid);
        // One character changed: checksum fails, still recognised as an address.
        let r = one("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb");
        assert!(!r.valid);
        assert_eq!(r.network(), Network::Bitcoin);
    }

    #[test]
    fn bech32_and_bech32m() {
        let r = one("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
        assert!(r.valid);
        assert_eq!(r.network(), Network::Bitcoin);
        let r = one("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ");
        assert!(r.valid);
        let r = one("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297");
        assert!(r.valid, "taproot bech32m");
        let r = one("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr");
        assert!(!r.valid);
        let r = one("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx");
        assert_eq!(r.network(), Network::BitcoinTestnet);
        assert!(r.valid);
    }

    #[test]
    fn evm_eip55() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let r = one(good);
        assert_eq!((r.valid, r.checksummed), (true, Some(true)));
        let r = one(&good.to_lowercase());
        assert_eq!((r.valid, r.checksummed), (true, None));
        let bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        let r = one(bad);
        assert_eq!((r.valid, r.checksummed), (false, Some(false)));
        assert_eq!(
            eip55_checksum("fb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
            "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
    }

    #[test]
    fn tron_and_mismatch() {
        let r = one("my TRC20 address TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t ok");
        assert_eq!((r.network(), r.valid), (Network::Tron, true));
        assert!(network_mismatch(Network::Evm, &r));
        assert!(!network_mismatch(Network::Tron, &r));
        let e = one("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        assert!(network_mismatch(Network::Tron, &e));
        assert!(!network_mismatch(
            Network::from_label("ERC-20").unwrap(),
            &e
        ));
        let r = one("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u");
        assert!(!r.valid);
    }

    #[test]
    fn tx_hashes() {
        let h = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d";
        let r = one(&format!("txid {h}"));
        assert_eq!(r.kind, RefKind::TxHash);
        assert_eq!(r.networks, vec![Network::Bitcoin, Network::Tron]);
        assert!(!network_mismatch(Network::Evm, &r));
        let r = one(&format!("0x{h}"));
        assert_eq!((r.kind, r.network()), (RefKind::TxHash, Network::Evm));
    }

    #[test]
    fn ordinary_text_is_not_a_reference() {
        assert!(recognise("order 20241124000123 was paid, phone 13800138000").is_empty());
        assert!(recognise("hello world, 你好 1,000.50 USDT").is_empty());
        assert!(recognise("").is_empty());
    }

    #[test]
    fn a_tron_address_beginning_with_tb1_is_not_bech32() {
        // Found by the property test: 0x41 0x0b 0x4f 00… encodes to "TB1…".
        let mut payload = vec![0x41u8, 11, 79];
        payload.extend_from_slice(&[0u8; 18]);
        let address = base58check_encode(&payload);
        assert!(address.starts_with("TB1"), "{address}");
        let r = one(&format!("please send to {address} thanks"));
        assert_eq!((r.network(), r.valid), (Network::Tron, true));
    }

    #[test]
    fn base58check_roundtrip() {
        let p = [0x41u8; 21];
        let s = base58check_encode(&p);
        assert_eq!(base58check(&s).unwrap(), p.to_vec());
    }
}

/// An address or transaction hash in a customer's message, as agents see
/// it: what it is, where it likely lives, whether it checks out, and
/// whether it contradicts a network the customer named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoMention {
    pub text: String,
    pub kind: RefKind,
    pub networks: Vec<Network>,
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksummed: Option<bool>,
    /// A network the customer named in the same message that this address
    /// cannot belong to (e.g. "ERC20" next to a TRON address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<Network>,
}

/// Network names the customer wrote ("TRC20", "ERC-20", "BEP20", "BTC"…).
/// Words that are also everyday English ("base") are left out.
fn named_networks(text: &str) -> Vec<Network> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if word.len() < 3 || word.eq_ignore_ascii_case("base") {
            continue;
        }
        if let Some(n) = Network::from_label(word)
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

/// The crypto context of a message, for the agent's view.
pub fn context(text: &str) -> Vec<CryptoMention> {
    let named = named_networks(text);
    recognise(text)
        .into_iter()
        .map(|r| CryptoMention {
            text: text[r.start..r.end].to_owned(),
            kind: r.kind,
            mismatch: named.iter().copied().find(|n| network_mismatch(*n, &r)),
            networks: r.networks,
            valid: r.valid,
            checksummed: r.checksummed,
        })
        .collect()
}

#[cfg(test)]
mod context_tests {
    use super::*;

    #[test]
    fn flags_a_tron_address_given_for_an_erc20_withdrawal() {
        let text = "I withdrew USDT via ERC20 to TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW but nothing";
        let ctx = context(text);
        assert_eq!(ctx.len(), 1, "{ctx:?}");
        assert_eq!(ctx[0].kind, RefKind::Address);
        assert_eq!(ctx[0].networks[0], Network::Tron);
        assert_eq!(ctx[0].mismatch, Some(Network::Evm));
        let fine = context("TRC20 withdrawal to TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW");
        assert_eq!(fine[0].mismatch, None);
        assert!(context("no addresses here, just base rates").is_empty());
    }
}

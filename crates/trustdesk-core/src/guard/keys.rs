//! Private keys: WIF and extended private keys (base58check verified), and
//! 64-hex strings only when key context is right before them.
//!
//! A 64-hex string is what a transaction hash looks like, so without context
//! it is never a finding. With key context ("private key", "privkey", "私钥",
//! "secret", "密钥", "key:", …) in the 48 bytes before it, it is redacted,
//! unless a transaction word ("txid", "hash", "交易", …) stands closer to it
//! than the key word ("my private key was stolen, txid: …" is a tx hash).
//! Addresses never match: their base58check version bytes differ from WIF's
//! 0x80/0xef and they are not 111 characters long like an xprv.

use super::{Finding, SecretKind, after, before, last_match_end};
use crate::crypto::{alnum_tokens, base58check};

const KEY_CONTEXT: &[&str] = &[
    "private key",
    "private_key",
    "privatekey",
    "priv key",
    "privkey",
    "secret",
    "key:",
    "key :",
    "key=",
    "key is",
    "key",
    "key：",
    "私钥",
    "密钥",
    "秘钥",
];

const TX_CONTEXT: &[&str] = &[
    "txid",
    "tx id",
    "tx:",
    "tx hash",
    "txhash",
    "hash",
    "transaction",
    "交易",
    "哈希",
    "区块",
    "block",
];

const EXT_PREFIXES: &[&str] = &[
    "xprv", "yprv", "zprv", "tprv", "uprv", "vprv", "Yprv", "Zprv", "Uprv", "Vprv",
];

pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    for (start, end) in alnum_tokens(text) {
        let tok = &text[start..end];
        if let Some(kind) = classify(text, tok, start, end) {
            out.push(Finding::redact(kind, start, end));
        }
    }
}

/// Is `tok` a WIF private key (version 0x80 main / 0xef test, 32 bytes plus an
/// optional 0x01 compression flag) with a valid checksum?
pub fn is_wif(tok: &str) -> bool {
    if !(51..=52).contains(&tok.len()) {
        return false;
    }
    match base58check(tok) {
        Some(p) => {
            matches!(p[0], 0x80 | 0xef) && (p.len() == 33 || (p.len() == 34 && p[33] == 0x01))
        }
        None => false,
    }
}

/// Is `tok` an extended private key (xprv/yprv/zprv/tprv/uprv/vprv, 78 bytes)
/// with a valid base58check checksum?
pub fn is_extended_private_key(tok: &str) -> bool {
    tok.len() == 111
        && EXT_PREFIXES.iter().any(|p| tok.starts_with(p))
        && base58check(tok).is_some_and(|p| p.len() == 78)
}

fn classify(text: &str, tok: &str, start: usize, end: usize) -> Option<SecretKind> {
    if is_wif(tok) {
        return Some(SecretKind::PrivateKey);
    }
    if is_extended_private_key(tok) {
        return Some(SecretKind::ExtendedPrivateKey);
    }
    let hex = tok
        .strip_prefix("0x")
        .or_else(|| tok.strip_prefix("0X"))
        .unwrap_or(tok);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let pre = before(text, start, 48);
        if let Some(k) = last_match_end(pre, KEY_CONTEXT) {
            let tx = last_match_end(pre, TX_CONTEXT);
            if tx.is_none_or(|t| t < k) {
                return Some(SecretKind::PrivateKey);
            }
        }
        // "<hex> is my private key" / "<hex> 是我的私钥"
        let post = after(text, end, 24);
        if last_match_end(post, &["private key", "privkey", "私钥", "密钥"]).is_some()
            && last_match_end(post, TX_CONTEXT).is_none()
        {
            return Some(SecretKind::PrivateKey);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::base58check_encode;
    use crate::guard::{GuardAction, scan as scan_all};

    fn wif(version: u8, compressed: bool) -> String {
        let mut p = vec![version];
        p.extend_from_slice(&[0x1du8; 32]);
        if compressed {
            p.push(1);
        }
        base58check_encode(&p)
    }

    #[test]
    fn wif_variants_are_redacted() {
        // The well-known example key from the Bitcoin wiki.
        let known = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
        assert!(is_wif(known));
        for w in [
            wif(0x80, false),
            wif(0x80, true),
            wif(0xef, true),
            known.to_string(),
        ] {
            let t = format!("my key {w}.");
            let f = scan_all(&t);
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(
                (f[0].kind, f[0].action),
                (SecretKind::PrivateKey, GuardAction::Redact)
            );
            assert_eq!(&t[f[0].start..f[0].end], w);
        }
        // Same bytes, one character flipped: checksum fails.
        let mut bad = known.to_string();
        bad.replace_range(10..11, "N");
        assert!(!is_wif(&bad));
        // Wrong version byte (0x00 = a P2PKH address payload padded) is not WIF.
        assert!(!is_wif(&wif(0x00, true)));
    }

    #[test]
    fn xprv_is_redacted_xpub_is_not() {
        let xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
        assert!(is_extended_private_key(xprv));
        let f = scan_all(&format!("backup: {xprv}"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, SecretKind::ExtendedPrivateKey);
        let xpub = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
        assert!(scan_all(xpub).is_empty());
        let mut broken = xprv.to_string();
        broken.replace_range(50..51, "a");
        assert!(scan_all(&broken).is_empty());
    }

    #[test]
    fn hex_needs_key_context() {
        let h = "e9873d79c6d87dc0fb6a5778633389f4453213303da61f20bd67fc233aa33262";
        assert!(scan_all(h).is_empty());
        assert!(scan_all(&format!("txid: {h}")).is_empty());
        assert!(scan_all(&format!("my private key was stolen, tx hash {h}")).is_empty());
        for t in [
            format!("private key: {h}"),
            format!("私钥是 0x{h}"),
            format!("Secret = {h}"),
            format!("{h} is my private key"),
            format!("wallet key 0x{h}"),
        ] {
            let f = scan_all(&t);
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(f[0].kind, SecretKind::PrivateKey);
        }
    }
}

//! Text normalisation and hashed sparse features.
//!
//! A text becomes a short sorted list of `(index, value)` pairs in a space of
//! `2^bits` dimensions. Features:
//! - CJK runs (Han, kana, Hangul): character n-grams of length 1..=2, with a
//!   boundary marker at both ends of the run;
//! - Latin/Cyrillic/other alphanumeric words: the word itself, its character
//!   n-grams of length 2..=5 with boundary markers (fastText-style subwords,
//!   which absorb typos and inflections), and word bigrams.
//!
//! Values are counts scaled to unit L2 norm. Everything is deterministic:
//! FNV-1a hashing, no random state.

/// Which feature families to extract (the alternatives compared in
/// docs/triage.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureSet {
    /// Words (Latin) and single characters (CJK) only.
    pub words: bool,
    /// Character n-grams (CJK 2..=`cjk_max`, Latin `latin_min`..=`latin_max`
    /// within words).
    pub char_ngrams: bool,
    pub cjk_max: usize,
    pub latin_min: usize,
    pub latin_max: usize,
    /// Word bigrams (Latin).
    pub word_bigrams: bool,
}

impl FeatureSet {
    pub const FULL: FeatureSet = FeatureSet {
        words: true,
        char_ngrams: true,
        cjk_max: 2,
        latin_min: 2,
        latin_max: 5,
        word_bigrams: true,
    };
    pub const WORDS_ONLY: FeatureSet = FeatureSet {
        words: true,
        char_ngrams: false,
        cjk_max: 4,
        latin_min: 2,
        latin_max: 5,
        word_bigrams: true,
    };
}

/// At most this many characters of a message are looked at: triage needs
/// the gist, and this bounds the cost of a pathological input.
pub const MAX_CHARS: usize = 2000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Cjk,
    Word,
    Sep,
}

pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

pub(crate) fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

pub(crate) fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F)
}

fn kind(c: char) -> Kind {
    if is_han(c) || is_kana(c) || is_hangul(c) {
        Kind::Cjk
    } else if c.is_alphanumeric() {
        Kind::Word
    } else {
        Kind::Sep
    }
}

/// Lowercases, folds full-width ASCII to half-width, maps every digit to
/// `0` (amounts and counts carry no category signal, their shape does).
pub(crate) fn normalize_char(c: char) -> char {
    let c = fold_char(c);
    if c.is_ascii_digit() { '0' } else { c }
}

/// Lowercases and folds full-width ASCII to half-width.
pub(crate) fn fold_char(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    // Single-char lowercase only (keeps the mapping 1:1 and cheap).
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn fnv_chars(seed: u64, chars: &[char]) -> u64 {
    let mut h = FNV_OFFSET ^ seed.wrapping_mul(FNV_PRIME);
    for &c in chars {
        let mut v = c as u32;
        // 3 bytes cover every Unicode scalar value.
        for _ in 0..3 {
            h ^= u64::from(v & 0xFF);
            h = h.wrapping_mul(FNV_PRIME);
            v >>= 8;
        }
    }
    // Final avalanche so the low bits used as the index are well mixed.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// Stable 64-bit hash of a string (used for the held-out split).
pub fn stable_hash(s: &str) -> u64 {
    let chars: Vec<char> = s.chars().collect();
    fnv_chars(0x5eed, &chars)
}

const SEED_CJK: u64 = 1;
const SEED_WORD: u64 = 2;
const SEED_SUB: u64 = 3;
const SEED_BIGRAM: u64 = 4;
const BOUNDARY: char = '\u{2}';

/// Extracts the sorted, deduplicated, L2-normalised sparse features of
/// `text` into `out` (cleared first).
pub fn extract(text: &str, bits: u32, set: FeatureSet, out: &mut Vec<(u32, f32)>) {
    out.clear();
    let mask = (1u64 << bits) - 1;
    let mut push = |h: u64| out.push(((h & mask) as u32, 1.0));

    let chars: Vec<char> = text.chars().take(MAX_CHARS).map(normalize_char).collect();
    let mut buf: Vec<char> = Vec::with_capacity(64);
    let mut prev_word: Option<u64> = None;
    let mut i = 0;
    while i < chars.len() {
        let k = kind(chars[i]);
        let start = i;
        while i < chars.len() && kind(chars[i]) == k {
            i += 1;
        }
        let run = &chars[start..i];
        match k {
            Kind::Sep => {
                // Sentence punctuation breaks word bigrams; spaces do not.
                if run.iter().any(|c| !c.is_whitespace()) {
                    prev_word = None;
                }
            }
            Kind::Cjk => {
                prev_word = None;
                buf.clear();
                buf.push(BOUNDARY);
                buf.extend_from_slice(run);
                buf.push(BOUNDARY);
                if set.words {
                    for c in run {
                        push(fnv_chars(SEED_CJK, std::slice::from_ref(c)));
                    }
                }
                if set.char_ngrams {
                    for n in 2..=set.cjk_max {
                        if buf.len() < n {
                            break;
                        }
                        for w in buf.windows(n) {
                            push(fnv_chars(SEED_CJK, w));
                        }
                    }
                }
            }
            Kind::Word => {
                let wh = fnv_chars(SEED_WORD, run);
                if set.words {
                    push(wh);
                }
                if set.word_bigrams {
                    if let Some(p) = prev_word {
                        push(p.rotate_left(17) ^ wh ^ SEED_BIGRAM);
                    }
                    prev_word = Some(wh);
                }
                if set.char_ngrams && run.len() <= 40 {
                    buf.clear();
                    buf.push(BOUNDARY);
                    buf.extend_from_slice(run);
                    buf.push(BOUNDARY);
                    for n in set.latin_min..=set.latin_max {
                        if buf.len() < n || buf.len() == n {
                            // A window equal to the whole bounded word is the
                            // word feature already.
                            break;
                        }
                        for w in buf.windows(n) {
                            push(fnv_chars(SEED_SUB, w));
                        }
                    }
                }
            }
        }
    }

    out.sort_unstable_by_key(|&(idx, _)| idx);
    // Merge duplicates into counts.
    let mut w = 0;
    for r in 0..out.len() {
        if w > 0 && out[w - 1].0 == out[r].0 {
            out[w - 1].1 += 1.0;
        } else {
            out[w] = out[r];
            w += 1;
        }
    }
    out.truncate(w);
    // Sublinear tf, then unit L2 norm.
    let mut norm = 0.0f32;
    for f in out.iter_mut() {
        f.1 = 1.0 + f.1.ln();
        norm += f.1 * f.1;
    }
    if norm > 0.0 {
        let inv = 1.0 / norm.sqrt();
        for f in out.iter_mut() {
            f.1 *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_sorted_unique_and_normalised() {
        let mut out = Vec::new();
        extract(
            "我的USDT提币没到账 USDT usdt!!",
            18,
            FeatureSet::FULL,
            &mut out,
        );
        assert!(!out.is_empty());
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
        let norm: f32 = out.iter().map(|f| f.1 * f.1).sum();
        assert!((norm - 1.0).abs() < 1e-4);
    }

    #[test]
    fn case_and_width_are_folded() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        extract("USDT 提币", 18, FeatureSet::FULL, &mut a);
        extract("ｕｓｄｔ　提币", 18, FeatureSet::FULL, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn empty_text_has_no_features() {
        let mut out = vec![(1, 1.0)];
        extract("   ...  ", 18, FeatureSet::FULL, &mut out);
        assert!(out.is_empty());
    }
}

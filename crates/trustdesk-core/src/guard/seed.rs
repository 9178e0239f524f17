//! BIP39 seed phrases in the English, Chinese simplified and Chinese
//! traditional word lists.
//!
//! Word lists come from the `bip39` crate (rust-bitcoin), default features off
//! and only the two Chinese lists enabled: they are the official BIP39 lists,
//! already reviewed and maintained, and the crate costs us only
//! `bitcoin_hashes` at build time. Embedding three text files would work too
//! but would be one more thing to keep byte-exact by hand. The checksum is
//! computed here with `sha2`, independently of the crate (the tests generate
//! phrases with the crate and verify them with this code).
//!
//! Algorithm, linear in the input:
//! 1. One pass cuts the text into tokens: runs of ASCII letters (English
//!    words, any case), single CJK ideographs (each Chinese BIP39 word is one
//!    character), separators (whitespace, digits, list numbering and
//!    punctuation such as `,` `.` `)` `、` `，` which are skipped) and anything
//!    else, which breaks a phrase.
//! 2. For each language, a *run* is a maximal sequence of consecutive tokens
//!    that are all words of that list. Prose that merely uses list words is
//!    broken into short runs by its non-list words ("the", "is", "my", …).
//! 3. In each run of at least 12 words, every window of 24/21/18/15/12 words
//!    is checksum-checked (bounded work per position). The union of the valid
//!    windows → `Redact`.
//! 4. What is left of a run, if it still spans 12 or more words, is a phrase
//!    with a typo or a bad checksum → `Warn`.
//!
//! Chinese needs two more rules because the Chinese lists are the 2048 most
//! common characters, so ordinary Chinese prose is made of list words:
//! * a window must not cut through a block of characters written without
//!   separators (`是的一是在不了有和人这中大` cannot yield the 12 characters in
//!   its middle), and
//! * a window whose characters are written without separators is rejected as
//!   prose when a third or more of its characters are very common function
//!   characters (的 了 是 我 你 …). A random phrase hits that with probability
//!   below 1e-4; a chat sentence almost always does. Warnings on packed
//!   Chinese additionally need at most one such character.

use super::{Finding, SecretKind};
use bip39::Language;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Valid phrase lengths, longest first.
pub const LENGTHS: [usize; 5] = [24, 21, 18, 15, 12];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    ZhS,
    ZhT,
}

const LANGS: [Lang; 3] = [Lang::En, Lang::ZhS, Lang::ZhT];

struct ZhLists {
    simplified: HashMap<char, u16>,
    traditional: HashMap<char, u16>,
}

fn zh_lists() -> &'static ZhLists {
    static L: OnceLock<ZhLists> = OnceLock::new();
    L.get_or_init(|| {
        let build = |lang: Language| {
            lang.word_list()
                .iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    let mut cs = w.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Some((c, i as u16)),
                        _ => None,
                    }
                })
                .collect()
        };
        ZhLists {
            simplified: build(Language::SimplifiedChinese),
            traditional: build(Language::TraditionalChinese),
        }
    })
}

/// Index of an English word (any ASCII case) in the BIP39 English list.
fn en_index(word: &str) -> Option<u16> {
    let b = word.as_bytes();
    if !(3..=8).contains(&b.len()) {
        return None;
    }
    let mut buf = [0u8; 8];
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    let w = std::str::from_utf8(&buf[..b.len()]).ok()?;
    // The English list is sorted (checked by a test).
    Language::English
        .word_list()
        .binary_search(&w)
        .ok()
        .map(|i| i as u16)
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Characters that may stand between the words of a phrase.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_digit()
        || matches!(
            c,
            ',' | '.' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '_' | '#' | '/'
                | '|' | '"' | '\'' | '*' | '•' | '·' | '、' | '，' | '。' | '；' | '：' | '（'
                | '）' | '【' | '】' | '「' | '」' | '“' | '”' | '‘' | '’' | '\u{2460}'
                ..='\u{24FF}' | '\u{FF10}'..='\u{FF19}'
        )
}

/// Very common Chinese function characters (simplified and traditional).
fn is_function_char(c: char) -> bool {
    matches!(
        c,
        '的' | '了'
            | '是'
            | '我'
            | '你'
            | '他'
            | '她'
            | '们'
            | '們'
            | '在'
            | '有'
            | '不'
            | '这'
            | '這'
            | '那'
            | '么'
            | '麼'
            | '吗'
            | '嗎'
            | '呢'
            | '吧'
            | '就'
            | '都'
            | '也'
            | '还'
            | '還'
            | '要'
            | '会'
            | '會'
            | '能'
            | '没'
            | '沒'
            | '请'
            | '請'
            | '个'
            | '個'
            | '一'
            | '什'
            | '怎'
            | '到'
    )
}

#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    index: u16,
}

enum Tok {
    En(usize, usize),
    Zh(usize, usize, char),
    Break,
}

/// Appends seed-phrase findings for `text` to `out`.
pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    let lists = zh_lists();
    let mut runs: [Vec<Word>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let feed = |tok: Tok, runs: &mut [Vec<Word>; 3], out: &mut Vec<Finding>| {
        for (li, lang) in LANGS.iter().enumerate() {
            let idx = match (&tok, lang) {
                (Tok::En(s, e), Lang::En) => en_index(&text[*s..*e]).map(|i| (*s, *e, i)),
                (Tok::Zh(s, e, c), Lang::ZhS) => lists.simplified.get(c).map(|i| (*s, *e, *i)),
                (Tok::Zh(s, e, c), Lang::ZhT) => lists.traditional.get(c).map(|i| (*s, *e, *i)),
                _ => None,
            };
            match idx {
                Some((start, end, index)) => runs[li].push(Word { start, end, index }),
                None => {
                    flush(text, *lang, &runs[li], out);
                    runs[li].clear();
                }
            }
        }
    };
    let mut en_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphabetic() {
            en_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = en_start.take() {
            feed(Tok::En(s, i), &mut runs, out);
        }
        if is_cjk(c) {
            feed(Tok::Zh(i, i + c.len_utf8(), c), &mut runs, out);
        } else if !is_separator(c) {
            feed(Tok::Break, &mut runs, out);
        }
    }
    if let Some(s) = en_start.take() {
        feed(Tok::En(s, text.len()), &mut runs, out);
    }
    feed(Tok::Break, &mut runs, out);
}

/// Bits of a phrase of `n` words: (entropy bits, checksum bits).
fn bits(n: usize) -> (usize, usize) {
    let total = n * 11;
    let cs = total / 33;
    (total - cs, cs)
}

/// BIP39 checksum: the first `n/3` bits of SHA-256(entropy) must equal the
/// bits that follow the entropy in the concatenated 11-bit word indices.
pub fn checksum_ok(indices: impl IntoIterator<Item = u16>) -> bool {
    let mut buf = [0u8; 33];
    let mut pos = 0usize;
    for idx in indices {
        if pos + 11 > 264 {
            return false;
        }
        for b in (0..11).rev() {
            if (idx >> b) & 1 == 1 {
                buf[pos / 8] |= 1 << (7 - pos % 8);
            }
            pos += 1;
        }
    }
    let n = pos / 11;
    if !LENGTHS.contains(&n) {
        return false;
    }
    let (ent, cs) = bits(n);
    let hash = Sha256::digest(&buf[..ent / 8]);
    let want = hash[0] >> (8 - cs);
    let got = buf[ent / 8] >> (8 - cs);
    want == got
}

fn glued_before(text: &str, pos: usize) -> bool {
    text[..pos].chars().next_back().is_some_and(is_cjk)
}

fn glued_after(text: &str, pos: usize) -> bool {
    text[pos..].chars().next().is_some_and(is_cjk)
}

/// For Chinese: is any word of `w` written right after the previous one?
fn packed(w: &[Word]) -> bool {
    w.windows(2).any(|p| p[0].end == p[1].start)
}

fn function_chars(text: &str, w: &[Word]) -> usize {
    w.iter()
        .filter(|x| text[x.start..x.end].chars().next().is_some_and(is_function_char))
        .count()
}

fn flush(text: &str, lang: Lang, run: &[Word], out: &mut Vec<Finding>) {
    if run.len() < 12 {
        return;
    }
    let zh = lang != Lang::En;
    let aligned = |i: usize, n: usize| {
        !zh || (!glued_before(text, run[i].start) && !glued_after(text, run[i + n - 1].end))
    };
    let mut cands: Vec<(usize, usize)> = Vec::new();
    for i in 0..run.len() {
        for n in LENGTHS {
            if i + n > run.len() || !aligned(i, n) {
                continue;
            }
            let w = &run[i..i + n];
            if zh && packed(w) && function_chars(text, w) * 3 >= n {
                continue;
            }
            if checksum_ok(w.iter().map(|x| x.index)) {
                cands.push((i, n));
            }
        }
    }
    // Redact the union of all valid windows. Taking only some of them (say
    // the longest) could let a chance-valid window that overlaps the real
    // phrase hide part of it; the union at worst redacts a few neighbouring
    // list words too ("seed phrase" before the phrase), never leaks one.
    cands.sort_unstable();
    let mut taken = vec![false; run.len()];
    let mut cur: Option<(usize, usize)> = None;
    for (i, n) in cands.into_iter().chain(std::iter::once((usize::MAX, 0))) {
        match cur {
            Some((s, e)) if i != usize::MAX && i < e => cur = Some((s, e.max(i + n))),
            _ => {
                if let Some((s, e)) = cur {
                    taken[s..e].iter_mut().for_each(|t| *t = true);
                    out.push(Finding::redact(
                        SecretKind::SeedPhrase,
                        run[s].start,
                        run[e - 1].end,
                    ));
                }
                cur = (i != usize::MAX).then_some((i, i + n));
            }
        }
    }
    // Uncovered stretches of 12+ list words: a phrase with a bad checksum.
    let mut i = 0;
    while i < run.len() {
        if taken[i] {
            i += 1;
            continue;
        }
        let s = i;
        while i < run.len() && !taken[i] {
            i += 1;
        }
        let seg = &run[s..i];
        if seg.len() < 12 {
            continue;
        }
        let warn = if zh {
            LENGTHS.contains(&seg.len())
                && aligned(s, seg.len())
                && (!packed(seg) || function_chars(text, seg) <= 1)
        } else {
            true
        };
        if warn {
            out.push(Finding::warn(
                SecretKind::SeedPhrase,
                seg[0].start,
                seg[seg.len() - 1].end,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{GuardAction, scan as scan_all};

    const VALID12: &str =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn seed_findings(t: &str) -> Vec<Finding> {
        let mut v = Vec::new();
        scan(t, &mut v);
        v
    }

    #[test]
    fn english_list_is_sorted_for_binary_search() {
        let l = Language::English.word_list();
        assert!(l.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(en_index("ABANDON"), Some(0));
        assert_eq!(en_index("zoo"), Some(2047));
        assert_eq!(en_index("the"), None);
    }

    #[test]
    fn chinese_lists_are_single_characters() {
        let l = zh_lists();
        assert_eq!(l.simplified.len(), 2048);
        assert_eq!(l.traditional.len(), 2048);
    }

    #[test]
    fn checksum_matches_known_vectors() {
        let idx = |p: &str| p.split(' ').map(|w| en_index(w).unwrap()).collect::<Vec<_>>();
        assert!(checksum_ok(idx(VALID12)));
        assert!(!checksum_ok(idx(&VALID12.replace("about", "abandon"))));
        let v24 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";
        assert!(checksum_ok(idx(v24)));
        assert!(checksum_ok(idx("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong")));
        assert!(!checksum_ok(idx("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo")));
    }

    #[test]
    fn finds_valid_phrase_in_sentence_and_numbered() {
        let t = format!("hi, here it is: {VALID12} thanks");
        let f = seed_findings(&t);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, GuardAction::Redact);
        assert_eq!(&t[f[0].start..f[0].end], VALID12);
        let numbered: String = VALID12
            .split(' ')
            .enumerate()
            .map(|(i, w)| format!("{}) {}\n", i + 1, w.to_uppercase()))
            .collect();
        let f = seed_findings(&numbered);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, GuardAction::Redact);
    }

    #[test]
    fn bad_checksum_warns_and_prose_does_not() {
        let bad = VALID12.replace("about", "zoo");
        let f = seed_findings(&bad);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, GuardAction::Warn);
        // 14 words, most of them list words, but "the"/"my"/"is" break runs.
        let prose = "I want to withdraw all my money because the account is locked and nobody will answer";
        assert!(scan_all(prose).is_empty());
        assert!(seed_findings("abandon ability able about above absent").is_empty());
    }

    #[test]
    fn chinese_prose_is_not_a_phrase() {
        for t in [
            "我的提现还没有到账请帮我查一下",
            "你好，我的账户被冻结了，请问怎么办？已经等了两个小时了，还是没有人回复我。",
            "我想问一下为什么我的充值一直没有到账，是不是网络有问题",
        ] {
            assert!(scan_all(t).is_empty(), "{t}: {:?}", scan_all(t));
        }
    }
}

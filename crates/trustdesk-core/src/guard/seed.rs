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
//! 3. Each run of 12+ words is decided by `decide_spaced`: whole-run
//!    checksum, lead-in words stripped, windows of 24/21/18/15/12 words
//!    (bounded work per position, so linear overall). Valid → `Redact`; the
//!    right number of list words with a bad checksum → `Warn`.
//!
//! Chinese needs more care because the Chinese lists are the 2048 most common
//! characters, so ordinary Chinese prose is made of list words. A Chinese run
//! is cut into blocks of characters written without separators: single
//! characters separated by spaces/commas/numbers form a spaced phrase (as in
//! English); a block of exactly 12/15/18/21/24 characters may be a packed
//! phrase (`的一是在不了有和人这中大`), but only as a whole, and it is rejected
//! as prose when a third or more of its characters are very common function
//! characters (的 了 是 我 你 …) or when two or more of its adjacent character
//! pairs are common words (网络, 选择, 错误 … from `zh_words.txt`). A random
//! phrase hits either rule with probability below 1e-4; a chat sentence
//! almost always does. A packed block with a bad checksum warns only with at
//! most one function character.

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
    /// Chinese simplified and traditional together: the two official lists
    /// are parallel (word i of one is word i of the other in the other
    /// script) and the 1275 characters they share sit at the same index in
    /// both (checked by a test). So one map from character to index serves
    /// both, a phrase is checksum-checked once, and a phrase typed in a mix
    /// of the two scripts is still caught.
    Zh,
}

const LANGS: [Lang; 2] = [Lang::En, Lang::Zh];

fn zh_index() -> &'static HashMap<char, u16> {
    static L: OnceLock<HashMap<char, u16>> = OnceLock::new();
    L.get_or_init(|| {
        let mut m = HashMap::with_capacity(2900);
        for lang in [Language::SimplifiedChinese, Language::TraditionalChinese] {
            for (i, w) in lang.word_list().iter().enumerate() {
                let mut cs = w.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    m.entry(c).or_insert(i as u16);
                }
            }
        }
        m
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
                | '）' | '【' | '】' | '「' | '」' | '“' | '”' | '‘' | '’' | '．' | '！' | '=' | '>' | '<' | '`'
                | '\u{2460}'..='\u{24FF}' | '\u{FF10}'..='\u{FF19}'
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
    let zh = zh_index();
    let mut runs: [Vec<Word>; 2] = [Vec::new(), Vec::new()];
    let feed = |tok: Tok, runs: &mut [Vec<Word>; 2], out: &mut Vec<Finding>| {
        for (li, lang) in LANGS.iter().enumerate() {
            let idx = match (&tok, lang) {
                (Tok::En(s, e), Lang::En) => en_index(&text[*s..*e]).map(|i| (*s, *e, i)),
                (Tok::Zh(s, e, c), Lang::Zh) => zh.get(c).map(|i| (*s, *e, *i)),
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
    // A multi-line paste that reaches us on one line arrives with its line
    // breaks escaped (`word1\nword2`, JSON or a log line): a backslash
    // followed by `n`, `r` or `t` is a separator, and the letter must not
    // glue itself to the next word.
    let bytes = text.as_bytes();
    let mut skip_escape = false;
    for (i, c) in text.char_indices() {
        if skip_escape {
            skip_escape = false;
            continue;
        }
        if c == '\\' && matches!(bytes.get(i + 1), Some(b'n' | b'r' | b't')) {
            if let Some(s) = en_start.take() {
                feed(Tok::En(s, i), &mut runs, out);
            }
            skip_escape = true;
            continue;
        }
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
    let (mut acc, mut nbits, mut len, mut n) = (0u32, 0u32, 0usize, 0usize);
    for idx in indices {
        if n == 24 {
            return false;
        }
        n += 1;
        acc = (acc << 11) | u32::from(idx & 0x7ff);
        nbits += 11;
        while nbits >= 8 {
            nbits -= 8;
            buf[len] = (acc >> nbits) as u8;
            len += 1;
        }
        acc &= (1 << nbits) - 1;
    }
    if !LENGTHS.contains(&n) {
        return false;
    }
    // The checksum bits left over (4 for 12 words), left-aligned.
    if nbits > 0 {
        buf[len] = (acc << (8 - nbits)) as u8;
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

fn function_chars(text: &str, w: &[Word]) -> usize {
    w.iter()
        .filter(|x| {
            text[x.start..x.end]
                .chars()
                .next()
                .is_some_and(is_function_char)
        })
        .count()
}

/// Adjacent-character pairs of common Chinese words (see `zh_words.txt`), in
/// simplified and traditional script.
fn zh_word_pairs() -> &'static std::collections::HashSet<(char, char)> {
    static P: OnceLock<std::collections::HashSet<(char, char)>> = OnceLock::new();
    P.get_or_init(|| {
        let simp = Language::SimplifiedChinese.word_list();
        let trad = Language::TraditionalChinese.word_list();
        let to_trad = |c: char| {
            let mut b = [0u8; 4];
            let s: &str = c.encode_utf8(&mut b);
            simp.iter()
                .position(|w| *w == s)
                .and_then(|i| trad[i].chars().next())
                .unwrap_or(c)
        };
        let mut set = std::collections::HashSet::new();
        for line in include_str!("zh_words.txt").lines() {
            if line.starts_with('#') {
                continue;
            }
            for word in line.split_whitespace() {
                let cs: Vec<char> = word.chars().collect();
                for p in cs.windows(2) {
                    set.insert((p[0], p[1]));
                    set.insert((to_trad(p[0]), to_trad(p[1])));
                }
            }
        }
        set
    })
}

/// Packed Chinese reads like prose: many function characters, or two or
/// more adjacent pairs that are common words (网络, 选择, 错误 …).
fn zh_prose(text: &str, w: &[Word]) -> bool {
    if function_chars(text, w) * 3 >= w.len() {
        return true;
    }
    let pairs = zh_word_pairs();
    let ch = |x: &Word| text[x.start..x.end].chars().next();
    let hits = w
        .windows(2)
        .filter(|p| p[0].end == p[1].start)
        .filter(|p| matches!((ch(&p[0]), ch(&p[1])), (Some(a), Some(b)) if pairs.contains(&(a, b))))
        .count();
    hits >= 2
}

/// English list words that often stand right before or after a pasted
/// phrase ("please check this seed phrase: …", "… thank you").
pub const CONTEXT_WORDS: &[&str] = &[
    "seed", "phrase", "key", "private", "please", "help", "account", "secret", "word", "you",
    "what", "where", "check", "thank", "hello", "below", "list", "copy", "this", "old", "code",
    "pass", "all", "recall", "remember", "correct", "wrong", "again", "okay", "just", "now",
    "there", "also", "can", "access",
];
const MAX_STRIP: usize = 6;

fn valid(w: &[Word]) -> bool {
    checksum_ok(w.iter().map(|x| x.index))
}

fn push(out: &mut Vec<Finding>, w: &[Word], redact: bool) {
    let (s, e) = (w[0].start, w[w.len() - 1].end);
    out.push(if redact {
        Finding::redact(SecretKind::SeedPhrase, s, e)
    } else {
        Finding::warn(SecretKind::SeedPhrase, s, e)
    });
}

fn flush(text: &str, lang: Lang, run: &[Word], out: &mut Vec<Finding>) {
    if run.len() < 12 {
        return;
    }
    if lang == Lang::En {
        decide_spaced(text, run, true, out);
        return;
    }
    // Chinese: cut the run into blocks of characters written without
    // separators. Single-character blocks form spaced phrases; a block of 12+
    // characters may be a packed phrase; any other block (a word of prose
    // such as 助记词, or a block glued to a non-list character) breaks.
    let mut seq_start = 0;
    let mut k = 0;
    while k < run.len() {
        let b0 = k;
        k += 1;
        while k < run.len() && run[k].start == run[k - 1].end {
            k += 1;
        }
        let blk = &run[b0..k];
        let glued_start = b0 == 0 && glued_before(text, blk[0].start);
        let glued_end = k == run.len() && glued_after(text, blk[blk.len() - 1].end);
        let clean = !glued_start && !glued_end;
        if blk.len() == 1 && clean {
            continue;
        }
        decide_spaced(text, &run[seq_start..b0], false, out);
        // "助记词是的 一 是 …": the first word is glued to the seed word
        // before it; it opens the spaced phrase that follows.
        // "助记词是 …" is a link, not a word; "助记词是为 …" has a first word 为.
        let last = &blk[blk.len() - 1];
        // "種子詞" ends with a seed word itself: 詞 is not a phrase word.
        let blk_text = &text[blk[0].start..last.end];
        let first_word = !ZH_SEED_WORDS.iter().any(|k| blk_text.ends_with(k))
            && match seed_word_kind(text, last.start) {
                Some(true) => true,
                Some(false) => !ZH_LINKS.contains(&&text[last.start..last.end]),
                None => false,
            };
        if blk.len() < 12 && k < run.len() && first_word {
            seq_start = k - 1;
            continue;
        }
        // A seed word inside the block pins the phrase boundary; otherwise
        // only the whole block can be a phrase.
        if blk.len() >= 12
            && !decide_packed_with_keyword(text, blk, !glued_start, !glued_end, out)
            && clean
        {
            decide_packed(text, blk, out);
        }
        seq_start = k;
    }
    decide_spaced(text, &run[seq_start..], false, out);
}

/// A block of Chinese characters without separators: only the whole block
/// can be a phrase, and it must not read like prose unless a seed word
/// stands right before it ("助记词：<block>").
fn decide_packed(text: &str, w: &[Word], out: &mut Vec<Finding>) {
    let n = w.len();
    if !LENGTHS.contains(&n) {
        return;
    }
    let context = seed_word_before(text, w[0].start);
    if !context && zh_prose(text, w) {
        return;
    }
    if valid(w) {
        push(out, w, true);
    } else if context || function_chars(text, w) <= (n / 8).max(1) {
        push(out, w, false);
    }
}

/// Words that name a seed phrase in Chinese; a phrase written without
/// separators right after or before one ("助记词是的一是…", "…这是我的助记词")
/// is cut out of the longer block it is glued into.
const ZH_SEED_WORDS: &[&str] = &[
    "助记词",
    "助記詞",
    "种子词",
    "種子詞",
    "种子",
    "種子",
    "恢复词",
    "恢復詞",
    "助记码",
    "密语",
];
const ZH_LINKS: &[&str] = &["是", "为", "為", "如下", "就是", "：", ":"];

/// Is a seed word (optionally followed by 是/为/：…) right before `pos`,
/// ignoring whitespace and separators in between?
fn seed_word_before(text: &str, pos: usize) -> bool {
    seed_word_kind(text, pos).is_some()
}

/// `Some(true)`: a seed word and a link ("助记词是") end right before `pos`;
/// `Some(false)`: a bare seed word ("助记词"); `None`: neither.
fn seed_word_kind(text: &str, pos: usize) -> Option<bool> {
    let pre = super::before(text, pos, 30)
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '：' | '-' | '>' | '='));
    let mut bare = false;
    for k in ZH_SEED_WORDS {
        if ZH_LINKS
            .iter()
            .any(|l| pre.strip_suffix(l).is_some_and(|p| p.ends_with(k)))
        {
            return Some(true);
        }
        bare |= pre.ends_with(k);
    }
    bare.then_some(false)
}

fn seed_word_after(text: &str, pos: usize) -> bool {
    let post = super::after(text, pos, 30);
    ZH_SEED_WORDS.iter().any(|k| post.contains(k))
}

/// A block of Chinese list characters longer than a phrase (or glued to
/// other characters): only a phrase at its very end preceded by a seed word,
/// or at its very start followed by one, is considered.
fn decide_packed_with_keyword(
    text: &str,
    blk: &[Word],
    start_clean: bool,
    end_clean: bool,
    out: &mut Vec<Finding>,
) -> bool {
    let len = blk.len();
    for n in LENGTHS {
        if n > len {
            continue;
        }
        let tail = &blk[len - n..];
        if end_clean && n < len && seed_word_before(text, tail[0].start) {
            decide_packed(text, tail, out);
            return true;
        }
        let head = &blk[..n];
        if start_clean && n < len && seed_word_after(text, head[n - 1].end) {
            // The rest of the block must start with the seed word or a link
            // to it ("这是我的助记词"), not with more phrase-like characters.
            let rest = super::after(text, head[n - 1].end, 12);
            if [
                "这", "這", "是", "就", "为", "為", "我", "助", "种", "種", "恢",
            ]
            .iter()
            .any(|p| rest.starts_with(p))
            {
                decide_packed(text, head, out);
                return true;
            }
        }
    }
    false
}

/// Valid windows (start, len) of phrase length lying inside `w`.
fn windows(w: &[Word]) -> Vec<(usize, usize)> {
    let mut c = Vec::new();
    for i in 0..w.len() {
        for n in LENGTHS {
            if i + n <= w.len() && valid(&w[i..i + n]) {
                c.push((i, n));
            }
        }
    }
    c
}

/// Valid phrases that exactly tile `w` (two phrases pasted back to back),
/// found by a small dynamic programme over word positions (`w` has at most
/// 24 words here).
fn tiling(text: &str, w: &[Word]) -> Option<Vec<(usize, usize)>> {
    let l = w.len();
    let mut prev: Vec<Option<usize>> = vec![None; l + 1];
    let mut reach = vec![false; l + 1];
    reach[0] = true;
    for i in 0..l {
        if !reach[i] {
            continue;
        }
        for n in LENGTHS {
            if i + n <= l && !reach[i + n] && valid(&w[i..i + n]) {
                reach[i + n] = true;
                prev[i + n] = Some(i);
            }
        }
    }
    if !reach[l] {
        return None;
    }
    let mut parts = Vec::new();
    let mut e = l;
    while let Some(s) = prev[e] {
        parts.push((s, e - s));
        e = s;
    }
    parts.reverse();
    // Two phrases pasted one after the other are set apart (a line break
    // where the words of each are not, or numbering that starts again at
    // 1); without that, a chance tiling of one mistyped phrase (1 in 256 for
    // 24 words) would be redacted instead of warned.
    let gap = |i: usize| &text[w[i - 1].end..w[i].start];
    // An escaped line break (`\\n`, a multi-line paste sent on one line)
    // counts as one.
    let line_break = |g: &str| g.contains('\n') || g.contains("\\n");
    let newline_inside = parts
        .iter()
        .any(|&(s, n)| (s + 1..s + n).any(|i| line_break(gap(i))));
    let apart = parts.iter().skip(1).all(|&(s, _)| {
        let g = gap(s);
        let digits: String = g.chars().filter(char::is_ascii_digit).collect();
        (line_break(g) && !newline_inside) || digits == "1"
    });
    apart.then_some(parts)
}

/// Union of windows as sorted, disjoint word-index intervals.
fn union(mut c: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    c.sort_unstable();
    let mut u: Vec<(usize, usize)> = Vec::new();
    for (i, n) in c {
        match u.last_mut() {
            Some((_, e)) if i < *e => *e = (*e).max(i + n),
            _ => u.push((i, i + n)),
        }
    }
    u
}

/// A run of words separated by separators (English, or Chinese written with
/// spaces, commas, numbering).
///
/// 1. The whole run is a valid phrase → redact it.
/// 2. Stripping the common lead-in/trailing list words at its ends ("please
///    check this seed phrase: …", up to six, or all but one or two of them)
///    leaves a valid phrase → redact that.
/// 3. Otherwise, if the run (or the run without those words) has a phrase
///    length, it is one phrase with a bad checksum: warn, unless valid
///    phrases tile it exactly and are set apart by a line break or by
///    numbering that restarts (two phrases pasted one after the other) →
///    redact them.
///    Chance-valid windows are common inside a random 24 words (a 12-word
///    window passes with probability 1/16, 13 of them fit), so a valid
///    window strictly inside does not count: a mistyped 24-word phrase must
///    warn, not be half redacted.
/// 4. Otherwise (a longer run): redact the union of valid windows. The union,
///    not a choice among them, so a chance-valid window overlapping the real
///    phrase can never leave part of it in clear; the cost is at most a few
///    neighbouring list words redacted too. Leftover stretches of 12+ words
///    warn.
fn decide_spaced(text: &str, w: &[Word], english: bool, out: &mut Vec<Finding>) {
    let l = w.len();
    if l < 12 {
        return;
    }
    // Chinese typed with a space between characters ("我 想 问 一 下 …")
    // is prose, not a phrase, when a third or more of it is function
    // characters (the packed-block rule; a random phrase almost never is).
    let prose = |s: &[Word]| !english && function_chars(text, s) * 3 >= s.len();
    if !prose(w) && decide_whole_run(text, w, english, out) {
        return;
    }
    let u = union(
        windows(w)
            .into_iter()
            .filter(|&(s, n)| !prose(&w[s..s + n]))
            .collect(),
    );
    let mut cursor = 0;
    for &(s, e) in u.iter().chain(std::iter::once(&(l, l))) {
        if s - cursor >= 12 && !prose(&w[cursor..s]) {
            push(out, &w[cursor..s], false);
        }
        if s < e {
            push(out, &w[s..e], true);
        }
        cursor = e;
    }
}

/// Steps 1–3 of [`decide_spaced`]: the whole run, the run without lead-in
/// and trailing words, tilings. True when the run was decided.
fn decide_whole_run(text: &str, w: &[Word], english: bool, out: &mut Vec<Finding>) -> bool {
    let l = w.len();
    if LENGTHS.contains(&l) && valid(w) {
        push(out, w, true);
        return true;
    }
    let is_ctx = |x: &Word| {
        english
            && CONTEXT_WORDS
                .iter()
                .any(|c| text[x.start..x.end].eq_ignore_ascii_case(c))
    };
    let front = w.iter().take(MAX_STRIP).take_while(|x| is_ctx(x)).count();
    let back = w
        .iter()
        .rev()
        .take(MAX_STRIP)
        .take_while(|x| is_ctx(x))
        .count();
    // Strip all the context words at each end, or all but one or two (the
    // phrase itself may start or end with such a word). Trying every split
    // would give chance-valid cores too many tries on a mistyped phrase.
    let mut cores: Vec<(usize, usize)> = Vec::new();
    for k1 in (front.saturating_sub(2)..=front).rev() {
        for k2 in (back.saturating_sub(2)..=back).rev() {
            if k1 + k2 == 0 || k1 + k2 > l - 12 {
                continue;
            }
            let c = &w[k1..l - k2];
            if !LENGTHS.contains(&c.len()) {
                continue;
            }
            if valid(c) {
                push(out, c, true);
                return true;
            }
            cores.push((k1, l - k2));
        }
    }
    // Tiling is tried on the whole run first; the span to warn about is the
    // whole run if it has a phrase length, else the run without lead-ins.
    if LENGTHS.contains(&l) {
        cores.insert(0, (0, l));
    }
    let warn_span = cores.first().copied();
    if let Some((a, b)) = warn_span {
        for &(x, y) in &cores {
            if let Some(parts) = tiling(text, &w[x..y]) {
                for (s, n) in parts {
                    push(out, &w[x + s..x + s + n], true);
                }
                return true;
            }
        }
        // A valid phrase at one end of the run, after (or before) a few list
        // words that are not context words ("evil example note <12
        // words>"): leave it to the windows, which redact it, instead of
        // only warning about the whole run. Anchored at an end, like the
        // context words, so a mistyped long phrase rarely has a window
        // that passes by chance.
        let (end, begin) = (l - back, front);
        let anchored = windows(w).into_iter().any(|(s, n)| {
            let e = s + n;
            (e == end && s >= begin && s - begin <= MAX_STRIP)
                || (s == begin && e <= end && end - e <= MAX_STRIP)
        });
        if anchored {
            return false;
        }
        push(out, &w[a..b], false);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{GuardAction, scan as scan_all};

    const VALID12: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn seed_findings(t: &str) -> Vec<Finding> {
        let mut v = Vec::new();
        scan(t, &mut v);
        v
    }

    #[test]
    fn a_phrase_after_other_list_words_is_redacted_not_only_warned() {
        // "evil", "example" and "note" are list words but not context
        // words: the run has 15 words, a phrase length, with a bad
        // checksum as a whole; the valid 12 inside must still be redacted.
        for t in [
            format!("evil example note {VALID12}"),
            format!("evil.example\n\nnote {VALID12} key x"),
            format!("Report of a possible fake channel: evil.example\n\nnote {VALID12} key"),
        ] {
            let f = seed_findings(&t);
            assert!(
                f.iter()
                    .any(|f| f.action == GuardAction::Redact && t[f.start..f.end] == *VALID12),
                "{t}: {f:?}"
            );
        }
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
    fn context_words_are_list_words() {
        for w in CONTEXT_WORDS {
            assert!(
                en_index(w).is_some(),
                "{w} is not a BIP39 word: no need to strip it"
            );
        }
    }

    #[test]
    fn chinese_lists_are_parallel_single_characters() {
        let s = Language::SimplifiedChinese.word_list();
        let t = Language::TraditionalChinese.word_list();
        let shared = s.iter().filter(|w| t.contains(w)).count();
        assert_eq!(shared, 1275);
        for (i, w) in s.iter().enumerate() {
            assert_eq!(w.chars().count(), 1);
            if let Some(j) = t.iter().position(|x| x == w) {
                assert_eq!(i, j, "{w} at different indices");
            }
        }
        assert_eq!(zh_index().len(), 2048 * 2 - 1275);
    }

    #[test]
    fn checksum_matches_known_vectors() {
        let idx = |p: &str| {
            p.split(' ')
                .map(|w| en_index(w).unwrap())
                .collect::<Vec<_>>()
        };
        assert!(checksum_ok(idx(VALID12)));
        assert!(!checksum_ok(idx(&VALID12.replace("about", "abandon"))));
        let v24 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";
        assert!(checksum_ok(idx(v24)));
        assert!(checksum_ok(idx(
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
        )));
        assert!(!checksum_ok(idx(
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo"
        )));
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
        let prose =
            "I want to withdraw all my money because the account is locked and nobody will answer";
        assert!(scan_all(prose).is_empty());
        assert!(seed_findings("abandon ability able about above absent").is_empty());
    }

    #[test]
    fn chinese_phrase_glued_to_a_seed_word() {
        let words = "师乘剥恐逮事甚享锻仲液字";
        let spaced = words
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" ");
        for (t, want) in [
            (format!("助记词是{words}"), words.to_string()),
            (format!("我的助记词为{words}，谢谢"), words.to_string()),
            (format!("{words}这是我的助记词"), words.to_string()),
            (format!("账户种子{words}"), words.to_string()),
            (format!("種子詞：{spaced}"), spaced.clone()),
            (format!("助记词是{spaced}"), spaced.clone()),
        ] {
            let f = scan_all(&t);
            assert_eq!(f.len(), 1, "{t}: {f:?}");
            assert_eq!(f[0].action, GuardAction::Redact);
            assert_eq!(&t[f[0].start..f[0].end], want, "{t}");
        }
        // Bad checksum: a warning, the same span.
        let bad = "师乘剥恐逮事甚享锻仲液子";
        let t = format!("助记词是{bad}");
        let f = scan_all(&t);
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        assert_eq!(f[0].action, GuardAction::Warn);
        // Without a seed word a long block is left alone.
        assert!(scan_all(&format!("你好{words}")).is_empty());
    }

    #[test]
    fn chinese_prose_is_not_a_phrase() {
        for t in [
            "我的提现还没有到账请帮我查一下",
            "你好，我的账户被冻结了，请问怎么办？已经等了两个小时了，还是没有人回复我。",
            "我想问一下为什么我的充值一直没有到账，是不是网络有问题",
            "网络选择错误导致资产丢失怎么办",
            "资金安全问题请联系官方客服处理",
            "实名认证上传照片总是失败",
            // Typed with a space between characters.
            "我 想 问 一 下 提 币 为 什 么 一 直 没 到 账",
            "请 问 你 们 这 个 平 台 是 不 是 要 先 实 名 才 能 充 值",
        ] {
            assert!(scan_all(t).is_empty(), "{t}: {:?}", scan_all(t));
        }
    }

    #[test]
    fn escaped_line_breaks_separate_words() {
        // A multi-line paste that reaches the scanner on one line.
        for sep in ["\\n", "\\r\\n", "\\t", " \\n "] {
            let t = VALID12.split(' ').collect::<Vec<_>>().join(sep);
            let f = scan_all(&t);
            assert_eq!(f.len(), 1, "{t}: {f:?}");
            assert_eq!(f[0].action, GuardAction::Redact);
            assert_eq!((f[0].start, f[0].end), (0, t.len()), "{t}");
        }
        let t = format!("seed:\\n{}", VALID12.replace(' ', "\\n"));
        let f = scan_all(&t);
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        assert_eq!(&t[f[0].start..f[0].end], VALID12.replace(' ', "\\n"));
        // Two valid phrases, one escaped line each, are redacted whole.
        let t = format!("{VALID12}\\n{VALID12}");
        let f = scan_all(&t);
        assert!(f.iter().all(|x| x.action == GuardAction::Redact), "{f:?}");
        assert_eq!(f.first().map(|x| x.start), Some(0));
        assert_eq!(f.last().map(|x| x.end), Some(t.len()));
    }
}

//! Folding a sentence into the forms the outbound rules match against.
//!
//! A scammer who knows the guard is keyword based writes around the
//! keywords: `ｓｅｅｄ ｐｈｒａｓｅ` (full-width), `ѕееd` (Cyrillic letters
//! that look Latin), `se\u{200b}ed` (a zero-width space), `s e e d`,
//! `s.e.e.d`, `pass word`, `private_key`, `助 记 词`, `s33d phr4se`. Every
//! one of them reads the same to the customer, so the guard reads them the
//! same too: [`variants`] returns the sentence folded to lower-case Latin
//! (compatibility decomposition, marks and invisible characters dropped,
//! homoglyphs mapped, spelled-out letters and split CJK words joined), plus
//! the same text with digit-for-letter substitutions undone when a token
//! mixes the two. The rules run on each variant; a sentence is blocked when
//! any variant is.
//!
//! Only matching sees these strings: the violation's span is always the
//! original sentence's.

use crate::triage::features::is_han as is_cjk;
use unicode_normalization::UnicodeNormalization;

/// The folded sentence, and its de-leeted form when that differs.
pub(super) fn variants(sentence: &str) -> Vec<String> {
    let folded = join_split_words(&fold_chars(sentence));
    let deleeted = undo_leet(&folded);
    if deleeted == folded {
        vec![folded]
    } else {
        vec![folded, deleeted]
    }
}

/// NFKD (full-width and mathematical letters become ASCII, ligatures split),
/// combining marks and invisible format characters dropped, look-alike
/// Cyrillic and Greek letters mapped to Latin, then lower-cased.
fn fold_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_mark(c) || is_invisible(c) {
            continue;
        }
        let c = homoglyph(c).unwrap_or(c);
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => out.push('\''),
            '\u{201c}' | '\u{201d}' => out.push('"'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036f}'
        | '\u{1ab0}'..='\u{1aff}'
        | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}'
        | '\u{fe20}'..='\u{fe2f}')
}

/// Characters that render as nothing: zero-width spaces and joiners,
/// bidirectional controls, the soft hyphen, variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}'
        | '\u{034f}'
        | '\u{061c}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}')
}

/// Cyrillic and Greek letters that look like a Latin one (upper and lower
/// case), the usual spoofing set.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' | 'ε' | 'Ε' => 'e',
        'һ' | 'Һ' | 'н' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'γ' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// Separators a scammer puts between the letters of a word.
fn is_spacer(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '.' | '-' | '_' | '*' | '/' | '|' | '+' | '~' | '·' | '•' | '\u{30fb}'
    )
}

/// Joins words written apart: three or more single letters separated by
/// spacers (`s e e d`, `s.e.e.d`, `p-a-s-s`) become one word, and spacers
/// between two CJK characters go (`助 记 词`, `私-钥`), since Chinese is not
/// written with spaces.
fn join_split_words(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((letters, next)) = spelled_out(&chars, i) {
            out.push_str(&letters);
            i = next;
            continue;
        }
        let c = chars[i];
        if is_cjk(c) {
            out.push(c);
            let mut j = i + 1;
            while j < chars.len() && is_spacer(chars[j]) {
                j += 1;
            }
            i = if j > i + 1 && j < chars.len() && is_cjk(chars[j]) {
                j
            } else {
                i + 1
            };
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A run of at least three standalone letters, each separated from the next
/// by one to three spacers, starting at `i`: the letters and the index after
/// the run.
fn spelled_out(chars: &[char], i: usize) -> Option<(String, usize)> {
    let standalone = |k: usize| {
        chars.get(k).is_some_and(|c| c.is_ascii_alphabetic())
            && (k == 0 || !chars[k - 1].is_alphanumeric())
            && chars.get(k + 1).is_none_or(|c| !c.is_alphanumeric())
    };
    if !standalone(i) {
        return None;
    }
    let mut letters = String::from(chars[i]);
    let mut end = i + 1;
    loop {
        let mut j = end;
        while j < chars.len() && j - end < 3 && is_spacer(chars[j]) {
            j += 1;
        }
        if j == end || !standalone(j) {
            break;
        }
        letters.push(chars[j]);
        end = j + 1;
    }
    (letters.len() >= 3).then_some((letters, end))
}

/// Undoes digit-for-letter writing (`s33d`, `pr1vate`, `p@$$w0rd`) in
/// tokens that mix letters with those digits or symbols; tokens of digits
/// alone (amounts, "12 words") are left as they are.
fn undo_leet(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for token in s.split_inclusive(char::is_whitespace) {
        let has_letter = token.chars().any(|c| c.is_ascii_alphabetic());
        let has_leet = token.chars().any(|c| leet(c).is_some());
        if has_letter && has_leet {
            out.extend(token.chars().map(|c| leet(c).unwrap_or(c)));
        } else {
            out.push_str(token);
        }
    }
    out
}

fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> String {
        variants(s).join(" | ")
    }

    #[test]
    fn disguises_fold_to_plain_words() {
        for (disguised, plain) in [
            ("ｓｅｅｄ　ｐｈｒａｓｅ", "seed phrase"),
            ("ѕееd phrase", "seed phrase"),
            ("se\u{200b}ed phr\u{00ad}ase", "seed phrase"),
            ("s e e d phrase", "seed phrase"),
            ("s.e.e.d phrase", "seed phrase"),
            ("p-a-s-s-w-o-r-d", "password"),
            ("S * E * E * D", "seed"),
            ("𝐬𝐞𝐞𝐝 𝐩𝐡𝐫𝐚𝐬𝐞", "seed phrase"),
            ("séed phrâse", "seed phrase"),
            ("助 记 词", "助记词"),
            ("私-钥", "私钥"),
            ("s33d phr4se", "seed phrase"),
            ("p@$$w0rd", "password"),
            ("Ｓｅｎｄ ｍｅ", "send me"),
        ] {
            assert!(
                all(disguised).contains(plain),
                "{disguised}: {}",
                all(disguised)
            );
        }
    }

    #[test]
    fn ordinary_text_keeps_its_words() {
        assert_eq!(all("Send 0.5 ETH"), "send 0.5 eth");
        assert_eq!(all("I am a user"), "i am a user");
        assert_eq!(all("12 words"), "12 words");
        assert_eq!(all("您好，请稍等"), "您好,请稍等");
    }
}

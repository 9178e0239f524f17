//! Language detection by script and character statistics.
//!
//! - Han characters (without a significant share of kana) that are at least
//!   half as many as the Latin letters → `zh`. Chinese packs a word into one
//!   or two characters, so "我的USDT提币没到账" (6 Han, 4 Latin) is Chinese
//!   while "my USDT 提币 has not arrived" (2 Han, 22 Latin) is English.
//! - Kana (Japanese), Hangul, Cyrillic, Thai, Arabic … dominating → `other`.
//! - Latin text → `en` unless words and letters typical of another Latin-script
//!   language outnumber English function words.
//! - No letters at all (empty, digits, emoji) → `other`.

use super::features::{MAX_CHARS, is_han, is_hangul, is_kana};
use crate::model::Language;

/// Common English words: function words plus the support vocabulary.
const EN_WORDS: &[&str] = &[
    "the",
    "a",
    "an",
    "i",
    "my",
    "me",
    "is",
    "are",
    "was",
    "were",
    "to",
    "of",
    "and",
    "or",
    "in",
    "on",
    "for",
    "it",
    "not",
    "no",
    "can",
    "cant",
    "can't",
    "how",
    "what",
    "why",
    "when",
    "do",
    "does",
    "did",
    "didn't",
    "didnt",
    "have",
    "has",
    "with",
    "from",
    "this",
    "that",
    "you",
    "your",
    "please",
    "pls",
    "help",
    "hi",
    "hello",
    "account",
    "withdrawal",
    "withdraw",
    "deposit",
    "still",
    "yet",
    "arrived",
    "received",
    "order",
    "password",
    "login",
    "log",
    "wallet",
    "fee",
    "fees",
    "stop",
    "loss",
    "been",
    "be",
    "at",
    "but",
    "by",
    "where",
    "which",
    "should",
    "will",
    "would",
    "got",
    "get",
    "just",
    "now",
    "someone",
    "there",
    "they",
    "we",
    "hacked",
    "freeze",
    "lost",
    "phone",
    "email",
    "verification",
    "tax",
    "taxes",
    "why",
    "am",
    "if",
    "so",
    "after",
    "before",
    "all",
    "any",
    "out",
    "up",
];

/// Function words of other Latin-script languages common among exchange users.
const OTHER_WORDS: &[&str] = &[
    // es
    "el",
    "la",
    "los",
    "las",
    "mi",
    "mis",
    "de",
    "del",
    "que",
    "y",
    "en",
    "por",
    "para",
    "con",
    "no",
    "es",
    "un",
    "una",
    "cómo",
    "como",
    "hace",
    "cuenta",
    "todavía",
    "ha",
    "pongo",
    "fue",
    "configurar",
    "qué",
    "cuál",
    "puedo",
    "quiero",
    "tengo",
    "dinero",
    "billetera",
    // pt
    "meu",
    "minha",
    "não",
    "nao",
    "foi",
    "conta",
    "fazer",
    "na",
    "do",
    "da",
    "um",
    "uma",
    // fr
    "le",
    "les",
    "mon",
    "ma",
    "mes",
    "est",
    "pas",
    "je",
    "compte",
    "il",
    "vous",
    "toujours",
    "dois",
    "comment",
    "été",
    "s'il",
    "plaît", // de
    "der",
    "die",
    "das",
    "ist",
    "nicht",
    "ich",
    "mein",
    "meine",
    "mich",
    "und",
    "wie",
    "wurde",
    "konto",
    "noch",
    "bitte",
    "auf",
    "muss",
    "welche",
    "ihr",
    "wir",
    "sie",
    "habe",
    "kann",
    "mit",
    "für",
    "von",
    "zu",
    "ein",
    "eine",
    "einen",
    "setze",
    "empfehlt",
    "meinen",
    "ausgeführt", // it
    "il",
    "di",
    "che",
    "è",
    "sono",
    "mio",
    "non",
    "ancora",
    "qualcuno", // nl
    "het",
    "een",
    "niet",
    "mijn", // tr
    "ve",
    "bir",
    "hesabım",
    "lütfen",
    "henüz",
    "gelmedi", // vi
    "của",
    "tôi",
    "không",
    "chưa",
    "được",
    "và",
    "bị",
    "hãy",
    "tài",
    "khoản", // pl
    "nie",
    "się",
    "mogę",
    "jest", // id
    "saya",
    "tidak",
    "belum",
    "dan",
    "yang",
];

/// Latin letters with diacritics that English text does not use.
fn is_foreign_latin(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF) && c != '×' && c != '÷'
}

pub fn detect_language(text: &str) -> Language {
    let mut han = 0usize;
    let mut kana = 0usize;
    let mut hangul = 0usize;
    let mut latin = 0usize;
    let mut foreign_latin = 0usize;
    let mut other_script = 0usize;
    for c in text.chars().take(MAX_CHARS) {
        if is_han(c) {
            han += 1;
        } else if is_kana(c) {
            kana += 1;
        } else if is_hangul(c) {
            hangul += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        } else if is_foreign_latin(c) {
            latin += 1;
            foreign_latin += 1;
        } else if c.is_alphabetic() {
            // Cyrillic, Greek, Thai, Arabic, Hebrew, Devanagari …
            other_script += 1;
        } else if matches!(c as u32, 0x0E00..=0x0E7F) {
            // Thai vowel signs and tone marks are not alphabetic.
            other_script += 1;
        }
    }
    let cjk_foreign = kana + hangul;
    let letters = han + kana + hangul + latin + other_script;
    if letters == 0 {
        return Language::Other;
    }
    // Japanese: kana present in a real share (Chinese text almost never
    // carries kana; a stray の does not flip it).
    if kana >= 2 && kana * 4 >= han {
        return Language::Other;
    }
    if han > 0 && han * 2 >= latin && han >= hangul + other_script {
        return Language::Zh;
    }
    // Another script carrying at least a third of the letters: Latin there is
    // usually brand names and crypto terms ("потерял доступ к google
    // authenticator").
    if (cjk_foreign + other_script) * 2 >= latin + han && cjk_foreign + other_script > 0 {
        return Language::Other;
    }
    if latin == 0 {
        return if han > 0 {
            Language::Zh
        } else {
            Language::Other
        };
    }
    // Latin script: English or another language?
    let mut en = 0usize;
    let mut oth = 0usize;
    let lower: String = text
        .chars()
        .take(MAX_CHARS)
        .flat_map(char::to_lowercase)
        .collect();
    for w in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        if w.is_empty() {
            continue;
        }
        let e = EN_WORDS.contains(&w);
        let o = OTHER_WORDS.contains(&w);
        if e && !o {
            en += 2;
        } else if o && !e {
            oth += 2;
        } else if e && o {
            en += 1;
            oth += 1;
        }
    }
    // Diacritics are strong evidence of a non-English Latin language.
    oth += foreign_latin.min(6);
    if oth > en || (oth >= 4 && oth == en) {
        Language::Other
    } else {
        Language::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(detect_language("我的USDT提币没到账"), Language::Zh);
        assert_eq!(detect_language("USDT TRC20 提币一直没到账"), Language::Zh);
        assert_eq!(
            detect_language("my USDT withdrawal has not arrived"),
            Language::En
        );
        assert_eq!(
            detect_language("my usdt 提币 has not arrived yet"),
            Language::En
        );
        assert_eq!(
            detect_language("出金したUSDTがまだ届いていません"),
            Language::Other
        );
        assert_eq!(detect_language("로그인이 안 돼요"), Language::Other);
        assert_eq!(detect_language("не могу войти в аккаунт"), Language::Other);
        assert_eq!(
            detect_language("Mi retiro de USDT no ha llegado todavía"),
            Language::Other
        );
        assert_eq!(detect_language("mein Konto wurde gehackt"), Language::Other);
        assert_eq!(detect_language(""), Language::Other);
        assert_eq!(detect_language("🙂🙂"), Language::Other);
        assert_eq!(detect_language("USDT TRC20"), Language::En);
        assert_eq!(
            detect_language("потерял доступ к google authenticator"),
            Language::Other
        );
        assert_eq!(
            detect_language("my withdrawal to Сбербанк failed"),
            Language::En
        );
    }
}

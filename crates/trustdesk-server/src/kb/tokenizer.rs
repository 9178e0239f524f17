//! Analyzers for the knowledge-base index.
//!
//! Chinese: jieba-rs in search mode with a crypto-support dictionary added,
//! so `未到账` is one word that also yields `到账`, and `谷歌验证器`,
//! `助记词`, `提币` are never split into meaningless halves. Latin words
//! inside Chinese text (USDT, TRC20) come out whole and lowercased.
//!
//! We implement tantivy's `Tokenizer` over an `Arc<Jieba>` instead of using
//! tantivy-jieba's tokenizer: tantivy clones a tokenizer for every query and
//! indexing thread, and tantivy-jieba's custom-dictionary variant owns its
//! `Jieba` by value, which would copy the whole dictionary each time.
//!
//! The general dictionary is `zh_dict.txt`: the 60,000 most frequent
//! entries of jieba's own (349,045 entries, the one jieba-rs 0.11 embeds;
//! MIT), sorted by word. The whole one cost 30 MB of memory for words a
//! support desk's articles and questions almost never hold; words outside
//! it still segment through jieba's HMM, and the domain words below are
//! added either way. (Made with `sort -k2,2nr -t' ' dict.txt | head -60000
//! | sort`.)
//!
//! English: tantivy's simple tokenizer, lowercased, Porter-stemmed.

use jieba_rs::{Jieba, TokenizeMode};
use std::sync::{Arc, OnceLock};
use tantivy::tokenizer::{
    Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    Token, TokenStream, Tokenizer,
};

/// `word frequency tag` per line (see the module's comment).
const GENERAL_DICTIONARY: &str = include_str!("zh_dict.txt");

pub const ZH: &str = "td_zh";
pub const EN: &str = "td_en";

/// Words of crypto customer support that the general dictionary lacks or
/// splits badly. Frequencies are left to jieba's default for new words.
pub const DOMAIN_WORDS: &[&str] = &[
    "提币",
    "提现",
    "充值",
    "充币",
    "到账",
    "未到账",
    "没到账",
    "不到账",
    "链上",
    "上链",
    "区块确认",
    "确认数",
    "交易哈希",
    "哈希值",
    "谷歌验证器",
    "谷歌验证码",
    "身份验证器",
    "验证码",
    "二次验证",
    "双重验证",
    "助记词",
    "私钥",
    "公钥",
    "钱包地址",
    "提币地址",
    "充值地址",
    "地址白名单",
    "防钓鱼码",
    "冻结账户",
    "账户冻结",
    "解冻",
    "实名认证",
    "身份认证",
    "人脸识别",
    "合约",
    "永续合约",
    "资金费率",
    "爆仓",
    "强平",
    "止盈",
    "止损",
    "止盈止损",
    "限价单",
    "市价单",
    "挂单",
    "吃单",
    "手续费",
    "冷钱包",
    "热钱包",
    "硬件钱包",
    "多签",
    "托管",
    "自托管",
    "主网",
    "测试网",
    "跨链",
    "转错链",
    "充错链",
    "旅行规则",
    "反洗钱",
    "税务报告",
    "交易记录",
    "资金来源",
    "客服",
    "人工客服",
    "转人工",
    "被盗",
    "盗号",
    "钓鱼网站",
    "假客服",
    "冒充客服",
    "远程控制",
    "异地登录",
    "杀猪盘",
    "出金",
    "入金",
    "法币",
    "场外交易",
];

fn domain_jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA
        .get_or_init(|| {
            let mut jieba =
                Jieba::with_dict(&mut GENERAL_DICTIONARY.as_bytes()).unwrap_or_else(|e| {
                    // Compiled in and loaded by the tests: cannot happen.
                    tracing::error!(error = %e, "the Chinese dictionary does not load");
                    Jieba::empty()
                });
            for word in DOMAIN_WORDS {
                jieba.add_word(word, None, None);
            }
            Arc::new(jieba)
        })
        .clone()
}

#[derive(Clone)]
pub struct DomainJieba {
    jieba: Arc<Jieba>,
}

impl DomainJieba {
    pub fn new() -> Self {
        Self {
            jieba: domain_jieba(),
        }
    }

    /// The words jieba finds in `text`, for tests and diagnostics.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut stream = self.clone().token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }
}

impl Default for DomainJieba {
    fn default() -> Self {
        Self::new()
    }
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for DomainJieba {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream(&mut self, text: &str) -> VecTokenStream {
        // jieba reports char positions; tantivy wants byte offsets.
        let mut byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        byte_at.push(text.len());
        let mut tokens = Vec::new();
        for (position, t) in self
            .jieba
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .enumerate()
        {
            if !t.word.chars().any(char::is_alphanumeric) {
                continue; // spaces and punctuation are not words
            }
            let (Some(&from), Some(&to)) = (byte_at.get(t.start), byte_at.get(t.end)) else {
                continue;
            };
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: t.word.to_owned(),
                position_length: 1,
            });
        }
        VecTokenStream { tokens, index: 0 }
    }
}

pub fn zh_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(DomainJieba::new())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

pub fn en_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(StemLanguage::English))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_words_stay_whole_and_negations_still_match() {
        let jieba = DomainJieba::new();
        let words = jieba.words("我的USDT提币还没到账，谷歌验证器丢了");
        for expected in ["提币", "谷歌验证器", "没到账", "到账", "USDT"] {
            assert!(
                words.iter().any(|w| w == expected),
                "{expected} missing in {words:?}"
            );
        }
        let words = jieba.words("充值未到账");
        assert!(
            words.contains(&"未到账".to_string()) && words.contains(&"到账".to_string()),
            "{words:?}"
        );
    }

    #[test]
    fn the_general_dictionary_loads_whole() {
        let jieba = Jieba::with_dict(&mut GENERAL_DICTIONARY.as_bytes()).unwrap();
        for word in [
            "账户", "交易", "地址", "验证", "冻结", "诈骗", "提供", "密码",
        ] {
            assert!(jieba.has_word(word), "{word} is not in the dictionary");
        }
        let words = DomainJieba::new().words("如何开启二次验证并修改登录密码");
        for expected in ["开启", "验证", "修改", "登录", "密码"] {
            assert!(
                words.iter().any(|w| w == expected),
                "{expected} missing in {words:?}"
            );
        }
    }

    #[test]
    fn offsets_are_bytes_on_char_boundaries() {
        let text = "助记词 seed 备份";
        let mut analyzer = zh_analyzer();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
            assert_eq!(text[t.offset_from..t.offset_to].to_lowercase(), t.text);
        }
    }

    #[test]
    fn english_is_stemmed() {
        let mut analyzer = en_analyzer();
        let mut stream = analyzer.token_stream("Withdrawals pending");
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        assert_eq!(words, vec!["withdraw", "pend"]);
    }
}

//! The knowledge-base search index: tantivy in memory, rebuilt from the
//! store at start and kept current on every article change. Only published
//! articles are indexed. Customer messages never enter this index.

pub mod import;
pub mod routes;
pub mod tokenizer;

use serde::Serialize;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use trustdesk_core::kb::{Article, plain_text};
use trustdesk_core::{ArticleId, Category, Language};

/// Longest query we analyse; longer input is cut (at a char boundary).
pub const MAX_QUERY_CHARS: usize = 500;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    slug: Field,
    title: Field,
    locale: Field,
    category: Field,
    title_zh: Field,
    body_zh: Field,
    title_en: Field,
    body_en: Field,
}

pub struct KbIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

/// One search result.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    #[schema(value_type = String)]
    pub id: ArticleId,
    pub slug: String,
    #[schema(value_type = String)]
    pub locale: Language,
    #[schema(value_type = String)]
    pub category: Category,
    pub title: String,
    /// BM25 relevance; comparable only within one query.
    pub score: f32,
    /// A plain-text excerpt around the matched words.
    pub snippet: String,
    /// Byte ranges of the matched words inside `snippet`, for highlighting
    /// (render the snippet as text, never as HTML).
    pub highlights: Vec<[usize; 2]>,
}

#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct KbError(String);

impl From<tantivy::TantivyError> for KbError {
    fn from(e: tantivy::TantivyError) -> Self {
        Self(e.to_string())
    }
}

fn text_field(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

impl KbIndex {
    pub fn new() -> Result<Self, KbError> {
        let mut schema = Schema::builder();
        let fields = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            slug: schema.add_text_field("slug", STORED),
            title: schema.add_text_field("title", STORED),
            locale: schema.add_text_field("locale", STRING | STORED),
            category: schema.add_text_field("category", STRING | STORED),
            title_zh: schema.add_text_field("title_zh", text_field(tokenizer::ZH)),
            // Bodies are stored too: snippets are cut from them.
            body_zh: schema.add_text_field("body_zh", text_field(tokenizer::ZH).set_stored()),
            title_en: schema.add_text_field("title_en", text_field(tokenizer::EN)),
            body_en: schema.add_text_field("body_en", text_field(tokenizer::EN).set_stored()),
        };
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register(tokenizer::ZH, tokenizer::zh_analyzer());
        index
            .tokenizers()
            .register(tokenizer::EN, tokenizer::en_analyzer());
        // One indexing thread with tantivy's minimum arena: articles are
        // few and small; search speed matters, not bulk indexing.
        let writer = index.writer_with_num_threads(1, 15_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    /// Replaces the whole index with these articles.
    pub fn rebuild(&self, articles: &[Article]) -> Result<(), KbError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| KbError("writer poisoned".into()))?;
        writer.delete_all_documents()?;
        for article in articles.iter().filter(|a| a.published) {
            writer.add_document(self.document(article))?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds, replaces or (when unpublished) removes one article.
    pub fn upsert(&self, article: &Article) -> Result<(), KbError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| KbError("writer poisoned".into()))?;
        writer.delete_term(Term::from_field_text(
            self.fields.id,
            &article.id.to_string(),
        ));
        if article.published {
            writer.add_document(self.document(article))?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, a: &Article) -> TantivyDocument {
        let f = self.fields;
        let (title, body) = match a.locale {
            Language::Zh => (f.title_zh, f.body_zh),
            _ => (f.title_en, f.body_en),
        };
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, a.id.to_string());
        doc.add_text(f.slug, &a.slug);
        doc.add_text(f.title, &a.title);
        doc.add_text(f.locale, a.locale.as_str());
        doc.add_text(f.category, a.category.as_str());
        // Tags count like title words: authors use them for the terms
        // customers type.
        doc.add_text(title, format!("{} {}", a.title, a.tags.join(" ")));
        doc.add_text(body, plain_text(&a.body));
        doc
    }

    /// Searches published articles, optionally in one locale, each hit
    /// with an excerpt around the matched words. Query syntax errors never
    /// fail: the query is read leniently as words.
    pub fn search(
        &self,
        query: &str,
        locale: Option<Language>,
        limit: usize,
    ) -> Result<Vec<Hit>, KbError> {
        self.find(query, locale, limit, Excerpt::AroundMatches)
    }

    /// Like [`search`](Self::search), with each article's opening lines as
    /// its excerpt (no highlights): what the answer bot shows under a
    /// suggested title, as help-desk answer bots do. It costs no pass over
    /// the bodies; cutting an excerpt around the matches stems every word
    /// of each hit's body, which was the largest single cost of opening a
    /// conversation.
    pub fn suggest(
        &self,
        query: &str,
        locale: Language,
        limit: usize,
    ) -> Result<Vec<Hit>, KbError> {
        self.find(query, Some(locale), limit, Excerpt::Opening)
    }

    fn find(
        &self,
        query: &str,
        locale: Option<Language>,
        limit: usize,
        excerpt: Excerpt,
    ) -> Result<Vec<Hit>, KbError> {
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![f.title_zh, f.body_zh, f.title_en, f.body_en],
        );
        parser.set_field_boost(f.title_zh, 2.0);
        parser.set_field_boost(f.title_en, 2.0);
        // Segment first: tantivy's parser splits the query on whitespace
        // only, and would turn an unspaced Chinese sentence into one phrase
        // query that must match word for word. As separate words, each
        // matches on its own and BM25 ranks by how many and how rare.
        let words = tokenizer::DomainJieba::new()
            .words(&sanitize(&query))
            .join(" ");
        let (parsed, _errors) = parser.parse_query_lenient(&words);
        let query: Box<dyn Query> = match locale {
            None => parsed,
            Some(l) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, parsed),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.locale, l.as_str()),
                        IndexRecordOption::Basic,
                    )),
                ),
            ])),
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.clamp(1, 50)).order_by_score(),
        )?;
        // A snippet generator looks up every query term's statistics when
        // it is made: only make the ones the hits need (one, with a locale).
        let mut snippets_zh: Option<SnippetGenerator> = None;
        let mut snippets_en: Option<SnippetGenerator> = None;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let locale: Language = text(f.locale).parse().unwrap_or(Language::Other);
            let Ok(id) = text(f.id).parse() else { continue };
            let Ok(category) = text(f.category).parse() else {
                continue;
            };
            let body = || {
                text(if locale == Language::Zh {
                    f.body_zh
                } else {
                    f.body_en
                })
            };
            let (snippet, highlights) = match excerpt {
                Excerpt::Opening => {
                    let chars = if locale == Language::Zh {
                        OPENING_CHARS_ZH
                    } else {
                        OPENING_CHARS_EN
                    };
                    (opening(&body(), chars), Vec::new())
                }
                Excerpt::AroundMatches => {
                    let (slot, field, chars) = match locale {
                        Language::Zh => (&mut snippets_zh, f.body_zh, 160),
                        _ => (&mut snippets_en, f.body_en, 240),
                    };
                    let generator = match slot {
                        Some(g) => g,
                        None => {
                            let mut g = SnippetGenerator::create(&searcher, &*query, field)?;
                            g.set_max_num_chars(chars);
                            slot.insert(g)
                        }
                    };
                    let snippet = generator.snippet_from_doc(&doc);
                    let highlights = snippet
                        .highlighted()
                        .iter()
                        .map(|r| [r.start, r.end])
                        .collect();
                    let fragment = snippet.fragment();
                    let fragment = if fragment.is_empty() {
                        body().chars().take(160).collect()
                    } else {
                        fragment.to_owned()
                    };
                    (fragment, highlights)
                }
            };
            hits.push(Hit {
                id,
                slug: text(f.slug),
                locale,
                category,
                title: text(f.title),
                score,
                highlights,
                snippet,
            });
        }
        Ok(hits)
    }
}

/// Which excerpt a hit carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Excerpt {
    AroundMatches,
    Opening,
}

/// Most characters of an article's opening lines shown under a suggestion.
const OPENING_CHARS_ZH: usize = 120;
const OPENING_CHARS_EN: usize = 240;

/// The first paragraph of a body that is prose (heading lines left out),
/// cut to at most `max_chars` at a word or sentence boundary, with "…"
/// when cut.
fn opening(body: &str, max_chars: usize) -> String {
    let body = body.replace("\r\n", "\n");
    let paragraph = body
        .split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .find(|p| !p.trim().is_empty())
        .unwrap_or_default();
    let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max_chars {
        return line;
    }
    let cut: String = line.chars().take(max_chars).collect();
    // Back to the last space or CJK sentence mark, unless that loses most of it.
    let end = cut
        .char_indices()
        .filter(|(_, c)| c.is_whitespace() || matches!(c, '，' | '。' | '；' | '、'))
        .map(|(i, c)| {
            if c.is_whitespace() {
                i
            } else {
                i + c.len_utf8()
            }
        })
        .next_back()
        .filter(|&i| i >= cut.len() / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

/// Query text as words only: tantivy's query syntax (`field:`, quotes,
/// `+`/`-`, parentheses, ranges) is for operators, not customers.
fn sanitize(query: &str) -> String {
    query
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::opening;

    #[test]
    fn the_opening_is_the_first_prose_paragraph_cut_at_a_boundary() {
        let body = "## Before you start\n\nYou sent crypto to your deposit address\nbut the balance has not changed.\n\nSecond paragraph.";
        assert_eq!(
            opening(body, 200),
            "You sent crypto to your deposit address but the balance has not changed."
        );
        // Cut at the last space that fits, never inside a word.
        assert_eq!(opening(body, 30), "You sent crypto to your…");
        // Chinese has no spaces: cut after the last sentence mark that fits.
        assert_eq!(
            opening(
                "充值未到账，请先确认区块确认数。然后联系客服提供交易哈希。",
                20
            ),
            "充值未到账，请先确认区块确认数。…"
        );
        assert_eq!(opening("# Only a heading", 50), "");
        // A heading glued to its paragraph, and Windows line ends.
        assert_eq!(
            opening("## Steps\r\nCheck the txid.\r\n\r\nMore.", 50),
            "Check the txid."
        );
    }
}

//! Knowledge-base articles and their markdown-with-front-matter form.
//!
//! An article file looks like:
//!
//! ```text
//! ---
//! title: Deposit not credited
//! slug: deposit-not-credited
//! category: transfer
//! locale: en
//! tags: [deposit, confirmations, txid]
//! published: true
//! ---
//! (markdown body)
//! ```
//!
//! `(locale, slug)` identifies an article: importing the same file again
//! updates it.

use crate::ids::ArticleId;
use crate::model::{Category, Language};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 50_000;
pub const MAX_TAGS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    pub slug: String,
    pub locale: Language,
    pub category: Category,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub tags: Vec<String>,
    pub published: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The author-controlled fields of an article, validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleDraft {
    pub slug: String,
    pub locale: Language,
    pub category: Category,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "published_default")]
    pub published: bool,
}

fn published_default() -> bool {
    true
}

/// Why an article was refused. The text is safe to show to its author.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("the file has no front matter (a block between two `---` lines at the top)")]
    NoFrontMatter,
    #[error("front matter line {line}: {problem}")]
    FrontMatter { line: usize, problem: String },
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(String),
}

impl ArticleDraft {
    /// Checks limits and formats; trims text fields.
    pub fn validated(mut self) -> Result<Self, ArticleError> {
        self.title = self.title.trim().to_owned();
        self.body = self.body.trim().to_owned();
        self.slug = self.slug.trim().to_owned();
        if self.title.is_empty() || self.title.chars().count() > MAX_TITLE_CHARS {
            return Err(ArticleError::Invalid(format!(
                "title must have 1 to {MAX_TITLE_CHARS} characters"
            )));
        }
        if self.body.is_empty() || self.body.chars().count() > MAX_BODY_CHARS {
            return Err(ArticleError::Invalid(format!(
                "body must have 1 to {MAX_BODY_CHARS} characters"
            )));
        }
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 100
            && self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return Err(ArticleError::Invalid(
                "slug must be 1 to 100 characters of a-z, 0-9 and -".into(),
            ));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(ArticleError::Invalid(format!("at most {MAX_TAGS} tags")));
        }
        for tag in &mut self.tags {
            *tag = tag.trim().to_owned();
            if tag.is_empty() || tag.chars().count() > 40 || tag.chars().any(char::is_control) {
                return Err(ArticleError::Invalid(
                    "tags must have 1 to 40 characters".into(),
                ));
            }
        }
        Ok(self)
    }

    /// Parses a markdown file with front matter.
    pub fn parse(text: &str) -> Result<Self, ArticleError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, first)) if first.trim_end() == "---" => {}
            _ => return Err(ArticleError::NoFrontMatter),
        }
        let (mut title, mut slug, mut category, mut locale, mut tags, mut published) =
            (None, None, None, None, Vec::new(), true);
        let mut body_start = None;
        for (index, line) in lines.by_ref() {
            let line_no = index + 1;
            if line.trim_end() == "---" {
                body_start = Some(index + 1);
                break;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| ArticleError::FrontMatter {
                    line: line_no,
                    problem: "expected `key: value`".into(),
                })?;
            let value = unquote(value.trim());
            let bad = |what: &str| ArticleError::FrontMatter {
                line: line_no,
                problem: format!("invalid {what}: {value:?}"),
            };
            match key.trim() {
                "title" => title = Some(value.to_owned()),
                "slug" => slug = Some(value.to_owned()),
                "category" => {
                    category = Some(value.parse::<Category>().map_err(|_| bad("category"))?)
                }
                "locale" => locale = Some(value.parse::<Language>().map_err(|_| bad("locale"))?),
                "published" => {
                    published = match value {
                        "true" | "yes" => true,
                        "false" | "no" => false,
                        _ => return Err(bad("published")),
                    }
                }
                "tags" => {
                    let inner = value
                        .strip_prefix('[')
                        .and_then(|v| v.strip_suffix(']'))
                        .ok_or_else(|| bad("tags"))?;
                    tags = inner
                        .split(',')
                        .map(|t| unquote(t.trim()).to_owned())
                        .filter(|t| !t.is_empty())
                        .collect();
                }
                other => {
                    return Err(ArticleError::FrontMatter {
                        line: line_no,
                        problem: format!("unknown key `{other}`"),
                    });
                }
            }
        }
        let body_start = body_start.ok_or(ArticleError::NoFrontMatter)?;
        let body = text.lines().skip(body_start).collect::<Vec<_>>().join("\n");
        ArticleDraft {
            title: title.ok_or(ArticleError::Missing("title"))?,
            slug: slug.ok_or(ArticleError::Missing("slug"))?,
            category: category.ok_or(ArticleError::Missing("category"))?,
            locale: locale.ok_or(ArticleError::Missing("locale"))?,
            tags,
            published,
            body,
        }
        .validated()
    }
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value)
}

/// Plain text of a markdown body, for indexing and snippets: markup
/// characters are dropped, words and line breaks kept.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim_start_matches(['#', '>', ' ', '\t']);
        let line = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .unwrap_or(line);
        out.extend(line.chars().filter(|c| !matches!(c, '*' | '_' | '`' | '|')));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "---\ntitle: Deposit not credited\nslug: deposit-not-credited\ncategory: transfer\nlocale: en\ntags: [deposit, \"txid\"]\npublished: true\n---\n# Heading\n\nBody **text**.\n";

    #[test]
    fn parses_front_matter_and_body() {
        let a = ArticleDraft::parse(SAMPLE).unwrap();
        assert_eq!(a.title, "Deposit not credited");
        assert_eq!(a.slug, "deposit-not-credited");
        assert_eq!(a.category, Category::Transfer);
        assert_eq!(a.locale, Language::En);
        assert_eq!(a.tags, vec!["deposit", "txid"]);
        assert!(a.published);
        assert_eq!(a.body, "# Heading\n\nBody **text**.");
        assert_eq!(plain_text(&a.body).trim(), "Heading\n\nBody text.");
    }

    #[test]
    fn refuses_broken_files_with_a_reason() {
        assert_eq!(
            ArticleDraft::parse("no front matter"),
            Err(ArticleError::NoFrontMatter)
        );
        assert_eq!(
            ArticleDraft::parse("---\ntitle: x\n"),
            Err(ArticleError::NoFrontMatter)
        );
        let bad_cat = SAMPLE.replace("category: transfer", "category: gossip");
        assert!(matches!(
            ArticleDraft::parse(&bad_cat),
            Err(ArticleError::FrontMatter { line: 4, .. })
        ));
        let no_slug = SAMPLE.replace("slug: deposit-not-credited\n", "");
        assert_eq!(
            ArticleDraft::parse(&no_slug),
            Err(ArticleError::Missing("slug"))
        );
        let bad_slug = SAMPLE.replace("slug: deposit-not-credited", "slug: Deposit Not");
        assert!(matches!(
            ArticleDraft::parse(&bad_slug),
            Err(ArticleError::Invalid(_))
        ));
        let unknown = SAMPLE.replace("published: true", "publish: true");
        assert!(matches!(
            ArticleDraft::parse(&unknown),
            Err(ArticleError::FrontMatter { .. })
        ));
    }

    #[test]
    fn the_starter_knowledge_base_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb/starter");
        let mut count = 0;
        for locale in ["en", "zh"] {
            for entry in std::fs::read_dir(root.join(locale)).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let a = ArticleDraft::parse(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(a.locale.as_str(), locale, "{}", path.display());
                count += 1;
            }
        }
        assert!(count >= 60, "{count} articles");
    }
}

//! Importing articles from markdown files with front matter, from a folder
//! (`trustdesk kb import DIR`) or from the starter knowledge base embedded
//! in the binary (demo mode).

use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};
use trustdesk_core::Timestamp;
use trustdesk_core::kb::{ArticleDraft, ArticleError};
use trustdesk_store::Store;

/// The starter knowledge base shipped with trustdesk (zh + en).
pub static STARTER: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../kb/starter");

#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// Markdown files without front matter (e.g. an index page).
    pub skipped: usize,
    pub failed: Vec<(PathBuf, String)>,
}

async fn import_one(
    store: &dyn Store,
    report: &mut ImportReport,
    path: &Path,
    text: &str,
) -> anyhow::Result<()> {
    match ArticleDraft::parse(text) {
        Ok(draft) => {
            store
                .upsert_article(&draft, Timestamp::now())
                .await
                .map_err(|e| anyhow::anyhow!("store: {e}"))?;
            report.imported += 1;
        }
        Err(ArticleError::NoFrontMatter) => report.skipped += 1,
        Err(e) => report.failed.push((path.to_path_buf(), e.to_string())),
    }
    Ok(())
}

/// Imports every `.md` file under `dir`, recursively, in path order.
pub async fn import_dir(store: &dyn Store, dir: &Path) -> anyhow::Result<ImportReport> {
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    files.sort();
    let mut report = ImportReport::default();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => import_one(store, &mut report, &path, &text).await?,
            Err(e) => report
                .failed
                .push((path, format!("not readable as UTF-8 text: {e}"))),
        }
    }
    Ok(report)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// Imports the embedded starter knowledge base.
pub async fn import_starter(store: &dyn Store) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut files = Vec::new();
    embedded_markdown(&STARTER, &mut files);
    files.sort_by_key(|f| f.path());
    for file in files {
        let text = file.contents_utf8().unwrap_or_default();
        import_one(store, &mut report, file.path(), text).await?;
    }
    Ok(report)
}

fn embedded_markdown<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for sub in dir.dirs() {
        embedded_markdown(sub, out);
    }
    out.extend(
        dir.files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "md")),
    );
}

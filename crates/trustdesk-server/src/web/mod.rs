//! The UI the binary carries: the customer widget (`/widget.js` and the
//! frame it opens, `/widget/frame`), the agent console (`/console`), the
//! demo page (`/demo`) and a landing page (`/`).
//!
//! Everything is plain HTML, CSS and JavaScript embedded at compile time
//! (`include_bytes!`): no Node toolchain to build or run the server. Pages
//! are static; all data arrives through the public API and is inserted as
//! text by the browser, never as HTML, so no page renders user content on
//! the server. Every HTML page gets a strict `Content-Security-Policy` (no
//! inline scripts or styles); only the widget frame may be framed, by the
//! origins in `widget.allowed_origins` (any origin when the list is empty).

use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH,
    REFERRER_POLICY, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../web/", $name)),
        }
    };
}

/// Files under `/assets/`, referenced by the pages. Scripts are ES modules:
/// `lib/` is shared by every page (the protocol client, the outbox, i18n,
/// DOM helpers), `frame/` is the widget frame and `console/` the agent
/// console, one module per view. A test checks that every file in `web/`
/// is listed here or served as a page.
static ASSETS: &[Asset] = &[
    asset!("common.css", CSS),
    asset!("frame.css", CSS),
    asset!("console.css", CSS),
    asset!("demo.css", CSS),
    asset!("verify.css", CSS),
    asset!("logo.svg", SVG),
    asset!("lib/api.js", JS),
    asset!("lib/dom.js", JS),
    asset!("lib/i18n.js", JS),
    asset!("lib/outbox.js", JS),
    asset!("lib/secretcheck.js", JS),
    asset!("lib/socket.js", JS),
    asset!("frame/main.js", JS),
    asset!("frame/state.js", JS),
    asset!("frame/storage.js", JS),
    asset!("frame/chat.js", JS),
    asset!("frame/render.js", JS),
    asset!("frame/rating.js", JS),
    asset!("frame/feedback.js", JS),
    asset!("console/main.js", JS),
    asset!("console/state.js", JS),
    asset!("console/session.js", JS),
    asset!("console/inbox.js", JS),
    asset!("console/conversation.js", JS),
    asset!("console/composer.js", JS),
    asset!("console/details.js", JS),
    asset!("console/actions.js", JS),
    asset!("console/admin.js", JS),
    asset!("console/qa.js", JS),
    asset!("console/webhooks.js", JS),
    asset!("console/reports.js", JS),
    asset!("console/automation.js", JS),
    asset!("console/labels.js", JS),
    asset!("demo.js", JS),
    asset!("verify.js", JS),
    asset!("service.js", JS),
];

static WIDGET_JS: Asset = asset!("widget.js", JS);
static FRAME_HTML: Asset = asset!("frame.html", HTML);
static CONSOLE_HTML: Asset = asset!("console.html", HTML);
static DEMO_HTML: Asset = asset!("demo.html", HTML);
static INDEX_HTML: Asset = asset!("index.html", HTML);
static VERIFY_HTML: Asset = asset!("verify.html", HTML);
static SERVICE_HTML: Asset = asset!("service.html", HTML);

/// Strong ETags, computed once from the embedded bytes.
static ETAGS: LazyLock<Vec<(&'static str, HeaderValue)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .chain([
            &WIDGET_JS,
            &FRAME_HTML,
            &CONSOLE_HTML,
            &DEMO_HTML,
            &INDEX_HTML,
            &VERIFY_HTML,
            &SERVICE_HTML,
        ])
        .map(|a| {
            let digest = Sha256::digest(a.body);
            let tag = format!("\"{}\"", hex::encode(&digest[..12]));
            (
                a.name,
                HeaderValue::from_str(&tag).expect("hex is a valid header"),
            )
        })
        .collect()
});

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/demo", get(demo))
        .route("/console", get(console))
        .route("/verify", get(verify))
        .route("/service", get(service))
        .route("/widget.js", get(widget_js))
        .route("/widget/frame", get(widget_frame))
        .route("/assets/{*name}", get(asset))
}

/// Where a page may be embedded.
enum Framing {
    /// Nowhere (`frame-ancestors 'none'`).
    Deny,
    /// By these CSP source expressions (the widget frame).
    Ancestors(String),
}

/// The policy every HTML page gets: scripts, styles and images from this
/// server only, API calls and the WebSocket to this server only.
fn csp(host: Option<&str>, frames_self: bool, framing: &Framing) -> String {
    // `'self'` covers ws:/wss: in CSP 3, but older engines need them named.
    let connect = match host {
        Some(h) => format!("'self' ws://{h} wss://{h}"),
        None => "'self'".to_owned(),
    };
    let frame_src = if frames_self { "'self'" } else { "'none'" };
    let ancestors = match framing {
        Framing::Deny => "'none'",
        Framing::Ancestors(list) => list.as_str(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src {connect}; frame-src {frame_src}; frame-ancestors {ancestors}; \
         base-uri 'none'; form-action 'self'; object-src 'none'"
    )
}

/// The request's `Host`, when it is a plain host[:port] (it goes into the
/// CSP, so nothing that could end a directive is accepted).
fn safe_host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    ok.then_some(host)
}

/// `frame-ancestors` for the widget frame: the configured origins, or any.
fn widget_ancestors(state: &AppState) -> String {
    let allowed: Vec<&str> = state
        .config
        .widget
        .allowed_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| {
            !o.is_empty()
                && o.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:/[]*".contains(&b))
        })
        .collect();
    if allowed.is_empty() {
        "*".to_owned()
    } else {
        allowed.join(" ")
    }
}

fn etag_of(name: &str) -> Option<&'static HeaderValue> {
    ETAGS.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Serves an embedded file with its type, cache policy and ETag, answering
/// a matching `If-None-Match` with 304.
fn serve(
    asset: &Asset,
    request: &HeaderMap,
    cache: &'static str,
    extra: &[(HeaderName, HeaderValue)],
) -> Response {
    let etag = etag_of(asset.name).cloned();
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(tag) = &etag {
        headers.insert(ETAG, tag.clone());
    }
    for (name, value) in extra {
        headers.insert(name.clone(), value.clone());
    }
    let fresh = match (&etag, request.get(IF_NONE_MATCH)) {
        (Some(tag), Some(sent)) => sent
            .to_str()
            .map(|s| s.split(',').any(|t| t.trim() == tag.to_str().unwrap_or("")))
            .unwrap_or(false),
        _ => false,
    };
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (StatusCode::OK, headers, asset.body).into_response()
}

/// HTML is revalidated on every load (cheap with the ETag), so an upgrade
/// shows at once.
const HTML_CACHE: &str = "no-cache";
/// Styles, images and the loader: a few minutes, then revalidate.
const ASSET_CACHE: &str = "public, max-age=300, must-revalidate";
/// Modules revalidate on every load (a 304 with the ETag): a page's module
/// graph must never mix files of two versions after an upgrade.
const MODULE_CACHE: &str = "no-cache";

fn page(asset: &Asset, request: &HeaderMap, frames_self: bool, framing: Framing) -> Response {
    let policy = csp(safe_host(request), frames_self, &framing);
    let mut extra = vec![
        (
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&policy).expect("the policy is ASCII without controls"),
        ),
        (
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ];
    if matches!(framing, Framing::Deny) {
        extra.push((X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
    }
    serve(asset, request, HTML_CACHE, &extra)
}

async fn index(headers: HeaderMap) -> Response {
    page(&INDEX_HTML, &headers, false, Framing::Deny)
}

async fn demo(headers: HeaderMap) -> Response {
    // The demo page embeds the widget, whose frame comes from this server.
    page(&DEMO_HTML, &headers, true, Framing::Deny)
}

async fn verify(headers: HeaderMap) -> Response {
    page(&VERIFY_HTML, &headers, false, Framing::Deny)
}

async fn service(headers: HeaderMap) -> Response {
    page(&SERVICE_HTML, &headers, false, Framing::Deny)
}

async fn console(headers: HeaderMap) -> Response {
    page(&CONSOLE_HTML, &headers, false, Framing::Deny)
}

async fn widget_frame(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        &FRAME_HTML,
        &headers,
        false,
        Framing::Ancestors(widget_ancestors(&state)),
    )
}

/// The loader an exchange embeds on its own pages: it runs there, so it
/// may be fetched from any origin.
async fn widget_js(headers: HeaderMap) -> Response {
    serve(
        &WIDGET_JS,
        &headers,
        ASSET_CACHE,
        &[(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        )],
    )
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) if asset.content_type == JS => serve(asset, &headers, MODULE_CACHE, &[]),
        Some(asset) => serve(asset, &headers, ASSET_CACHE, &[]),
        None => (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_forbids_inline_script_and_framing() {
        let p = csp(Some("desk.example:8080"), false, &Framing::Deny);
        assert!(p.contains("script-src 'self';"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("wss://desk.example:8080"));
    }

    #[test]
    fn hostile_host_stays_out_of_the_policy() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("evil; script-src *"));
        assert_eq!(safe_host(&headers), None);
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(safe_host(&headers), Some("127.0.0.1:8080"));
    }

    /// A module added to `web/` but not to [`ASSETS`] would 404 in the
    /// browser and break its page: every file is served.
    #[test]
    fn every_file_of_the_ui_is_served() {
        let pages = [
            &WIDGET_JS,
            &FRAME_HTML,
            &CONSOLE_HTML,
            &DEMO_HTML,
            &INDEX_HTML,
            &VERIFY_HTML,
            &SERVICE_HTML,
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut pending = vec![root.clone()];
        let mut files = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.file_name().is_some_and(|n| n != "package.json") {
                    let name = path.strip_prefix(&root).unwrap().to_str().unwrap();
                    files.push(name.replace('\\', "/"));
                }
            }
        }
        assert!(files.len() > 20, "{files:?}");
        for name in files {
            let served = ASSETS.iter().chain(pages).any(|a| a.name == name);
            assert!(served, "web/{name} is not in ASSETS");
        }
    }

    #[test]
    fn every_asset_has_an_etag() {
        for a in ASSETS {
            assert!(etag_of(a.name).is_some(), "{}", a.name);
        }
    }
}

//! The UI the binary serves: every page and asset with its content type,
//! cache policy and a strict Content-Security-Policy; user content never
//! rendered as HTML.

mod common;

use common::TestApp;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

const PAGES: &[&str] = &[
    "/",
    "/demo",
    "/console",
    "/widget/frame",
    "/verify",
    "/service",
];
const STYLES: &[&str] = &[
    "/assets/common.css",
    "/assets/frame.css",
    "/assets/console.css",
    "/assets/demo.css",
    "/assets/verify.css",
];

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}", res.url()))
        .to_str()
        .unwrap()
}

fn directive<'a>(csp: &'a str, name: &str) -> &'a str {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).map(str::trim))
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
}

#[tokio::test]
async fn pages_are_html_with_a_strict_policy() {
    let app = TestApp::spawn().await;
    for page in PAGES {
        let res = app.http.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(header(&res, "cache-control"), "no-cache");
        let csp = header(&res, "content-security-policy").to_owned();
        assert_eq!(directive(&csp, "default-src"), "'none'", "{page}");
        assert_eq!(directive(&csp, "script-src"), "'self'", "{page}");
        assert_eq!(directive(&csp, "style-src"), "'self'", "{page}");
        assert_eq!(directive(&csp, "object-src"), "'none'", "{page}");
        assert!(!csp.contains("unsafe"), "{page}: {csp}");
        let connect = directive(&csp, "connect-src");
        assert!(connect.contains(&format!("ws://{}", app.addr)), "{connect}");
        let ancestors = directive(&csp, "frame-ancestors");
        if *page == "/widget/frame" {
            assert_eq!(ancestors, "*");
            assert!(res.headers().get("x-frame-options").is_none());
        } else {
            assert_eq!(ancestors, "'none'", "{page}");
            assert_eq!(header(&res, "x-frame-options"), "DENY");
        }
        // The demo page embeds the widget frame; nothing else frames anything.
        let frame_src = directive(&csp, "frame-src");
        assert_eq!(
            frame_src,
            if *page == "/demo" { "'self'" } else { "'none'" }
        );

        // No inline script, handler or style for the policy to trip on.
        let html = res.text().await.unwrap();
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..at + html[at..].find('>').unwrap()];
            assert!(tag.contains(" src=\"/assets/"), "{page}: inline {tag}");
            assert!(tag.contains("type=\"module\""), "{page}: classic {tag}");
        }
        assert!(!html.contains(" style="), "{page}");
        assert!(!html.contains(" onclick="), "{page}");
        assert!(!html.contains("javascript:"), "{page}");
    }
}

#[tokio::test]
async fn widget_frame_may_be_framed_only_by_allowed_origins() {
    let app = TestApp::spawn_with(|c| {
        c.widget.allowed_origins = vec![
            "https://www.exchange.example".into(),
            "https://evil.example; script-src *".into(),
        ];
    })
    .await;
    let res = app.http.get(app.url("/widget/frame")).send().await.unwrap();
    let csp = header(&res, "content-security-policy");
    // a configured value that would smuggle a directive is dropped
    assert_eq!(
        directive(csp, "frame-ancestors"),
        "https://www.exchange.example"
    );
    assert_eq!(directive(csp, "script-src"), "'self'");
}

#[tokio::test]
async fn scripts_and_styles_have_their_types_and_revalidate() {
    let app = TestApp::spawn().await;
    let modules = common::ui_modules();
    assert!(modules.len() > 20, "{modules:?}");
    let scripts: Vec<&str> = modules.iter().map(String::as_str).collect();
    let styles: Vec<&str> = STYLES.to_vec();
    for (paths, kind, cache) in [
        (&scripts, "text/javascript; charset=utf-8", "no-cache"),
        (
            &vec!["/widget.js"],
            "text/javascript; charset=utf-8",
            "max-age=300",
        ),
        (&styles, "text/css; charset=utf-8", "max-age=300"),
    ] {
        for path in paths.iter() {
            let res = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(header(&res, "content-type"), kind, "{path}");
            assert_eq!(header(&res, "x-content-type-options"), "nosniff");
            assert!(header(&res, "cache-control").contains(cache), "{path}");
            let etag = header(&res, "etag").to_owned();
            let again = app
                .http
                .get(app.url(path))
                .header(IF_NONE_MATCH, &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304, "{path}");
            assert!(again.headers().get(CONTENT_TYPE).is_none());
            assert_eq!(again.headers()[ETAG], etag.as_str());
            assert!(again.headers().get(CACHE_CONTROL).is_some());
        }
    }
    let res = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(header(&res, "cross-origin-resource-policy"), "cross-origin");
    let res = app
        .http
        .get(app.url("/assets/logo.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "content-type"), "image/svg+xml");
}

#[tokio::test]
async fn unknown_assets_are_404_and_paths_do_not_escape() {
    let app = TestApp::spawn().await;
    for path in [
        "/assets/nope.js",
        "/assets/..%2FCargo.toml",
        "/assets/..%2F..%2Fsrc%2Flib.rs",
        "/assets/",
        "/assets/lib/",
        "/assets/lib/..%2F..%2FCargo.toml",
        "/assets/lib/../../Cargo.toml",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

/// Pages are static: a message with markup is never rendered into them by
/// the server, and the scripts that show messages only ever insert text.
#[tokio::test]
async fn script_in_a_message_never_becomes_html() {
    let app = TestApp::spawn().await;
    let (token, _) = app.customer().await;
    let payload = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    app.open_conversation(&token, payload).await;
    for page in PAGES {
        let html = app
            .http
            .get(app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("alert("), "{page}");
    }
    let scripts = common::ui_modules();
    assert!(scripts.iter().any(|s| s.ends_with("/lib/outbox.js")));
    for path in scripts.iter().map(String::as_str).chain(["/widget.js"]) {
        let js = app
            .http
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!js.contains(sink), "{path} uses {sink}");
        }
    }
}

//! What a shared file is, judged by its content.
//!
//! Help desks have been owned through attachments: an "image" that is
//! really HTML or SVG with a script, served from the help desk's own origin,
//! runs with the agent's session. trustdesk accepts only a short list of
//! types, recognised from the first bytes of the file (the name and the
//! claimed type are never trusted), and anything else is refused.

/// The kinds of files a conversation may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    /// UTF-8 text without NUL bytes and without markup that a browser
    /// could take for HTML or SVG.
    Text,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Gif | Self::Webp)
    }

    /// The extension a download of this kind gets, whatever it was called.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
            Self::Text => "txt",
        }
    }
}

/// The kind of file `bytes` holds, or `None` when it is not an allowed kind.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(FileKind::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileKind::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if is_plain_text(bytes) {
        Some(FileKind::Text)
    } else {
        None
    }
}

/// Text a browser cannot mistake for a document with script: valid UTF-8,
/// no control characters but tab, line breaks and form feed (binaries such
/// as ELF or PE headers have them), and no `<` followed by a letter, `!`,
/// `?` or `/` (a tag, a doctype, a processing instruction), which rules out
/// HTML, SVG and XML however they are named.
fn is_plain_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    {
        return false;
    }
    let b = text.as_bytes();
    !b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'!' | b'?' | b'/')))
}

/// Longest file name kept, in characters (before the extension).
pub const MAX_NAME_CHARS: usize = 100;

/// A file name safe to show and to put in a download header: the last path
/// component, control characters and quotes removed, bounded, with the
/// extension of the detected kind (so `invoice.pdf.html` that is really a
/// PNG downloads as `invoice.pdf.png`, never as HTML).
pub fn safe_name(claimed: &str, kind: FileKind) -> String {
    let last = claimed.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';' | '<' | '>' | '`'))
        .collect();
    let cleaned = cleaned.trim().trim_matches('.');
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.eq_ignore_ascii_case(kind.extension()) => stem,
        Some((stem, ext)) if kind == FileKind::Jpeg && ext.eq_ignore_ascii_case("jpeg") => stem,
        _ => cleaned,
    };
    let stem: String = stem.chars().take(MAX_NAME_CHARS).collect();
    let stem = if stem.trim().is_empty() {
        "file".to_owned()
    } else {
        stem
    };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recognises_allowed_kinds_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"GIF89a...."), Some(FileKind::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(FileKind::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            sniff("txid 0xabc, 到账 2 USDT".as_bytes()),
            Some(FileKind::Text)
        );
    }

    #[test]
    fn refuses_markup_binaries_and_empty_files() {
        for bad in [
            &b"<html><script>alert(1)</script>"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            b"<?xml version='1.0'?><svg/>",
            b"<!DOCTYPE html>",
            b"hello </b> world",
            b"  \n<img src=x onerror=alert(1)>",
            b"MZ\x90\0\x03\0\0\0",
            b"\x7fELF\x02\x01",
            b"",
            b"ok\0binary",
            &[0xC3, 0x28],
        ] {
            assert_eq!(sniff(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // Comparison signs in prose are still text.
        assert_eq!(sniff(b"fee < 2 USDT and 3 > 1"), Some(FileKind::Text));
    }

    #[test]
    fn names_get_the_extension_of_their_content() {
        assert_eq!(
            safe_name("invoice.pdf.html", FileKind::Png),
            "invoice.pdf.html.png"
        );
        assert_eq!(safe_name("shot.PNG", FileKind::Png), "shot.png");
        assert_eq!(safe_name("photo.jpeg", FileKind::Jpeg), "photo.jpg");
        assert_eq!(safe_name("../../etc/passwd", FileKind::Text), "passwd.txt");
        assert_eq!(safe_name("C:\\Users\\a\\x.pdf", FileKind::Pdf), "x.pdf");
        assert_eq!(
            safe_name("a\"; filename=evil.html", FileKind::Text),
            "a filename=evil.html.txt"
        );
        assert_eq!(safe_name("", FileKind::Gif), "file.gif");
        assert_eq!(safe_name("...", FileKind::Gif), "file.gif");
        assert_eq!(safe_name("提币截图.png", FileKind::Png), "提币截图.png");
    }

    proptest! {
        #[test]
        fn safe_names_never_carry_separators_quotes_or_controls(name in ".{0,300}") {
            for kind in [FileKind::Png, FileKind::Text, FileKind::Pdf] {
                let safe = safe_name(&name, kind);
                prop_assert!(!safe.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '"' | '<' | '>')));
                prop_assert!(safe.ends_with(kind.extension()));
                prop_assert!(safe.chars().count() <= MAX_NAME_CHARS + 5);
            }
        }

        #[test]
        fn sniff_never_panics_and_text_never_holds_a_tag(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if sniff(&bytes) == Some(FileKind::Text) {
                let text = std::str::from_utf8(&bytes).unwrap();
                prop_assert!(!text.contains("<s") && !text.contains("<h") && !text.contains("<!"));
            }
        }
    }
}

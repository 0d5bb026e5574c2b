//! The UI's built files (`ui/dist`, made by `npm --prefix ui run build`), embedded in release builds
//! (debug builds read them from `ui/dist` as they are now). The UI routes by `#` hash, so any other
//! path gets `index.html`.

use std::borrow::Cow;
use std::io::Cursor;

use tiny_http::{Response, StatusCode};

use super::server::secure;
use crate::plumbing::header;

#[derive(rust_embed::Embed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Dist;

/// `/` before the UI has been built.
const NOT_BUILT_PAGE: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Assistant Logbook</title></head>
<body><h1>Assistant Logbook</h1>
<p>the UI is not built: run <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, then rebuild
(<code>cargo build</code>). The JSON API under <code>/api/</code> works meanwhile.</p></body></html>
";

/// The answer for a (token-checked) non-API path: the file, or `index.html`, or a 503 page saying
/// how to build the UI.
pub(super) fn response(path: &str) -> Response<Cursor<Cow<'static, [u8]>>> {
    let name = path.trim_start_matches('/');
    let found = safe(name)
        .then(|| Dist::get(name).map(|f| (name, f.data)))
        .flatten()
        .or_else(|| Dist::get("index.html").map(|f| ("index.html", f.data)));
    let Some((name, data)) = found else {
        let page = Cow::Borrowed(NOT_BUILT_PAGE.as_bytes());
        return file_response(503, page, "text/html; charset=utf-8", "no-store");
    };
    // Vite names what it builds under assets/ by content hash: a name never changes meaning.
    let cache = if name.starts_with("assets/") {
        "private, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    file_response(200, data, content_type(name), cache)
}

fn file_response(
    status: u16,
    data: Cow<'static, [u8]>,
    content_type: &str,
    cache: &str,
) -> Response<Cursor<Cow<'static, [u8]>>> {
    let len = data.len();
    secure(Response::new(
        StatusCode(status),
        vec![
            header("Content-Type", content_type),
            header("Cache-Control", cache),
        ],
        Cursor::new(data),
        Some(len),
        None,
    ))
}

/// A path that names a file inside `ui/dist` and nothing else.
fn safe(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.@~".contains(&b))
        })
}

fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_dist_are_looked_up() {
        for ok in ["index.html", "assets/index-Bx3_a.js", "favicon.ico"] {
            assert!(safe(ok), "{ok}");
        }
        for bad in [
            "",
            "../Cargo.toml",
            "assets/../../x",
            "a//b",
            "%2e%2e/x",
            "a\\b",
            "/etc",
        ] {
            assert!(!safe(bad), "{bad}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            content_type("assets/a.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/a.woff2"), "font/woff2");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}

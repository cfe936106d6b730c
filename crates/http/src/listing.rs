//! The HTML listing of a folder (`--autoindex`).
//!
//! Names are escaped for HTML and percent-encoded in links; folders come
//! with a trailing `/`. Hidden files (a leading `.`) are left out.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::target::percent_encode;

/// Renders the listing of `dir`, titled with `shown` (the request path).
///
/// # Errors
///
/// The folder cannot be read.
pub fn render(dir: &Path, shown: &[u8]) -> io::Result<Vec<u8>> {
    let mut names: Vec<(Vec<u8>, bool)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().as_bytes().to_vec();
        if name.starts_with(b".") {
            continue;
        }
        // Follows links, so a link to a folder lists as one.
        let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        names.push((name, is_dir));
    }
    names.sort();
    let title = escape(&String::from_utf8_lossy(shown));
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n\
         <body>\n<h1>Index of {title}</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n"
    );
    for (name, is_dir) in names {
        let slash = if is_dir { "/" } else { "" };
        let mut href = String::new();
        percent_encode(&name, &mut href);
        let text = escape(&String::from_utf8_lossy(&name));
        html.push_str(&format!("<li><a href=\"{href}{slash}\">{text}{slash}</a></li>\n"));
    }
    html.push_str("</ul>\n</body>\n</html>\n");
    Ok(html.into_bytes())
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_links_every_visible_entry_escaped() {
        let dir = std::env::temp_dir().join(format!("switchyard-http-listing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a <b>.txt"), b"").unwrap();
        std::fs::write(dir.join(".hidden"), b"").unwrap();
        let html = String::from_utf8(render(&dir, b"/x/").unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(html.contains("<title>Index of /x/</title>"));
        assert!(html.contains("<a href=\"a%20%3Cb%3E.txt\">a &lt;b&gt;.txt</a>"), "{html}");
        assert!(html.contains("<a href=\"sub/\">sub/</a>"));
        assert!(!html.contains("hidden"));
    }
}

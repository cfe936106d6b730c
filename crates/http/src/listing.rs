//! The HTML listing of a folder (`--autoindex`).
//!
//! A table of name, size and modification time (UTC), folders first, then
//! files; each group sorted by the column the query names, Apache's
//! `?C=N|S|M;O=A|D` (nginx has no sort), by name when there is none. The
//! page is one self-contained HTML document with a small style sheet and no
//! script: it fits a phone's width (long names wrap, the time of day goes
//! on narrow screens), and follows the reader's dark mode.
//!
//! Names are escaped for HTML and percent-encoded in links; folders come
//! with a trailing `/`. Hidden files (a leading `.`) are left out.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::UNIX_EPOCH;

use crate::target::percent_encode;

/// The column a listing is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The name (case folded, then byte order).
    Name,
    /// The size in bytes (folders by name).
    Size,
    /// The modification time.
    Modified,
}

/// How a listing is ordered; folders always come before files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    /// The column compared.
    pub column: Column,
    /// Largest, latest or last first.
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Sort {
        Sort { column: Column::Name, descending: false }
    }
}

impl Sort {
    /// Reads Apache's `C=N|S|M` and `O=A|D` from a query, its parts split
    /// by `;` or `&`; what is missing or unknown keeps the default.
    pub fn from_query(query: &[u8]) -> Sort {
        let mut sort = Sort::default();
        for part in query.split(|&b| b == b';' || b == b'&') {
            match part {
                b"C=N" => sort.column = Column::Name,
                b"C=S" => sort.column = Column::Size,
                b"C=M" => sort.column = Column::Modified,
                b"O=A" => sort.descending = false,
                b"O=D" => sort.descending = true,
                _ => {}
            }
        }
        sort
    }

    /// The query that sorts by `column`: the other order of the current
    /// column, or the natural first order of another (names A to Z, sizes
    /// and times largest and latest first).
    fn link(self, column: Column) -> &'static str {
        let descending = if column == self.column { !self.descending } else { column != Column::Name };
        match (column, descending) {
            (Column::Name, false) => "?C=N;O=A",
            (Column::Name, true) => "?C=N;O=D",
            (Column::Size, false) => "?C=S;O=A",
            (Column::Size, true) => "?C=S;O=D",
            (Column::Modified, false) => "?C=M;O=A",
            (Column::Modified, true) => "?C=M;O=D",
        }
    }
}

/// One line of the table.
struct Item {
    name: Vec<u8>,
    /// The name case-folded, the first sort key for names.
    folded: Vec<u8>,
    is_dir: bool,
    len: u64,
    /// Seconds since the epoch (0 when unknown or earlier).
    mtime_secs: u64,
}

/// Renders the listing of `dir`, titled with `shown` (the request path),
/// in the order `sort` asks.
///
/// # Errors
///
/// The folder cannot be read.
pub fn render(dir: &Path, shown: &[u8], sort: Sort) -> io::Result<Vec<u8>> {
    let mut items: Vec<Item> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().as_bytes().to_vec();
        if name.starts_with(b".") {
            continue;
        }
        // Follows links, so a link to a folder lists as one; a broken link
        // lists as what it is.
        let Ok(meta) = std::fs::metadata(entry.path()).or_else(|_| std::fs::symlink_metadata(entry.path())) else {
            continue;
        };
        let mtime_secs =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
        let folded = name.to_ascii_lowercase();
        items.push(Item { name, folded, is_dir: meta.is_dir(), len: meta.len(), mtime_secs });
    }
    items.sort_by(|a, b| order(a, b, sort));

    let title = escape(&String::from_utf8_lossy(shown));
    let mut html = String::with_capacity(2048 + items.len() * 200);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Index of {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Index of {title}</h1>\n<table>\n<thead><tr>"
    );
    for (column, class, label) in
        [(Column::Name, "n", "Name"), (Column::Size, "s", "Size"), (Column::Modified, "m", "Modified")]
    {
        let mark = match (column == sort.column, sort.descending) {
            (false, _) => "",
            (true, false) => " \u{25b2}",
            (true, true) => " \u{25bc}",
        };
        let aria = match (column == sort.column, sort.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        let _ = write!(
            html,
            "<th class=\"{class}\" aria-sort=\"{aria}\"><a href=\"{}\">{label}{mark}</a></th>",
            sort.link(column)
        );
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    if shown != b"/" {
        html.push_str("<tr class=\"d\"><td class=\"n\"><a href=\"../\">../</a></td><td class=\"s\"></td><td class=\"m\"></td></tr>\n");
    }
    for item in &items {
        let slash = if item.is_dir { "/" } else { "" };
        let mut href = String::new();
        percent_encode(&item.name, &mut href);
        let text = escape(&String::from_utf8_lossy(&item.name));
        let (row, size) = if item.is_dir {
            ("d", "<td class=\"s\">\u{2014}</td>".to_string())
        } else {
            ("f", format!("<td class=\"s\" title=\"{} bytes\">{}</td>", item.len, human_size(item.len)))
        };
        let (day, time) = civil(item.mtime_secs);
        let _ = writeln!(
            html,
            "<tr class=\"{row}\"><td class=\"n\"><a href=\"{href}{slash}\">{text}{slash}</a></td>{size}\
             <td class=\"m\"><time datetime=\"{day}T{time}Z\">{day}<span class=\"t\"> {time}</span></time></td></tr>"
        );
    }
    let (dirs, files) = items.iter().fold((0, 0), |(d, f), i| if i.is_dir { (d + 1, f) } else { (d, f + 1) });
    let _ = write!(
        html,
        "</tbody>\n</table>\n<p class=\"c\">{dirs} {}, {files} {}</p>\n</body>\n</html>\n",
        if dirs == 1 { "folder" } else { "folders" },
        if files == 1 { "file" } else { "files" }
    );
    Ok(html.into_bytes())
}

/// The page's style: readable widths, long names that wrap anywhere, and
/// on a phone a smaller type and the date without the time.
const STYLE: &str = "\n\
:root{color-scheme:light dark;--fg:#1f2328;--dim:#656d76;--line:#d8dee4;--link:#0969da;--hover:#f6f8fa}\n\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--dim:#8d96a0;--line:#30363d;--link:#4493f8;--hover:#161b22}}\n\
body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:64rem;padding:1rem}\n\
h1{font-size:1.3rem;font-weight:600;margin:.2rem 0 1rem;overflow-wrap:anywhere}\n\
table{width:100%;border-collapse:collapse}\n\
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\n\
th{font-weight:600;white-space:nowrap}\n\
th a{color:inherit}\n\
a{color:var(--link);text-decoration:none}\n\
a:hover{text-decoration:underline}\n\
td.n{overflow-wrap:anywhere;width:100%}\n\
tr.d td.n a{font-weight:600}\n\
.s{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n\
td.m{white-space:nowrap;font-variant-numeric:tabular-nums;color:var(--dim)}\n\
tbody tr:hover{background:var(--hover)}\n\
.c{color:var(--dim);font-size:.9rem}\n\
@media (max-width:40rem){body{font-size:14px;padding:.6rem}th,td{padding:.45rem .35rem}.t{display:none}}\n";

/// Folders before files; then the column asked, ties by name.
fn order(a: &Item, b: &Item, sort: Sort) -> Ordering {
    let by_name = || a.folded.cmp(&b.folded).then_with(|| a.name.cmp(&b.name));
    let by_column = match sort.column {
        Column::Name => by_name(),
        Column::Size if a.is_dir && b.is_dir => by_name(),
        Column::Size => a.len.cmp(&b.len).then_with(by_name),
        Column::Modified => a.mtime_secs.cmp(&b.mtime_secs).then_with(by_name),
    };
    b.is_dir.cmp(&a.is_dir).then(if sort.descending { by_column.reverse() } else { by_column })
}

/// `1234567` → `1.2 MiB`: three significant figures at most, bytes exact.
fn human_size(len: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if len < 1024 {
        return format!("{len} B");
    }
    let mut value = len as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Seconds since the epoch → (`YYYY-MM-DD`, `HH:MM`) in UTC.
fn civil(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil, for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (format!("{year:04}-{month:02}-{day:02}"), format!("{:02}:{:02}", rem / 3600, rem % 3600 / 60))
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

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("switchyard-http-listing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The names of the table's rows, in order.
    fn names(html: &str) -> Vec<String> {
        html.split("<td class=\"n\"><a href=\"")
            .skip(1)
            .map(|row| row.split('>').nth(1).unwrap().split('<').next().unwrap().to_string())
            .collect()
    }

    fn set_mtime(path: &Path, secs: u64) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
    }

    #[test]
    fn a_listing_links_every_visible_entry_escaped() {
        let dir = temp_dir("escape");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a <b>.txt"), b"").unwrap();
        std::fs::write(dir.join(".hidden"), b"").unwrap();
        let html = String::from_utf8(render(&dir, b"/x/", Sort::default()).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(html.contains("<title>Index of /x/</title>"));
        assert!(html.contains("<a href=\"a%20%3Cb%3E.txt\">a &lt;b&gt;.txt</a>"), "{html}");
        assert!(html.contains("<a href=\"sub/\">sub/</a>"));
        assert!(!html.contains("hidden"));
        assert!(html.contains("<a href=\"../\">../</a>"));
        assert!(html.contains("<p class=\"c\">1 folder, 1 file</p>"), "{html}");
    }

    #[test]
    fn the_root_has_no_parent_link() {
        let dir = temp_dir("root");
        let html = String::from_utf8(render(&dir, b"/", Sort::default()).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!html.contains("href=\"../\""));
    }

    #[test]
    fn folders_come_first_in_every_order() {
        let dir = temp_dir("order");
        std::fs::create_dir(dir.join("Zeta")).unwrap();
        std::fs::create_dir(dir.join("alpha")).unwrap();
        std::fs::write(dir.join("b.txt"), vec![0; 3000]).unwrap();
        std::fs::write(dir.join("C.txt"), vec![0; 10]).unwrap();
        std::fs::write(dir.join("a.txt"), vec![0; 500]).unwrap();
        set_mtime(&dir.join("b.txt"), 1_000_000_000);
        set_mtime(&dir.join("C.txt"), 1_700_000_000);
        set_mtime(&dir.join("a.txt"), 1_500_000_000);
        let listed =
            |query: &[u8]| names(&String::from_utf8(render(&dir, b"/", Sort::from_query(query)).unwrap()).unwrap());
        assert_eq!(listed(b""), ["alpha/", "Zeta/", "a.txt", "b.txt", "C.txt"]);
        assert_eq!(listed(b"C=N;O=D"), ["Zeta/", "alpha/", "C.txt", "b.txt", "a.txt"]);
        assert_eq!(listed(b"C=S;O=A"), ["alpha/", "Zeta/", "C.txt", "a.txt", "b.txt"]);
        assert_eq!(listed(b"C=S&O=D"), ["Zeta/", "alpha/", "b.txt", "a.txt", "C.txt"]);
        let by_time = listed(b"C=M;O=D");
        assert!(by_time[..2].iter().all(|n| n.ends_with('/')), "{by_time:?}");
        assert_eq!(&by_time[2..], ["C.txt", "a.txt", "b.txt"]);
        assert_eq!(listed(b"C=X;O=?"), listed(b""), "unknown values keep the default");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes_dates_and_sort_links_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1_234_567), "1.2 MiB");
        assert_eq!(human_size(150 << 20), "150 MiB");
        assert_eq!(civil(0), ("1970-01-01".into(), "00:00".into()));
        assert_eq!(civil(951_782_400 + 3_661), ("2000-02-29".into(), "01:01".into()));
        assert_eq!(civil(1_796_256_000 + 86_399), ("2026-12-03".into(), "23:59".into()));
        let sort = Sort::from_query(b"C=S;O=D");
        assert_eq!(sort.link(Column::Size), "?C=S;O=A");
        assert_eq!(sort.link(Column::Name), "?C=N;O=A");
        assert_eq!(sort.link(Column::Modified), "?C=M;O=D");
    }
}

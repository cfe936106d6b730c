//! The configuration file, `check-config`, the documentation of every
//! flag, and the log formats, end to end against the binary.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::admin::json;
use crate::support::*;

/// A configuration file in a temporary folder, removed on drop.
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    fn new(text: &str) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("switchyard-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("switchyard.toml");
        std::fs::write(&path, text).unwrap();
        TempFile { dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn switchyard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard")).args(args).output().unwrap()
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// Whether a second connection is turned away while `first` is open.
fn second_connection_is_refused(server: &Server, first: &mut std::net::TcpStream) -> bool {
    first.write_all(b"one").unwrap();
    let mut b = [0; 3];
    first.read_exact(&mut b).unwrap();
    let mut second = server.connect();
    // Echo answers every byte, so a served connection answers this one;
    // a turned-away connection reads EOF (or a reset).
    let _ = second.write_all(b"two");
    !matches!(second.read(&mut b), Ok(n) if n > 0)
}

#[test]
fn the_file_fills_in_what_the_flags_leave_unset() {
    let file = TempFile::new(
        "listen = [\"127.0.0.1:0\"]\nadmin = \"127.0.0.1:0\"\nlog_format = \"json\"\nmax_connections = 1\n",
    );
    // listen and admin come from the file: two listening lines.
    let server = Server::start(&["serve", "echo", "--config", file.arg()], 2);
    let mut first = server.connect();
    assert!(second_connection_is_refused(&server, &mut first), "max_connections = 1 from the file");
    let log = server.stderr();
    let first_line = log.lines().next().unwrap_or_default();
    assert!(first_line.starts_with('{'), "log_format = json from the file: {log}");
    drop(first);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_flag_beats_the_file() {
    let file = TempFile::new(
        "listen = [\"127.0.0.1:1\"]\nadmin = \"127.0.0.1:0\"\nlog_format = \"json\"\nmax_connections = 1\n",
    );
    let server = Server::start(
        &[
            "serve",
            "echo",
            "--config",
            file.arg(),
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "text",
            "--max-connections",
            "5",
        ],
        2,
    );
    assert_ne!(server.addr().port(), 1, "--listen beats the file's listen");
    let mut first = server.connect();
    assert!(!second_connection_is_refused(&server, &mut first), "--max-connections 5 beats the file's 1");
    let log = server.stderr();
    assert!(log.contains("INFO") && !log.trim_start().starts_with('{'), "--log-format text beats json: {log}");
    drop(first);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn every_kind_of_bad_configuration_is_refused_naming_file_line_and_key() {
    // (file text, line, key, a fragment of the reason)
    let cases: &[(&str, usize, &str, &str)] = &[
        ("workers = 2\nthreads = 4\n", 2, "threads", "unknown field"),
        ("[kv]\ndatabases = 4\nmax_memory = \"1GiB\"\n", 3, "kv.max_memory", "unknown field"),
        ("workers = 1\n\n[gopher]\nport = 70\n", 3, "gopher", "unknown field"),
        ("workers = \"many\"\n", 1, "workers", "invalid type"),
        ("log_format = 3\n", 1, "log_format", "string"),
        ("[http]\nautoindex = \"yes\"\n", 2, "http.autoindex", "invalid type"),
        ("io_threads = 0\n", 1, "io_threads", "1 to 64"),
        ("# the limit\nmax_connections = 0\n", 2, "max_connections", "at least 1"),
        ("queue_capacity = -4\n", 1, "queue_capacity", "at least 1"),
        ("idle_timeout = \"-5s\"\n", 1, "idle_timeout", "negative"),
        ("write_timeout = -5\n", 1, "write_timeout", "negative"),
        ("write_timeout = \"0s\"\n", 1, "write_timeout", "more than 0"),
        ("shutdown_timeout = \"soon\"\n", 1, "shutdown_timeout", "not a duration"),
        ("request_timeout = \"5 fortnights\"\n", 1, "request_timeout", "fortnights"),
        ("max_input = \"1TiB\"\n", 1, "max_input", "TiB"),
        ("max_input = 10\n", 1, "max_input", "at least 64"),
        ("listen = [\"localhost\"]\n", 1, "listen", "not an address"),
        ("listen = []\n", 1, "listen", "at least one address"),
        ("poller = \"kqueue\"\n", 1, "poller", "kqueue"),
        ("[kv]\nappendfsync = \"sometimes\"\n", 2, "kv.appendfsync", "sometimes"),
        ("[chat]\nping_interval = \"-1m\"\n", 2, "chat.ping_interval", "negative"),
        ("log_level = \"info,=[\"\n", 1, "log_level", "log level"),
        ("workers = 2\nworkers = 3\n", 2, "workers", "duplicate"),
        ("workers = \n", 1, "workers", ""),
    ];
    for &(text, line, key, why) in cases {
        let file = TempFile::new(text);
        for args in
            [vec!["serve", "echo", "--listen", "127.0.0.1:0", "--config", file.arg()], vec!["check-config", file.arg()]]
        {
            let out = switchyard(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{text:?} with {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{text:?}: nothing on stdout");
            let place = format!("{}:{line}:", file.arg());
            assert!(stderr.contains(&place), "{text:?}: no {place} in {stderr}");
            assert!(stderr.contains(&format!("`{key}`")), "{text:?}: no key `{key}` in {stderr}");
            assert!(stderr.contains(why), "{text:?}: no {why:?} in {stderr}");
        }
    }
}

#[test]
fn paths_serve_could_not_use_are_refused_by_check_config_and_serve_alike() {
    let file = TempFile::new("");
    std::fs::write(file.dir.join("motd.txt"), "welcome\n").unwrap();
    std::fs::write(file.dir.join("latin1.txt"), b"caf\xe9\n").unwrap();
    // (file text, line, key, a fragment of the reason)
    let cases: &[(&str, usize, &str, &str)] = &[
        ("[chat]\nserver_name = \"irc\"\nmotd = \"nowhere.txt\"\n", 3, "chat.motd", "nowhere.txt does not exist"),
        ("[chat]\nmotd = \"latin1.txt\"\n", 2, "chat.motd", "not UTF-8 text"),
        ("[chat]\nmotd = \".\"\n", 2, "chat.motd", ""),
        ("workers = 1\n[http]\n\nroot = \"/nonexistent/site\"\n", 4, "http.root", "/nonexistent/site does not exist"),
        ("[http]\nroot = \"motd.txt\"\n", 2, "http.root", "not a folder"),
        ("[kv]\nappendonly = \"/nonexistent/dir/log.aof\"\n", 2, "kv.appendonly", "/nonexistent/dir does not exist"),
        ("[kv]\nappendonly = \".\"\n", 2, "kv.appendonly", "not a regular file"),
        ("http = { root = \"gone\" }\n", 1, "http", "gone does not exist"),
    ];
    for &(text, line, key, why) in cases {
        std::fs::write(&file.path, text).unwrap();
        for service in ["echo", "http", "chat"] {
            let args = ["serve", service, "--listen", "127.0.0.1:0", "--config", file.arg()];
            for args in [&args[..], &["check-config", file.arg()][..]] {
                let out = switchyard(args);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(2), "{text:?} with {args:?}: {stderr}");
                assert!(out.stdout.is_empty(), "{text:?}: nothing on stdout");
                let place = format!("{}:{line}: key `{key}`: ", file.arg());
                assert!(stderr.contains(&place), "{text:?}: no {place} in {stderr}");
                assert!(stderr.contains(why), "{text:?}: no {why:?} in {stderr}");
            }
        }
    }
    // The same paths as flags: a usage error too.
    let missing = file.dir.join("missing");
    let missing = missing.to_str().unwrap();
    for (service, flag) in [("http", "--root"), ("chat", "--motd"), ("kv", "--appendonly")] {
        let target = if flag == "--appendonly" { format!("{missing}/log.aof") } else { missing.to_string() };
        let out = switchyard(&["serve", service, "--listen", "127.0.0.1:0", flag, &target]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(&format!("{flag}: {missing} does not exist")), "{flag}: {stderr}");
    }
    // And what passes check-config starts.
    std::fs::create_dir_all(file.dir.join("site")).unwrap();
    std::fs::write(&file.path, "listen = [\"127.0.0.1:0\"]\n[http]\nroot = \"site\"\n[chat]\nmotd = \"motd.txt\"\n")
        .unwrap();
    let out = switchyard(&["check-config", file.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for service in ["http", "chat"] {
        let server = Server::start(&["serve", service, "--config", file.arg()], 1);
        assert_eq!(server.stop().code(), Some(0));
    }
}

#[test]
fn a_port_another_server_listens_on_is_refused_not_shared() {
    // The listeners use SO_REUSEPORT so that several I/O loops can share a
    // port; a second server must not quietly share it too.
    let first = Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--io-threads", "2"], 1);
    let taken = first.addr().to_string();
    let mut second = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["serve", "echo", "--listen", &taken, "--admin", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a second server on {taken} started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let mut stderr = String::new();
    second.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains(&format!("cannot listen on {taken}")), "{stderr}");
    assert!(stderr.contains("Address already in use"), "{stderr}");
    assert_eq!(first.stop().code(), Some(0));
}

#[test]
fn a_missing_configuration_file_is_refused_by_name() {
    let out = switchyard(&["serve", "echo", "--config", "/nonexistent/switchyard.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/switchyard.toml"));
}

#[test]
fn check_config_prints_the_effective_configuration_with_defaults_filled_in() {
    let file = TempFile::new("workers = 3\nidle_timeout = \"90s\"\n[kv]\ndatabases = 4\n[http]\nroot = \"site\"\n");
    std::fs::create_dir_all(file.dir.join("site")).unwrap();
    let out = switchyard(&["check-config", file.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "workers = 3",
        "idle_timeout = \"90s\"",
        "io_threads = 1",
        "poller = \"epoll\"",
        "max_connections = 10000",
        "request_timeout = \"30s\"",
        "shutdown_timeout = \"30s\"",
        "max_input = \"1MiB\"",
        "max_output = \"64MiB\"",
        "queue_capacity = 4096",
        "log_level = \"info\"",
        "log_format = \"text\"",
        "[kv]",
        "databases = 4",
        "appendfsync = \"everysec\"",
        "[chat]",
        "server_name = \"switchyard\"",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    // A relative path is taken from the file's folder.
    let root = file.dir.join("site");
    assert!(text.contains(&format!("root = \"{}\"", root.display())), "{text}");

    // The output is itself a configuration that says the same.
    let again = TempFile::new(&text);
    std::fs::create_dir_all(again.dir.join("site")).unwrap();
    let out = switchyard(&["check-config", again.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&String::from_utf8(out.stdout).unwrap()), body(&text));
}

#[test]
fn the_sample_configuration_passes_check_config() {
    // The sample serves /srv/www, which a test machine need not have.
    let sample = std::fs::read_to_string(repo_file("dist/switchyard.toml")).unwrap();
    assert!(sample.contains("root = \"/srv/www\""), "the sample's root moved");
    let file = TempFile::new(&sample.replace("root = \"/srv/www\"", "root = \".\""));
    let out = switchyard(&["check-config", file.arg()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nadmin = "), "the sample turns the admin listener on:\n{text}");
}

#[test]
fn the_systemd_unit_stops_by_sigterm_after_the_drain_deadline() {
    let unit = std::fs::read_to_string(repo_file("dist/switchyard.service")).unwrap();
    let key = |k: &str| unit.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).map(str::trim);
    assert_eq!(key("KillSignal"), Some("SIGTERM"));
    assert_eq!(key("LimitNOFILE"), Some("65536"));
    assert_eq!(key("NoNewPrivileges"), Some("yes"));
    assert_eq!(key("ProtectSystem"), Some("strict"));
    let stop: u64 = key("TimeoutStopSec").and_then(|v| v.trim_end_matches('s').parse().ok()).unwrap();
    let exec = key("ExecStart").unwrap();
    let config = exec.split_whitespace().skip_while(|w| *w != "--config").nth(1).unwrap();
    assert_eq!(config, "/etc/switchyard/switchyard.toml");
    // The drain deadline is the sample file's, or the default 30s.
    let sample = std::fs::read_to_string(repo_file("dist/switchyard.toml")).unwrap();
    let drain = sample
        .lines()
        .find_map(|l| l.trim().strip_prefix("shutdown_timeout = \""))
        .map(|v| v.trim_end_matches(['"', 's']).parse::<u64>().unwrap())
        .unwrap_or(30);
    assert!(stop > drain, "TimeoutStopSec={stop} must exceed the drain deadline {drain}s");
}

/// `(flag, its [default: ...] if any)` for every option in `serve --help`.
fn serve_flags() -> Vec<(String, Option<String>)> {
    let out = switchyard(&["serve", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags: Vec<(String, Option<String>)> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("--").or_else(|| t.strip_prefix("-h, --")) {
            let name = rest.split([' ', '<']).next().unwrap();
            flags.push((format!("--{name}"), None));
        } else if let (Some(last), Some(at)) = (flags.last_mut(), t.find("[default: ")) {
            let d = &t[at + 10..];
            last.1 = Some(d[..d.rfind(']').unwrap()].to_string());
        }
    }
    flags.retain(|(f, _)| f != "--help");
    flags
}

#[test]
fn every_serve_flag_is_documented_with_its_default() {
    let flags = serve_flags();
    assert!(flags.len() >= 20, "the help parsed into {flags:?}");
    let docs = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    for (flag, default) in &flags {
        let row = docs
            .lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{flag}")))
            .unwrap_or_else(|| panic!("docs/configuration.md has no table row for `{flag}`"));
        let default = default.as_deref().unwrap_or_else(|| panic!("`{flag}` states no [default: ...] in --help"));
        // | `--flag X` | `key` | default | meaning |
        let unescaped = row.replace("\\|", "/");
        let cell = unescaped.split('|').nth(3).unwrap_or("");
        assert!(cell.contains(default), "the default column of `{flag}` is not `{default}`: {row}");
    }
    // And the other way: every flag the table documents exists.
    for row in docs.lines().filter(|l| l.starts_with("| `--")) {
        let flag = row[3..].split([' ', '`']).next().unwrap();
        assert!(flags.iter().any(|(f, _)| f == flag), "docs/configuration.md documents `{flag}`, which serve lacks");
    }
}

#[test]
fn every_configuration_key_is_documented() {
    let out = switchyard(&["check-config", "/dev/null"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    let mut table = String::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let l = line.trim_start_matches("# ");
        if let Some(t) = l.strip_prefix('[') {
            table = format!("{}.", t.trim_end_matches(']'));
            continue;
        }
        let Some(key) = l.split([' ', ':']).next().filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        else {
            continue;
        };
        if key.is_empty() || line.starts_with("# the effective") {
            continue;
        }
        let full = format!("`{table}{key}`");
        assert!(docs.contains(&full), "docs/configuration.md does not name the key {full}");
    }
}

#[test]
fn logs_are_json_lines_with_lifecycle_events_at_info() {
    let server = Server::start(
        &["serve", "echo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--log-format", "json"],
        2,
    );
    let mut c = server.connect();
    c.write_all(b"x").unwrap();
    let mut b = [0; 1];
    c.read_exact(&mut b).unwrap();
    drop(c);
    let mut server = server;
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
    let log = server.stderr();
    let mut messages = Vec::new();
    let mut lifecycle = Vec::new();
    for line in log.lines() {
        let v = json::parse(line).unwrap_or_else(|e| panic!("not a JSON object ({e}): {line:?}"));
        let level = v["level"].str().unwrap_or_else(|| panic!("no level: {line}")).to_string();
        let message = v["fields"]["message"].str().unwrap_or_else(|| panic!("no message: {line}")).to_string();
        assert!(v["timestamp"].str().is_some(), "no timestamp: {line}");
        let in_admin = v["span"]["name"].str() == Some("admin");
        lifecycle.push((message.clone(), in_admin));
        messages.push((level, message));
    }
    // The service and the admin listener each log their own lifecycle; the
    // admin's lines, from whichever of its threads, carry its span.
    for wanted in ["serving", "shutting down", "stopped"] {
        let of = |admin: bool| lifecycle.iter().filter(|(m, a)| m.starts_with(wanted) && *a == admin).count();
        assert_eq!((of(false), of(true)), (1, 1), "`{wanted}` once outside and once inside the admin span:\n{log}");
    }
    for wanted in ["listening", "serving", "stopped"] {
        assert!(
            messages.iter().any(|(level, m)| level == "INFO" && m == wanted),
            "no INFO `{wanted}` line in {messages:?}"
        );
    }
    assert!(messages.iter().any(|(level, m)| level == "INFO" && m.starts_with("shutting down")), "{messages:?}");
    assert!(messages.iter().all(|(level, _)| level != "DEBUG" && level != "TRACE"), "{messages:?}");
}

#[test]
fn rust_log_overrides_the_log_level() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.args(["serve", "echo", "--listen", "127.0.0.1:0", "--log-level", "info"]).env("RUST_LOG", "warn");
    let server = Server::start_with(&mut cmd, 1);
    let mut server = server;
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
    assert!(!server.stderr().contains("INFO"), "RUST_LOG=warn silences info: {}", server.stderr());

    let server = Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--log-level", "warn"], 1);
    let mut server = server;
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
    assert!(!server.stderr().contains("INFO"), "--log-level warn silences info: {}", server.stderr());
}

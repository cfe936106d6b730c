//! The multi-instance setup of `docs/multi-instance.md`, run by its own
//! script (`scripts/multi-instance.sh`) against this build: three http
//! instances behind HAProxy (PROXY protocol v2, health checks on
//! `/healthz`, one instance drained and upgraded under wrk), and three kv
//! instances behind twemproxy. The script checks what it shows and exits
//! 1 if a check fails; the test asserts its exit status and its checks.
//! `scripts/test` installs haproxy, nutcracker and wrk.

use std::process::Command;

/// Runs the script's `case` on loopback; returns its output.
fn run(case: &str, programs: &[&str]) -> String {
    for program in programs {
        let found = Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().unwrap();
        assert!(found.status.success(), "{program} is not installed (scripts/test installs it)");
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/multi-instance.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(case)
        .env("SWITCHYARD", env!("CARGO_BIN_EXE_switchyard"))
        .env("DURATION", "4s")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{case}: {}\n{text}", out.status);
    assert!(!text.contains("FAILED"), "{text}");
    text
}

#[test]
fn three_http_instances_behind_haproxy_see_the_clients_and_an_upgrade_refuses_no_request() {
    let text = run("http", &["/usr/sbin/haproxy", "wrk", "curl", "python3"]);
    for check in [
        "ok: the instances saw the client's address, 127.0.0.3",
        "ok: all three instances served",
        "ok: wrk saw no socket error",
        "ok: wrk saw no non-2xx response",
        "ok: the new s2 serves through HAProxy",
    ] {
        assert!(text.contains(check), "{check}:\n{text}");
    }
}

#[test]
fn three_kv_instances_behind_twemproxy_share_the_keys() {
    let text = run("kv", &["/usr/sbin/nutcracker", "redis-cli", "redis-benchmark", "python3"]);
    for check in ["ok: redis-benchmark ran SET and GET", "ok: the instances hold all 3000 keys between them"] {
        assert!(text.contains(check), "{check}:\n{text}");
    }
    assert_eq!(text.matches("ok: each instance holds a share").count(), 3, "{text}");
}

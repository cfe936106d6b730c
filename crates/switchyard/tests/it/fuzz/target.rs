//! What the fuzzer knows of each service: how to start it, valid requests
//! to mutate, and a probe (a real request and a check of its exact
//! answer) for health checks and half-closes.

use std::path::PathBuf;

use super::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Echo,
    Http,
    Kv,
    Chat,
}

/// How far a probe's answer has come.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// All of it, and right.
    Whole,
    /// Right so far; more is due.
    Partial,
    /// Not the answer the probe asked for.
    Wrong,
}

/// Judges the bytes received so far against the answer a probe wants.
type Check = Box<dyn Fn(&[u8]) -> Answer + Send>;

/// A real request of the service's protocol and the answer it must draw.
pub struct Probe {
    pub request: Vec<u8>,
    check: Check,
}

impl Probe {
    pub fn check(&self, got: &[u8]) -> Answer {
        (self.check)(got)
    }
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Echo => "echo",
            Service::Http => "http",
            Service::Kv => "kv",
            Service::Chat => "chat",
        }
    }

    /// The `switchyard serve` arguments: the service, a loopback port, a
    /// bounded drain, and an engine configuration drawn from `rng`, so
    /// that a seed replays it too.
    pub fn args(self, rng: &mut Rng, root: Option<&PathBuf>) -> Vec<String> {
        let mut args: Vec<String> = ["serve", self.name(), "--listen", "127.0.0.1:0", "--log-level", "warn"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(root) = root {
            args.extend(["--root".to_string(), root.to_str().unwrap().to_string()]);
        }
        args.extend(["--shutdown-timeout".to_string(), "10s".to_string()]);
        args.extend(["--workers".to_string(), rng.pick(&["0", "1", "2"]).to_string()]);
        args.extend(["--io-threads".to_string(), rng.pick(&["1", "2"]).to_string()]);
        args.extend(["--poller".to_string(), rng.pick(&["epoll", "poll"]).to_string()]);
        args.extend(["--respond".to_string(), rng.pick(&["loop", "direct"]).to_string()]);
        args
    }

    /// Valid requests, each whole, to send as they are or mutated.
    pub fn corpus(self) -> Vec<Vec<u8>> {
        let texts: &[&str] = match self {
            Service::Echo => &["hello, switchyard\n", "x", "\r\n", "\0\0\0\0", "GET / HTTP/1.1\r\n\r\n", "PING\r\n"],
            Service::Http => &[
                "GET /hello.txt HTTP/1.1\r\nHost: fuzz\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n",
                "HEAD /hello.txt HTTP/1.1\r\nHost: fuzz\r\n\r\n",
                "GET /docs/ HTTP/1.1\r\nHost: fuzz\r\nConnection: keep-alive\r\n\r\n",
                "GET /big.bin HTTP/1.1\r\nHost: fuzz\r\nRange: bytes=0-99,200-299\r\n\r\n",
                "GET /big.bin HTTP/1.1\r\nHost: fuzz\r\nRange: bytes=-10\r\n\r\n",
                "GET /hello.txt HTTP/1.1\r\nHost: fuzz\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
                "POST /hello.txt HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 5\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: fuzz\r\n\r\n",
                "GET /hello.txt HTTP/1.0\r\n\r\n",
                "OPTIONS * HTTP/1.1\r\nHost: fuzz\r\n\r\n",
                "GET /hello.txt HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n",
            ],
            Service::Kv => &[
                "*1\r\n$4\r\nPING\r\n",
                "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
                "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
                "*4\r\n$4\r\nMGET\r\n$3\r\nkey\r\n$1\r\na\r\n$1\r\nb\r\n",
                "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n20\r\n",
                "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n10\r\n",
                "*3\r\n$11\r\nINCRBYFLOAT\r\n$1\r\nf\r\n$3\r\n0.1\r\n",
                "*3\r\n$6\r\nAPPEND\r\n$3\r\nkey\r\n$3\r\nabc\r\n",
                "*4\r\n$8\r\nGETRANGE\r\n$3\r\nkey\r\n$1\r\n0\r\n$2\r\n-1\r\n",
                "*4\r\n$8\r\nSETRANGE\r\n$3\r\nkey\r\n$1\r\n3\r\n$2\r\nzz\r\n",
                "*5\r\n$3\r\nSET\r\n$1\r\ns\r\n$1\r\nv\r\n$2\r\nEX\r\n$2\r\n60\r\n",
                "*3\r\n$6\r\nEXPIRE\r\n$1\r\na\r\n$3\r\n100\r\n",
                "*2\r\n$3\r\nTTL\r\n$1\r\na\r\n",
                "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n",
                "*6\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$1\r\n*\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n",
                "*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n",
                "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n",
                "*2\r\n$4\r\nINFO\r\n$8\r\nkeyspace\r\n",
                "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nmaxmemory\r\n",
                "*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n",
                "*3\r\n$6\r\nRENAME\r\n$1\r\na\r\n$1\r\nc\r\n",
                "*1\r\n$6\r\nDBSIZE\r\n",
                "*1\r\n$4\r\nQUIT\r\n",
                "PING\r\n",
                "SET inline \"quoted value\" PX 5000\r\n",
                "MGET key a b inline\r\n",
                "GET key\n",
            ],
            Service::Chat => &[
                "NICK ann\r\nUSER ann 0 * :Ann Example\r\n",
                "CAP LS 302\r\nNICK bob\r\nUSER bob 0 * :Bob\r\nCAP END\r\n",
                "JOIN #fuzz,#other\r\n",
                "PRIVMSG #fuzz :hello there\r\n",
                "NOTICE ann :psst\r\n",
                "TOPIC #fuzz :a topic\r\n",
                "NAMES #fuzz\r\n",
                "WHO #fuzz\r\n",
                "WHOIS ann\r\n",
                "MODE #fuzz\r\n",
                "MODE ann +i\r\n",
                "AWAY :gone\r\n",
                "ISON ann bob\r\n",
                "PART #fuzz :bye\r\n",
                "PING :token\r\n",
                "PONG :switchyard\r\n",
                "LIST\r\n",
                "MOTD\r\n",
                "QUIT :done\r\n",
                "JOIN 0\r\n",
            ],
        };
        texts.iter().map(|t| t.as_bytes().to_vec()).collect()
    }

    /// A real request, distinct for each `n`, and the check of its answer:
    /// an echo round trip, `GET /hello.txt`, `PING n` (kv), or a
    /// registration followed by `PING` (chat).
    pub fn probe(self, n: u64) -> Probe {
        match self {
            Service::Echo => {
                let request = format!("probe {n}\n").into_bytes();
                let want = request.clone();
                Probe { request, check: Box::new(move |got| prefix_answer(got, &want)) }
            }
            Service::Http => {
                let request = b"GET /hello.txt HTTP/1.1\r\nHost: probe\r\n\r\n".to_vec();
                Probe {
                    request,
                    check: Box::new(|got| {
                        let Some(end) = find(got, b"\r\n\r\n") else {
                            return if got.starts_with(&b"HTTP/1.1 200 "[..got.len().min(13)]) {
                                Answer::Partial
                            } else {
                                Answer::Wrong
                            };
                        };
                        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                        if !head.starts_with("http/1.1 200 ") || !head.contains("\r\ncontent-length: 13") {
                            return Answer::Wrong;
                        }
                        prefix_answer(&got[end + 4..], HELLO)
                    }),
                }
            }
            Service::Kv => {
                let token = format!("probe-{n}");
                let request = format!("*2\r\n$4\r\nPING\r\n${}\r\n{token}\r\n", token.len()).into_bytes();
                let want = format!("${}\r\n{token}\r\n", token.len()).into_bytes();
                Probe { request, check: Box::new(move |got| prefix_answer(got, &want)) }
            }
            Service::Chat => {
                // Nicknames the corpus and its mutations are unlikely to take.
                let nick = format!("qz{n}");
                let request = format!("NICK {nick}\r\nUSER {nick} 0 * :probe\r\nPING :probe-{n}\r\n").into_bytes();
                let welcome = format!(" 001 {nick} ").into_bytes();
                let pong = format!(":switchyard PONG switchyard :probe-{n}\r\n").into_bytes();
                Probe {
                    request,
                    check: Box::new(move |got| match (find(got, &welcome), find(got, &pong)) {
                        (Some(w), Some(p)) if w < p => Answer::Whole,
                        (_, Some(_)) => Answer::Wrong,
                        _ if find(got, b"ERROR ").is_some() || find(got, b" 433 ").is_some() => Answer::Wrong,
                        _ => Answer::Partial,
                    }),
                }
            }
        }
    }
}

/// The file the http probe fetches.
pub const HELLO: &[u8] = b"hello, world\n";

/// `Whole` when `got` is `want`, `Partial` while it is a prefix of it.
fn prefix_answer(got: &[u8], want: &[u8]) -> Answer {
    if got == want {
        Answer::Whole
    } else if want.starts_with(got) {
        Answer::Partial
    } else {
        Answer::Wrong
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn every_probe_accepts_its_own_answer_and_rejects_a_wrong_one() {
    let probe = Service::Kv.probe(7);
    assert_eq!(probe.check(b"$7\r\nprobe-7\r\n"), Answer::Whole);
    assert_eq!(probe.check(b"$7\r\npro"), Answer::Partial);
    assert_eq!(probe.check(b"+PONG\r\n"), Answer::Wrong);
    let probe = Service::Http.probe(1);
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n";
    assert_eq!(probe.check(ok), Answer::Whole);
    assert_eq!(probe.check(&ok[..40]), Answer::Partial);
    assert_eq!(probe.check(b"HTTP/1.1 404 Not Found\r\n\r\n"), Answer::Wrong);
    let probe = Service::Chat.probe(3);
    assert_eq!(probe.check(b":switchyard 001 qz3 :Welcome\r\n"), Answer::Partial);
    assert_eq!(probe.check(b":switchyard 001 qz3 :Welcome\r\n:switchyard PONG switchyard :probe-3\r\n"), Answer::Whole);
    assert_eq!(probe.check(b":switchyard PONG switchyard :probe-3\r\n"), Answer::Wrong);
    let probe = Service::Echo.probe(2);
    assert_eq!(probe.check(b"probe 2\n"), Answer::Whole);
}

//! A complete line-protocol server on the engine: a tiny broadcast room.
//!
//! ```text
//! cargo run -p switchyard-engine --example broadcast -- 127.0.0.1:7070
//! nc 127.0.0.1 7070      # in two terminals
//! ```
//!
//! Every line a client sends goes to every other client, prefixed with the
//! sender's name. `/name NAME` changes the name, `/who` lists who is here,
//! `/quit` leaves. Ctrl-C shuts down gracefully: everyone hears goodbye.
//!
//! What it shows: per-connection state without locks (`Member`), global
//! state behind the service's own lock (`members`), framing in `handle`
//! (only whole lines are consumed), messages to other connections through
//! `Control::send`, and the `closed`, `goodbye` and `reject` hooks.

use std::collections::HashMap;
use std::sync::Mutex;

use switchyard_engine::{CloseReason, Config, ConnId, ConnInfo, Cx, Farewell, Output, Reject, Server, Service};

/// Longest line accepted; longer ones close the connection.
const MAX_LINE_BYTES: usize = 1024;

/// The room: who is connected, under which name.
#[derive(Default)]
struct Room {
    members: Mutex<HashMap<ConnId, String>>,
}

/// Per-connection state: the member's name.
struct Member {
    name: String,
}

impl Room {
    /// Sends `line` to everyone but `from`.
    fn broadcast(&self, cx: &Cx<'_>, from: ConnId, line: &str) {
        let members = self.members.lock().unwrap();
        for &id in members.keys().filter(|&&id| id != from) {
            cx.control().send(id, line.as_bytes().to_vec());
        }
    }
}

impl Service for Room {
    type State = Member;

    fn open(&self, conn: &ConnInfo) -> Member {
        let name = format!("guest{}", conn.id.as_u64() & 0xffff);
        self.members.lock().unwrap().insert(conn.id, name.clone());
        Member { name }
    }

    fn handle(&self, me: &mut Member, cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&cx.input()[..end]).trim_end().to_string();
            cx.consume(end + 1);
            let id = cx.id();
            if let Some(name) = line.strip_prefix("/name ") {
                let old = std::mem::replace(&mut me.name, name.trim().to_string());
                self.members.lock().unwrap().insert(id, me.name.clone());
                self.broadcast(cx, id, &format!("* {old} is now {}\n", me.name));
            } else if line == "/who" {
                let mut names: Vec<String> = self.members.lock().unwrap().values().cloned().collect();
                names.sort();
                cx.out().extend_from_slice(format!("* here: {}\n", names.join(", ")).as_bytes());
            } else if line == "/quit" {
                cx.out().extend_from_slice(b"* bye\n");
                cx.close();
                return;
            } else if !line.is_empty() {
                self.broadcast(cx, id, &format!("<{}> {line}\n", me.name));
            }
        }
        if cx.input().len() > MAX_LINE_BYTES {
            cx.out().extend_from_slice(b"* line too long\n");
            cx.close();
        }
    }

    fn closed(&self, me: Member, conn: &ConnInfo, _reason: CloseReason) {
        self.members.lock().unwrap().remove(&conn.id);
        println!("{} left", me.name);
    }

    fn goodbye(&self, _me: &mut Member, out: &mut Output) -> Farewell {
        out.extend_from_slice(b"* server shutting down\n");
        Farewell::Close
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        Some(format!("* closing: {why:?}\n").into_bytes())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7070".into());
    let config = Config { listen: vec![addr.parse()?], workers: 2, ..Config::default() };
    let server = Server::bind(config, Room::default())?;
    server.install_signal_handlers()?;
    println!("listening broadcast {}", server.local_addrs()[0]);
    let summary = server.run()?;
    println!("served {} connections", summary.connections);
    Ok(())
}

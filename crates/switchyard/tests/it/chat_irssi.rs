//! Two irssi clients, each in its own tmux window, run a channel on
//! `switchyard serve chat`: op, topic lock, kick and ban, typed as a user
//! types them. A raw-socket member of the channel sees what the server
//! broadcast; tmux shows what irssi made of the replies.
//!
//! `scripts/test` installs irssi and tmux; without them this test passes
//! without running (the raw-socket tests cover the protocol).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::chat::{start, Irc};
use crate::support::wait_for;

/// A tmux server of our own (its own socket), stopped when dropped.
struct Tmux {
    socket: PathBuf,
    dir: PathBuf,
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        let dir = std::env::temp_dir().join(format!("switchyard-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Tmux { socket: dir.join("tmux.sock"), dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-S").arg(&self.socket).args(args).env("TERM", "xterm").output().unwrap()
    }

    /// Starts irssi as `nick` connected to `port`, in window `nick`.
    fn irssi(&self, nick: &str, port: u16) {
        let home = self.dir.join(nick);
        std::fs::create_dir_all(&home).unwrap();
        // No networks, no autoconnect, no away log: only what we type.
        std::fs::write(
            home.join("config"),
            format!(
                "settings = {{ core = {{ real_name = \"{nick}\"; user_name = \"{nick}\"; nick = \"{nick}\"; }}; }};\n"
            ),
        )
        .unwrap();
        let cmd = format!("irssi --home={} -c 127.0.0.1 -p {port} -n {nick}", home.display());
        let out = self.run(&["new-session", "-d", "-x", "160", "-y", "40", "-s", nick, &cmd]);
        assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Types `line` and Enter in window `nick`.
    fn type_line(&self, nick: &str, line: &str) {
        let out = self.run(&["send-keys", "-t", nick, "-l", line]);
        assert!(out.status.success());
        self.run(&["send-keys", "-t", nick, "Enter"]);
    }

    /// What window `nick` shows now.
    fn screen(&self, nick: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", nick]).stdout).into_owned()
    }

    #[track_caller]
    fn wait_screen(&self, nick: &str, part: &str) {
        let mut last = String::new();
        let limit = Duration::from_secs(30);
        let deadline = std::time::Instant::now() + limit;
        while !last.contains(part) {
            assert!(std::time::Instant::now() < deadline, "{nick}'s irssi never showed {part:?}:\n{last}");
            std::thread::sleep(Duration::from_millis(50));
            last = self.screen(nick);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `program` runs; `flag` prints its version (tmux's `-v` would start a
/// verbose log instead).
fn installed(program: &str, flag: &str) -> bool {
    Command::new(program).arg(flag).output().is_ok()
}

#[test]
fn two_irssi_users_op_lock_the_topic_kick_and_ban() {
    for (program, flag) in [("tmux", "-V"), ("irssi", "--version")] {
        assert!(installed(program, flag), "{program} is not installed (scripts/test installs it)");
    }
    let server = start(&[]);
    let port = server.addr().port();
    let tmux = Tmux::new("irssi");
    tmux.irssi("alice", port);
    tmux.irssi("bob", port);
    let mut watch = Irc::register(&server, "watch");
    wait_for(Duration::from_secs(30), "both irssi clients registered", || {
        watch.send("ISON alice bob");
        watch.expect_code("303").ends_with(":alice bob")
    });

    tmux.type_line("alice", "/join #t");
    tmux.wait_screen("alice", "[@alice]");
    watch.send("JOIN #t");
    watch.expect_code("366");
    tmux.type_line("bob", "/join #t");
    watch.expect(":bob!bob@127.0.0.1 JOIN #t");

    tmux.type_line("alice", "/op bob");
    watch.expect(":alice!alice@127.0.0.1 MODE #t +o bob");
    tmux.wait_screen("bob", "mode/#t [+o bob] by alice");
    // New channels are +nt: unlock, then lock again.
    tmux.type_line("alice", "/mode #t -t");
    watch.expect(":alice!alice@127.0.0.1 MODE #t -t");
    tmux.type_line("alice", "/mode #t +t");
    watch.expect(":alice!alice@127.0.0.1 MODE #t +t");
    tmux.type_line("bob", "/topic as an operator");
    watch.expect(":bob!bob@127.0.0.1 TOPIC #t :as an operator");
    tmux.type_line("alice", "/deop bob");
    watch.expect(":alice!alice@127.0.0.1 MODE #t -o bob");
    tmux.type_line("bob", "/topic not any more");
    tmux.wait_screen("bob", "You're not channel operator");

    // irssi builds the mask from what WHO told it when it joined.
    tmux.type_line("alice", "/ban bob");
    let ban = watch.line_with(" MODE #t +b ");
    assert!(ban.starts_with(":alice!alice@127.0.0.1 MODE #t +b ") && ban.contains("127.0.0."), "{ban}");
    tmux.type_line("alice", "/kick bob enough");
    watch.expect(":alice!alice@127.0.0.1 KICK #t bob :enough");
    tmux.wait_screen("bob", "bob was kicked from #t by alice [enough]");
    tmux.type_line("bob", "/join #t");
    tmux.wait_screen("bob", "You are banned");
    watch.send("NAMES #t");
    assert_eq!(watch.expect_code("353"), ":switchyard 353 watch = #t :@alice watch");
    drop(tmux);
    assert!(server.stop().success());
}

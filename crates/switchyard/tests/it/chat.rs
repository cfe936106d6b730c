//! Tests of `switchyard serve chat`: IRC clients over raw sockets against
//! the real binary, several at once.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{connect, Server};

pub(crate) fn start(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "chat", "--listen", "127.0.0.1:0"];
    if !extra.contains(&"--workers") {
        args.extend_from_slice(&["--workers", "2"]);
    }
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

/// Registers `a` and `b` and has both join `#r`.
pub(crate) fn two_in_a_room(server: &Server, a: &str, b: &str) -> (Irc, Irc) {
    let (mut a, mut b) = (Irc::register(server, a), Irc::register(server, b));
    for m in [&mut a, &mut b] {
        m.send("JOIN #r");
        m.expect_code("366");
    }
    (a, b)
}

/// One IRC client: writes lines, reads lines, answers the server's PINGs
/// unless told not to.
pub(crate) struct Irc {
    nick: String,
    pub(crate) writer: TcpStream,
    reader: BufReader<TcpStream>,
    pub(crate) answer_pings: bool,
}

impl Irc {
    #[track_caller]
    pub(crate) fn connect(server: &Server, nick: &str) -> Irc {
        let s = connect(server.addr());
        Irc { nick: nick.to_string(), writer: s.try_clone().unwrap(), reader: BufReader::new(s), answer_pings: true }
    }

    /// Connects and registers as `nick` (user name `nick`), through the end of the MOTD.
    #[track_caller]
    pub(crate) fn register(server: &Server, nick: &str) -> Irc {
        let mut c = Irc::connect(server, nick);
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :{nick} the tester"));
        c.expect_code("422");
        c
    }

    #[track_caller]
    pub(crate) fn send(&mut self, line: &str) {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    }

    /// The next line, without its CRLF; None at EOF or reset.
    #[track_caller]
    pub(crate) fn next(&mut self) -> Option<String> {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("{}: reading: {e}", self.nick),
            }
            assert!(line.ends_with("\r\n"), "{}: line without CRLF: {line:?}", self.nick);
            let line = line.trim_end_matches("\r\n").to_string();
            if self.answer_pings {
                if let Some(token) = line.strip_prefix("PING ") {
                    self.send(&format!("PONG {token}"));
                    continue;
                }
            }
            return Some(line);
        }
    }

    /// Reads until `done` holds for a line; returns the lines before it and that line.
    #[track_caller]
    pub(crate) fn until(&mut self, what: &str, mut done: impl FnMut(&str) -> bool) -> (Vec<String>, String) {
        let mut seen = Vec::new();
        loop {
            match self.next() {
                Some(line) if done(&line) => return (seen, line),
                Some(line) => seen.push(line),
                None => panic!("{}: connection ended waiting for {what}; got {seen:#?}", self.nick),
            }
        }
    }

    /// Reads until a line containing `part`; returns that line.
    #[track_caller]
    pub(crate) fn line_with(&mut self, part: &str) -> String {
        self.until(part, |l| l.contains(part)).1
    }

    /// Reads until exactly `want`; returns the lines before it.
    #[track_caller]
    pub(crate) fn expect(&mut self, want: &str) -> Vec<String> {
        self.until(want, |l| l == want).0
    }

    /// Reads until a numeric `code`; returns that line.
    #[track_caller]
    pub(crate) fn expect_code(&mut self, code: &str) -> String {
        self.until(code, |l| l.split(' ').nth(1) == Some(code)).1
    }

    /// Round-trips a PING, so that everything the server owed us before it
    /// has arrived; returns what came first.
    #[track_caller]
    pub(crate) fn sync(&mut self) -> Vec<String> {
        self.send("PING :sync");
        self.expect(":switchyard PONG switchyard :sync")
    }

    /// Reads to the end of the stream; returns every line.
    pub(crate) fn rest(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.next()).collect()
    }
}

#[test]
fn registration_sends_welcome_numerics_isupport_and_the_missing_motd() {
    let server = start(&[]);
    let mut c = Irc::connect(&server, "ann");
    c.send("NICK ann");
    c.send("USER ann 0 * :Ann Example");
    let (_, l) = c.until("001", |l| l.contains(" 001 "));
    assert_eq!(l, ":switchyard 001 ann :Welcome to the Internet Relay Network ann!ann@127.0.0.1");
    assert_eq!(c.next().unwrap(), ":switchyard 002 ann :Your host is switchyard, running version switchyard-0.1.0");
    assert!(c.next().unwrap().starts_with(":switchyard 003 ann :This server was created "));
    assert_eq!(c.next().unwrap(), ":switchyard 004 ann switchyard switchyard-0.1.0 iow biklmnopstv bklov");
    let isupport = c.next().unwrap();
    for token in [
        " CHANTYPES=#& ",
        " NICKLEN=30 ",
        " CHANNELLEN=50 ",
        " CASEMAPPING=rfc1459 ",
        " PREFIX=(ov)@+ ",
        " CHANMODES=b,k,l,imnpst ",
        " MODES=6 ",
        " MAXLIST=b:50 ",
    ] {
        assert!(isupport.starts_with(":switchyard 005 ann ") && isupport.contains(token), "{isupport}");
    }
    assert!(isupport.ends_with(" :are supported by this server"));
    // LUSERS, as at every registration: ann is the only user.
    assert_eq!(c.next().unwrap(), ":switchyard 251 ann :There are 1 users and 0 invisible on 1 servers");
    assert_eq!(c.next().unwrap(), ":switchyard 255 ann :I have 1 clients and 0 servers");
    assert_eq!(c.next().unwrap(), ":switchyard 265 ann 1 1 :Current local users: 1, max: 1");
    assert_eq!(c.next().unwrap(), ":switchyard 266 ann 1 1 :Current global users: 1, max: 1");
    assert_eq!(c.next().unwrap(), ":switchyard 422 ann :MOTD File is missing");
    assert!(server.stop().success());
}

#[test]
fn the_motd_file_is_sent_after_the_welcome_and_cap_negotiation_holds_registration() {
    let motd = std::env::temp_dir().join(format!("switchyard-it-motd-{}", std::process::id()));
    std::fs::write(&motd, "Hello there.\nBe nice.\n").unwrap();
    let server = start(&["--server-name", "irc.test", "--motd", motd.to_str().unwrap()]);
    std::fs::remove_file(&motd).unwrap();
    let mut c = Irc::connect(&server, "bob");
    c.send("CAP LS 302");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    c.send("CAP REQ :multi-prefix sasl");
    c.send("CAP REQ :multi-prefix");
    c.send("PING :held");
    let before = c.expect(":irc.test PONG irc.test :held");
    let ls =
        ":irc.test CAP * LS :away-notify cap-notify echo-message extended-join message-tags multi-prefix server-time";
    let replies = [ls, ":irc.test CAP bob NAK :multi-prefix sasl", ":irc.test CAP bob ACK :multi-prefix"];
    assert_eq!(before, replies, "no welcome before CAP END");
    c.send("CAP END");
    c.expect_code("001");
    assert_eq!(c.expect_code("375"), ":irc.test 375 bob :- irc.test Message of the day - ");
    assert_eq!(c.next().unwrap(), ":irc.test 372 bob :- Hello there.");
    assert_eq!(c.next().unwrap(), ":irc.test 372 bob :- Be nice.");
    assert_eq!(c.next().unwrap(), ":irc.test 376 bob :End of MOTD command");
    assert!(server.stop().success());
}

#[test]
fn a_nick_taken_in_any_case_gets_433_and_a_free_one_succeeds() {
    let server = start(&[]);
    let _holder = Irc::register(&server, "Dan[x]");
    let mut c = Irc::connect(&server, "dan");
    c.send("NICK dan{X}");
    assert_eq!(c.expect_code("433"), ":switchyard 433 * dan{X} :Nickname is already in use");
    c.send("NICK DAN[X]");
    assert_eq!(c.expect_code("433"), ":switchyard 433 * DAN[X] :Nickname is already in use");
    c.send("NICK dan2");
    c.send("USER dan 0 * :Dan");
    assert_eq!(c.expect_code("001"), ":switchyard 001 dan2 :Welcome to the Internet Relay Network dan2!dan@127.0.0.1");
    assert!(server.stop().success());
}

#[test]
fn join_part_nick_topic_and_quit_reach_every_member_with_full_prefixes() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    let mut c = Irc::register(&server, "carol");
    a.send("JOIN #room");
    a.expect(":alice!alice@127.0.0.1 JOIN #room");
    assert_eq!(a.next().unwrap(), ":switchyard 353 alice = #room :@alice");
    assert_eq!(a.next().unwrap(), ":switchyard 366 alice #room :End of NAMES list");
    b.send("JOIN #room");
    b.expect(":bob!bob@127.0.0.1 JOIN #room");
    assert_eq!(b.next().unwrap(), ":switchyard 353 bob = #room :@alice bob");
    a.expect(":bob!bob@127.0.0.1 JOIN #room");
    c.send("JOIN #room");
    a.expect(":carol!carol@127.0.0.1 JOIN #room");
    b.expect(":carol!carol@127.0.0.1 JOIN #room");

    a.send("TOPIC #room :plans for today");
    for m in [&mut a, &mut b, &mut c] {
        m.expect(":alice!alice@127.0.0.1 TOPIC #room :plans for today");
    }
    b.send("NICK robert");
    for m in [&mut a, &mut b, &mut c] {
        m.expect(":bob!bob@127.0.0.1 NICK :robert");
    }
    b.nick = "robert".into();
    c.send("PART #room :see you");
    for m in [&mut a, &mut b, &mut c] {
        m.expect(":carol!carol@127.0.0.1 PART #room :see you");
    }
    b.send("QUIT :gone fishing");
    b.expect("ERROR :Closing Link: 127.0.0.1 (Quit: gone fishing)");
    assert_eq!(b.next(), None, "the server closes after QUIT");
    a.expect(":robert!bob@127.0.0.1 QUIT :Quit: gone fishing");
    // carol left the channel before: she hears nothing of the quit.
    assert!(c.sync().iter().all(|l| !l.contains("QUIT")));
    a.send("NAMES #room");
    assert_eq!(a.expect_code("353"), ":switchyard 353 alice = #room :@alice");
    assert!(server.stop().success());
}

#[test]
fn channel_and_private_messages_reach_their_targets_and_not_the_sender() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    let mut out = Irc::register(&server, "outsider");
    for m in [&mut a, &mut b] {
        m.send("JOIN #room");
        m.expect_code("366");
    }
    a.expect(":bob!bob@127.0.0.1 JOIN #room");
    a.send("PRIVMSG #room :hello, room");
    a.send("NOTICE #room :a notice");
    b.expect(":alice!alice@127.0.0.1 PRIVMSG #room :hello, room");
    b.expect(":alice!alice@127.0.0.1 NOTICE #room :a notice");
    let own = a.sync();
    assert!(own.iter().all(|l| !l.contains("hello")), "the sender got its own message back: {own:?}");

    out.send("PRIVMSG bob :psst, bob");
    b.expect(":outsider!outsider@127.0.0.1 PRIVMSG bob :psst, bob");
    b.send("AWAY :lunch");
    assert_eq!(b.expect_code("306"), ":switchyard 306 bob :You have been marked as being away");
    out.send("PRIVMSG BOB :still there?");
    assert_eq!(out.expect_code("301"), ":switchyard 301 outsider bob :lunch");
    b.expect(":outsider!outsider@127.0.0.1 PRIVMSG BOB :still there?");
    b.send("AWAY");
    assert_eq!(b.expect_code("305"), ":switchyard 305 bob :You are no longer marked as being away");
    a.send("PRIVMSG bob,#room :to both");
    b.expect(":alice!alice@127.0.0.1 PRIVMSG bob :to both");
    b.expect(":alice!alice@127.0.0.1 PRIVMSG #room :to both");
    // The outsider is in no channel and heard nothing of the room.
    assert!(out.sync().iter().all(|l| !l.contains("#room")));
    assert!(server.stop().success());
}

#[test]
fn topic_names_list_who_whois_and_mode_queries_answer_as_the_rfc_says() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    a.send("JOIN #room,#empty");
    a.expect_code("366");
    a.expect_code("366");
    b.send("JOIN #room");
    b.expect_code("366");
    b.send("TOPIC #room");
    assert_eq!(b.expect_code("331"), ":switchyard 331 bob #room :No topic is set");
    a.send("TOPIC #room :the topic");
    b.expect(":alice!alice@127.0.0.1 TOPIC #room :the topic");
    b.send("TOPIC #room");
    assert_eq!(b.expect_code("332"), ":switchyard 332 bob #room :the topic");
    let who_time = b.next().unwrap();
    assert!(who_time.starts_with(":switchyard 333 bob #room alice!alice@127.0.0.1 "), "{who_time}");

    b.send("NAMES #room");
    assert_eq!(b.expect_code("353"), ":switchyard 353 bob = #room :@alice bob");
    assert_eq!(b.next().unwrap(), ":switchyard 366 bob #room :End of NAMES list");
    b.send("LIST");
    assert_eq!(b.expect_code("321"), ":switchyard 321 bob Channel :Users  Name");
    assert_eq!(b.next().unwrap(), ":switchyard 322 bob #empty 1 :");
    assert_eq!(b.next().unwrap(), ":switchyard 322 bob #room 2 :the topic");
    assert_eq!(b.next().unwrap(), ":switchyard 323 bob :End of LIST");
    b.send("WHO #room");
    assert_eq!(
        b.expect_code("352"),
        ":switchyard 352 bob #room alice 127.0.0.1 switchyard alice H@ :0 alice the tester"
    );
    assert_eq!(b.next().unwrap(), ":switchyard 352 bob #room bob 127.0.0.1 switchyard bob H :0 bob the tester");
    assert_eq!(b.next().unwrap(), ":switchyard 315 bob #room :End of WHO list");
    b.send("WHOIS ALICE");
    assert_eq!(b.expect_code("311"), ":switchyard 311 bob alice alice 127.0.0.1 * :alice the tester");
    assert_eq!(b.next().unwrap(), ":switchyard 319 bob alice :@#empty @#room");
    assert_eq!(b.next().unwrap(), ":switchyard 312 bob alice switchyard :switchyard chat");
    let idle = b.expect_code("317");
    let signon: u64 = idle.split(' ').nth(5).unwrap().parse().unwrap();
    assert!(signon > 1_600_000_000 && idle.ends_with(" :seconds idle, signon time"), "{idle}");
    assert_eq!(b.next().unwrap(), ":switchyard 318 bob alice :End of WHOIS list");
    b.send("MODE #room");
    assert_eq!(b.expect_code("324"), ":switchyard 324 bob #room +nt");
    assert!(b.next().unwrap().starts_with(":switchyard 329 bob #room "));
    b.send("MODE #room b");
    assert_eq!(b.expect_code("368"), ":switchyard 368 bob #room :End of channel ban list");
    b.send("MODE bob");
    assert_eq!(b.expect_code("221"), ":switchyard 221 bob +");
    b.send("MODE bob +i");
    b.expect(":bob!bob@127.0.0.1 MODE bob :+i");
    a.send("AWAY :out");
    a.expect_code("306");
    b.send("USERHOST alice BOB nobody");
    assert_eq!(b.expect_code("302"), ":switchyard 302 bob :alice=-alice@127.0.0.1 bob=+bob@127.0.0.1");
    b.send("ISON nobody Alice bob");
    assert_eq!(b.expect_code("303"), ":switchyard 303 bob :alice bob");
    assert!(server.stop().success());
}

#[test]
fn channel_names_and_nicks_compare_case_insensitively() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "Alice");
    let mut b = Irc::register(&server, "bob");
    a.send("JOIN #Rust[1]");
    a.expect_code("366");
    b.send("JOIN #rust{1}");
    // The channel keeps its creator's spelling.
    b.expect(":bob!bob@127.0.0.1 JOIN #Rust[1]");
    a.expect(":bob!bob@127.0.0.1 JOIN #Rust[1]");
    b.send("PRIVMSG #RUST[1] :shouting");
    a.expect(":bob!bob@127.0.0.1 PRIVMSG #RUST[1] :shouting");
    b.send("PRIVMSG aLiCe :hi");
    a.expect(":bob!bob@127.0.0.1 PRIVMSG aLiCe :hi");
    a.send("NICK ALICE");
    a.expect(":Alice!Alice@127.0.0.1 NICK :ALICE");
    b.expect(":Alice!Alice@127.0.0.1 NICK :ALICE");
    b.send("PART #rust{1}");
    b.expect(":bob!bob@127.0.0.1 PART #Rust[1]");
    assert!(server.stop().success());
}

#[test]
fn every_error_numeric_carries_its_standard_text() {
    let server = start(&[]);
    let mut fresh = Irc::connect(&server, "fresh");
    fresh.send("JOIN #x");
    assert_eq!(fresh.next().unwrap(), ":switchyard 451 * :You have not registered");
    fresh.send("NICK");
    assert_eq!(fresh.next().unwrap(), ":switchyard 431 * :No nickname given");
    fresh.send("NICK 9lives");
    assert_eq!(fresh.next().unwrap(), ":switchyard 432 * 9lives :Erroneous nickname");
    fresh.send("USER onlyone");
    assert_eq!(fresh.next().unwrap(), ":switchyard 461 * USER :Not enough parameters");

    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    b.send("JOIN #members");
    b.expect_code("366");
    let table: &[(&str, &str)] = &[
        ("PRIVMSG nobody :hi", ":switchyard 401 alice nobody :No such nick/channel"),
        ("PRIVMSG #nowhere :hi", ":switchyard 401 alice #nowhere :No such nick/channel"),
        ("WHOIS nobody", ":switchyard 401 alice nobody :No such nick/channel"),
        ("PART #nowhere", ":switchyard 403 alice #nowhere :No such channel"),
        ("TOPIC #nowhere", ":switchyard 403 alice #nowhere :No such channel"),
        ("PRIVMSG #members :let me in", ":switchyard 404 alice #members :Cannot send to channel"),
        ("PRIVMSG", ":switchyard 411 alice :No recipient given (PRIVMSG)"),
        ("PRIVMSG bob", ":switchyard 412 alice :No text to send"),
        ("PRIVMSG bob :", ":switchyard 412 alice :No text to send"),
        ("FROBNICATE now", ":switchyard 421 alice FROBNICATE :Unknown command"),
        ("FOO-BAR now", ":switchyard 421 alice FOO-BAR :Unknown command"),
        (":alice X_1", ":switchyard 421 alice X_1 :Unknown command"),
        ("NICK", ":switchyard 431 alice :No nickname given"),
        ("NICK a!b", ":switchyard 432 alice a!b :Erroneous nickname"),
        ("NICK bob", ":switchyard 433 alice bob :Nickname is already in use"),
        ("PART #members", ":switchyard 442 alice #members :You're not on that channel"),
        ("TOPIC #members :mine", ":switchyard 442 alice #members :You're not on that channel"),
        ("JOIN", ":switchyard 461 alice JOIN :Not enough parameters"),
        ("PART", ":switchyard 461 alice PART :Not enough parameters"),
        ("USER again 0 * :Again", ":switchyard 462 alice :Unauthorized command (already registered)"),
        ("JOIN nohash", ":switchyard 479 alice nohash :Illegal channel name"),
        ("JOIN #bad:name", ":switchyard 479 alice #bad:name :Illegal channel name"),
        ("PING", ":switchyard 409 alice :No origin specified"),
    ];
    for (line, want) in table {
        a.send(line);
        assert_eq!(a.sync().first(), Some(&want.to_string()), "after {line:?}");
    }
    // NOTICE never draws an error reply.
    a.send("NOTICE nobody :hi");
    a.send("NOTICE #members :hi");
    assert!(a.sync().is_empty());
    assert!(b.sync().iter().all(|l| !l.contains("NOTICE")));
    assert!(server.stop().success());
}

#[test]
fn a_line_over_512_bytes_gets_417_and_the_connection_goes_on() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    b.send("JOIN #r");
    b.expect_code("366");
    a.send("JOIN #r");
    a.expect_code("366");
    // 510 bytes and CRLF: the most a line may be.
    let fits = format!("PRIVMSG #r :{}", "x".repeat(510 - "PRIVMSG #r :".len()));
    assert_eq!(fits.len(), 510);
    a.send(&fits);
    let too_long = format!("PRIVMSG #r :{}", "y".repeat(511 - "PRIVMSG #r :".len()));
    a.send(&too_long);
    // A very long line arrives in pieces; still one 417.
    a.writer.write_all(format!("PRIVMSG #r :{}", "z".repeat(5000)).as_bytes()).unwrap();
    a.writer.write_all(b"zzz\r\nPRIVMSG #r :after\r\n").unwrap();
    assert_eq!(a.next().unwrap(), ":switchyard 417 alice :Input line was too long");
    assert_eq!(a.next().unwrap(), ":switchyard 417 alice :Input line was too long");
    assert!(a.sync().is_empty());
    let got = b.expect(":alice!alice@127.0.0.1 PRIVMSG #r :after");
    let xs: Vec<&String> = got.iter().filter(|l| l.contains("PRIVMSG")).collect();
    assert_eq!(xs.len(), 1, "only the line that fits is relayed: {got:?}");
    assert!(xs[0].len() <= 510 && xs[0].contains(&"x".repeat(400)), "relayed lines are cut to fit");
    assert!(server.stop().success());
}

#[test]
fn a_silent_client_is_pinged_then_dropped_and_its_channels_told() {
    let server = start(&["--ping-interval", "300ms"]);
    let mut quiet = Irc::register(&server, "quiet");
    quiet.answer_pings = false;
    let mut alive = Irc::register(&server, "alive");
    for m in [&mut quiet, &mut alive] {
        m.send("JOIN #r");
        m.expect_code("366");
    }
    // `alive` answers its PINGs (the helper does) while `quiet` is watched.
    let alive = std::thread::spawn(move || {
        let (_, quit) = alive.until("the QUIT", |l| l.contains(" QUIT "));
        assert!(quit.starts_with(":quiet!quiet@127.0.0.1 QUIT :Ping timeout: "), "{quit}");
        alive
    });
    quiet.expect("PING :switchyard");
    let (_, error) = quiet.until("ERROR", |l| l.starts_with("ERROR "));
    assert!(error.starts_with("ERROR :Closing Link: 127.0.0.1 (Ping timeout: "), "{error}");
    assert_eq!(quiet.next(), None);
    let mut alive = alive.join().unwrap();
    alive.send("NAMES #r");
    assert_eq!(alive.expect_code("353"), ":switchyard 353 alive = #r :alive");
    assert!(server.stop().success());
}

#[test]
fn a_client_that_never_reads_is_dropped_while_the_others_keep_receiving() {
    let server = start(&["--flood-rate", "0", "--max-output", "256KiB"]);
    let mut sender = Irc::register(&server, "sender");
    let mut reader = Irc::register(&server, "reader");
    let mut stuck = Irc::register(&server, "stuck");
    for m in [&mut sender, &mut reader, &mut stuck] {
        m.send("JOIN #firehose");
        m.expect_code("366");
    }
    reader.sync();
    let text = "w".repeat(440);
    let mut dropped = false;
    let mut n = 0;
    // Kernel buffers on loopback hold some megabytes before the server's
    // queue for `stuck` starts to grow; 40 MB is far past all of them.
    for _batch in 0..400 {
        for _ in 0..200 {
            sender.send(&format!("PRIVMSG #firehose :{n} {text}"));
            n += 1;
        }
        let last = format!(":sender!sender@127.0.0.1 PRIVMSG #firehose :{} {text}", n - 1);
        let seen = reader.expect(&last);
        if seen.iter().any(|l| l == ":stuck!stuck@127.0.0.1 QUIT :Max SendQ exceeded") {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the reader never saw `stuck` dropped after {n} messages");
    sender.send("PRIVMSG #firehose :after the drop");
    reader.expect(":sender!sender@127.0.0.1 PRIVMSG #firehose :after the drop");
    reader.send("NAMES #firehose");
    assert_eq!(reader.expect_code("353"), ":switchyard 353 reader = #firehose :@sender reader");
    assert!(server.stop().success());
}

#[test]
fn messages_from_one_sender_reach_every_member_in_the_order_sent() {
    every_member_hears_each_sender_in_order(&["--flood-rate", "0", "--workers", "4"]);
}

#[test]
fn messages_keep_their_order_with_the_poll_backend_and_direct_writes() {
    every_member_hears_each_sender_in_order(&["--flood-rate", "0", "--poller", "poll", "--respond", "direct"]);
}

/// Four members, two of them sending 500 messages each at once.
fn every_member_hears_each_sender_in_order(flags: &[&str]) {
    let server = start(flags);
    let mut members: Vec<Irc> = (0..4).map(|i| Irc::register(&server, &format!("m{i}"))).collect();
    for m in &mut members {
        m.send("JOIN #ordered");
        m.expect_code("366");
    }
    let mut senders: Vec<Irc> = members.drain(..2).collect();
    const EACH: usize = 500;
    for i in 0..EACH {
        for s in &mut senders {
            s.send(&format!("PRIVMSG #ordered :{i}"));
        }
    }
    // Every member hears each sender's messages in order; a sender hears the other's.
    let mut everyone: Vec<&mut Irc> = senders.iter_mut().chain(members.iter_mut()).collect();
    for m in &mut everyone {
        let me = m.nick.clone();
        let mut next = [0usize; 2];
        while next.iter().enumerate().any(|(s, &n)| n < EACH && format!("m{s}") != me) {
            let line = m.next().unwrap_or_else(|| panic!("{me}: closed early at {next:?}"));
            let Some(rest) = line.strip_prefix(":m").filter(|_| line.contains(" PRIVMSG ")) else { continue };
            let s: usize = rest[..1].parse().unwrap();
            let body = rest.split(" :").nth(1).unwrap();
            assert_eq!(body, next[s].to_string(), "{me}: from m{s} out of order");
            next[s] += 1;
        }
    }
    assert!(server.stop().success());
}

#[test]
fn a_client_over_its_burst_is_throttled_and_every_line_still_arrives_in_order() {
    let server = start(&["--flood-rate", "20"]);
    let (mut paster, mut witness) = two_in_a_room(&server, "paster", "witness");
    // The burst is 200 lines and registration used some: 250 lines go over
    // it, but by less than a burst, so the rest waits for the bucket.
    let paste: String = (0..250).map(|i| format!("PRIVMSG #r :line {i}\r\n")).collect();
    paster.writer.write_all(paste.as_bytes()).unwrap();
    let (before, first) = witness.until("the first line", |l| l.contains(" PRIVMSG "));
    assert!(before.iter().all(|l| !l.contains(" QUIT ")), "{before:?}");
    assert_eq!(first, ":paster!paster@127.0.0.1 PRIVMSG #r :line 0");
    for i in 1..250 {
        assert_eq!(witness.next().unwrap(), format!(":paster!paster@127.0.0.1 PRIVMSG #r :line {i}"));
    }
    assert!(paster.sync().iter().all(|l| !l.starts_with("ERROR")));
    assert!(server.stop().success());
}

#[test]
fn a_flooding_client_is_disconnected_for_excess_flood() {
    let server = start(&["--flood-rate", "5"]);
    let (mut flooder, mut witness) = two_in_a_room(&server, "flooder", "witness");
    let burst: String = (0..200).map(|i| format!("PRIVMSG #r :{i}\r\n")).collect();
    flooder.writer.write_all(burst.as_bytes()).unwrap();
    let (_, error) = flooder.until("ERROR", |l| l.starts_with("ERROR "));
    assert_eq!(error, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)");
    let (_, quit) = witness.until("the QUIT", |l| l.contains(" QUIT "));
    assert_eq!(quit, ":flooder!flooder@127.0.0.1 QUIT :Excess Flood");
    assert!(server.stop().success());
}

#[test]
fn shutdown_delivers_what_was_accepted_then_a_notice_and_closing_link() {
    let server = start(&["--flood-rate", "0"]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    for i in 0..100 {
        a.send(&format!("PRIVMSG #r :{i}"));
    }
    // Once alice's PONG is back, the server has handled her messages.
    a.sync();
    server.signal(libc::SIGTERM);
    let lines = b.rest();
    let got: Vec<&String> = lines.iter().filter(|l| l.contains("PRIVMSG")).collect();
    assert_eq!(got.len(), 100, "{lines:#?}");
    let n = lines.len();
    assert!(n >= 2, "{lines:?}");
    assert_eq!(lines[n - 2], ":switchyard NOTICE bob :Server is shutting down");
    assert_eq!(lines[n - 1], "ERROR :Closing Link: 127.0.0.1 (Server shutting down)");
    let rest = a.rest();
    assert_eq!(rest.last().map(String::as_str), Some("ERROR :Closing Link: 127.0.0.1 (Server shutting down)"));
    let mut server = server;
    assert!(server.wait(Duration::from_secs(10)).success());
}

#[test]
fn messages_sent_just_before_the_signal_reach_every_member_before_their_closing_link() {
    for round in 0..5 {
        let server = start(&["--flood-rate", "0"]);
        let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
        // No wait for the server to handle them: the signal races the
        // messages, which arrive before it and so must all be delivered.
        let burst: String = (0..50).map(|i| format!("PRIVMSG #r :{i}\r\n")).collect();
        a.writer.write_all(burst.as_bytes()).unwrap();
        server.signal(libc::SIGTERM);
        let lines = b.rest();
        let got: Vec<&String> = lines.iter().filter(|l| l.contains("PRIVMSG")).collect();
        assert_eq!(got.len(), 50, "round {round}: {lines:#?}");
        assert_eq!(lines.last().map(String::as_str), Some("ERROR :Closing Link: 127.0.0.1 (Server shutting down)"));
        let mut server = server;
        assert!(server.wait(Duration::from_secs(10)).success());
    }
}

#[test]
fn bench_chat_delivers_every_message_in_order_and_says_so() {
    let server = start(&["--flood-rate", "0"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["bench", "chat", "--target", &server.addr().to_string(), "--connections", "12", "--duration", "300ms"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("12 members in #bench, 1 senders"), "{text}");
    assert!(text.contains("deliveries/s") && text.contains(" 0 errors"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["bench", "chat", "--target", &server.addr().to_string(), "--connections", "6", "--senders", "3"])
        .args(["--rate", "50", "--duration", "300ms", "--json"])
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{json}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(json.contains("\"members\":6,\"senders\":3,") && json.contains("\"per_sender_per_s\":50,"), "{json}");
    assert!(json.contains("\"errors\":0}"), "{json}");
    assert!(server.stop().success());
}

#[test]
fn a_client_that_half_closes_still_gets_every_reply() {
    use std::io::Read;
    let server = start(&[]);
    let mut watcher = Irc::register(&server, "watcher");
    watcher.send("JOIN #half");
    watcher.expect_code("366");
    for round in 0..20 {
        // A PING, then the write side shut at once.
        let mut c = connect(server.addr());
        c.write_all(format!("PING x{round}\r\n").as_bytes()).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(got.contains(&format!("PONG switchyard :x{round}")), "round {round}: {got:?}");

        // A whole registration and a message the same way.
        let nick = format!("half{round}");
        let mut c = connect(server.addr());
        let lines = format!("NICK {nick}\r\nUSER {nick} 0 * :h\r\nJOIN #half\r\nPRIVMSG #half :bye {round}\r\n");
        c.write_all(lines.as_bytes()).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(got.contains(" 001 ") && got.contains(" 366 "), "round {round}: {got:?}");
        let said = watcher.line_with(&format!("PRIVMSG #half :bye {round}"));
        assert!(said.starts_with(&format!(":{nick}!")), "{said}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// The MOTD lines (372) a client gets from `MOTD`.
fn motd_lines(c: &mut Irc) -> Vec<String> {
    c.send("MOTD");
    let (before, _) = c.until("376", |l| l.split(' ').nth(1) == Some("376"));
    before.into_iter().filter(|l| l.split(' ').nth(1) == Some("372")).collect()
}

#[test]
fn sighup_reloads_the_motd_file_and_names_the_chat_settings_that_need_a_restart() {
    let dir = std::env::temp_dir().join(format!("switchyard-it-motd-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, motd) = (dir.join("chat.toml"), dir.join("motd.txt"));
    std::fs::write(&motd, "Old news.\n").unwrap();
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\n[chat]\nmotd = \"motd.txt\"\n").unwrap();
    let server = start(&["--config", file.to_str().unwrap()]);
    let mut ann = Irc::connect(&server, "ann");
    ann.send("NICK ann");
    ann.send("USER ann 0 * :Ann");
    ann.expect_code("376");
    assert_eq!(motd_lines(&mut ann), [":switchyard 372 ann :- Old news."]);

    std::fs::write(&motd, "Fresh news.\nSecond line.\n").unwrap();
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\n[chat]\nmotd = \"motd.txt\"\nserver_name = \"irc.new\"\n")
        .unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the reload", || {
        server.stderr().contains("configuration reloaded")
    });
    let log = server.stderr();
    assert!(log.contains(r#"applied=["chat.motd"]"#), "{log}");
    assert!(log.contains(r#"settings=["chat.server_name"]"#), "{log}");
    assert_eq!(
        motd_lines(&mut ann),
        [":switchyard 372 ann :- Fresh news.", ":switchyard 372 ann :- Second line."],
        "an existing client's MOTD"
    );

    // A MOTD file that cannot be read refuses the reload, as at start; the
    // running MOTD stays.
    std::fs::remove_file(&motd).unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the refused reload", || {
        server.stderr().contains("the running configuration stays")
    });
    assert!(server.stderr().contains("chat.motd"), "{}", server.stderr());
    assert_eq!(motd_lines(&mut ann).len(), 2);
    // Without the key, there is no MOTD any more.
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\n").unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the third reload", || {
        server.stderr().matches("configuration reloaded").count() == 2
    });
    ann.send("MOTD");
    assert_eq!(ann.expect_code("422"), ":switchyard 422 ann :MOTD File is missing");
    assert!(server.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}

//! Tests of running a channel on `switchyard serve chat`: channel
//! operators and voice, channel modes, INVITE, KICK and bans, server
//! operators, the server queries and the IRCv3 capabilities, over raw
//! sockets against the real binary.

use std::time::Duration;

use crate::chat::{start, two_in_a_room, Irc};
use crate::support::{wait_for, Server};

/// `secret`, hashed with `openssl passwd -6 -salt saltsalt secret`.
const SECRET_HASH: &str =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";

/// A chat server whose configuration file names the operator `root`
/// (password `secret`), with its admin listener.
fn start_with_opers() -> (Server, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("switchyard-it-opers-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        format!("listen = [\"127.0.0.1:0\"]\nadmin = \"127.0.0.1:0\"\n[chat.opers]\nroot = \"{SECRET_HASH}\"\n"),
    )
    .unwrap();
    let server = Server::start(&["serve", "chat", "--workers", "2", "--config", path.to_str().unwrap()], 2);
    (server, path)
}

/// The lines that `line` brings: what came before it is read and dropped first.
#[track_caller]
fn answer(c: &mut Irc, line: &str) -> Vec<String> {
    c.sync();
    c.send(line);
    c.sync()
}

#[test]
fn the_creator_is_operator_and_gives_and_takes_op_and_voice_for_all_to_see() {
    let server = start(&[]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    let mut c = Irc::register(&server, "carol");
    c.send("JOIN #r");
    c.expect_code("366");
    a.send("MODE #r +ov bob carol");
    for m in [&mut a, &mut b, &mut c] {
        m.expect(":alice!alice@127.0.0.1 MODE #r +ov bob carol");
    }
    c.send("NAMES #r");
    assert_eq!(c.expect_code("353"), ":switchyard 353 carol = #r :@alice @bob +carol");
    c.send("WHO #r");
    assert!(c.expect_code("352").contains(" alice H@ :0 "));
    assert!(c.next().unwrap().contains(" bob H@ :0 "));
    assert!(c.next().unwrap().contains(" carol H+ :0 "));
    b.send("MODE #r -o+v alice alice");
    for m in [&mut a, &mut b, &mut c] {
        m.expect(":bob!bob@127.0.0.1 MODE #r -o+v alice alice");
    }
    // Only the highest prefix without multi-prefix.
    c.send("NAMES #r");
    assert_eq!(c.expect_code("353"), ":switchyard 353 carol = #r :+alice @bob +carol");
    // Changes that change nothing are not broadcast.
    assert_eq!(answer(&mut b, "MODE #r +v alice"), Vec::<String>::new());
    assert_eq!(
        answer(&mut c, "MODE #r +o carol"),
        [":switchyard 482 carol #r :You're not channel operator"],
        "voice is not operator"
    );
    let mut d = Irc::register(&server, "dave");
    assert_eq!(answer(&mut b, "MODE #r +o dave"), [":switchyard 441 bob dave #r :They aren't on that channel"]);
    assert_eq!(answer(&mut b, "MODE #r +o nobody"), [":switchyard 401 bob nobody :No such nick/channel"]);
    assert_eq!(answer(&mut b, "MODE #r +X"), [":switchyard 472 bob X :is unknown mode char to me for #r"]);
    assert_eq!(answer(&mut b, "MODE #r +o"), [":switchyard 461 bob MODE :Not enough parameters"]);
    assert_eq!(answer(&mut d, "MODE #r +t"), [":switchyard 482 dave #r :You're not channel operator"]);
    assert!(server.stop().success());
}

#[test]
fn topic_lock_moderation_and_outside_messages_follow_the_channel_modes() {
    let server = start(&[]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    let mut out = Irc::register(&server, "outsider");
    // A new channel is +nt.
    assert_eq!(answer(&mut b, "TOPIC #r :mine"), [":switchyard 482 bob #r :You're not channel operator"]);
    assert_eq!(answer(&mut out, "PRIVMSG #r :hi"), [":switchyard 404 outsider #r :Cannot send to channel"]);
    a.send("MODE #r -nt+m");
    for m in [&mut a, &mut b] {
        m.expect(":alice!alice@127.0.0.1 MODE #r -nt+m");
    }
    b.send("TOPIC #r :mine now");
    a.expect(":bob!bob@127.0.0.1 TOPIC #r :mine now");
    assert_eq!(answer(&mut b, "PRIVMSG #r :can I talk?"), [":switchyard 404 bob #r :Cannot send to channel"]);
    // Operators speak in a moderated channel; -n lets outsiders in, but +m still holds them.
    a.send("PRIVMSG #r :ops may");
    b.expect(":alice!alice@127.0.0.1 PRIVMSG #r :ops may");
    assert_eq!(answer(&mut out, "PRIVMSG #r :hi"), [":switchyard 404 outsider #r :Cannot send to channel"]);
    a.send("MODE #r +v bob");
    b.expect(":alice!alice@127.0.0.1 MODE #r +v bob");
    b.send("PRIVMSG #r :voiced now");
    a.expect(":bob!bob@127.0.0.1 PRIVMSG #r :voiced now");
    a.send("MODE #r -m");
    b.expect(":alice!alice@127.0.0.1 MODE #r -m");
    out.send("PRIVMSG #r :from outside");
    a.expect(":outsider!outsider@127.0.0.1 PRIVMSG #r :from outside");
    a.send("MODE #r");
    assert_eq!(a.expect_code("324"), ":switchyard 324 alice #r +");
    assert!(server.stop().success());
}

#[test]
fn invite_only_keys_and_limits_refuse_joins_with_their_numerics() {
    let server = start(&[]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    let mut c = Irc::register(&server, "carol");
    a.send("MODE #r +i");
    b.expect(":alice!alice@127.0.0.1 MODE #r +i");
    assert_eq!(answer(&mut c, "JOIN #r"), [":switchyard 473 carol #r :Cannot join channel (+i)"]);
    assert_eq!(answer(&mut b, "INVITE carol #r"), [":switchyard 482 bob #r :You're not channel operator"]);
    assert_eq!(answer(&mut a, "INVITE bob #r"), [":switchyard 443 alice bob #r :is already on channel"]);
    assert_eq!(answer(&mut a, "INVITE nobody #r"), [":switchyard 401 alice nobody :No such nick/channel"]);
    assert_eq!(answer(&mut c, "INVITE alice #r"), [":switchyard 442 carol #r :You're not on that channel"]);
    assert_eq!(answer(&mut a, "INVITE carol #r"), [":switchyard 341 alice carol #r"]);
    c.expect(":alice!alice@127.0.0.1 INVITE carol :#r");
    c.send("JOIN #r");
    b.expect(":carol!carol@127.0.0.1 JOIN #r");
    // The invitation is used up.
    c.send("PART #r");
    b.expect(":carol!carol@127.0.0.1 PART #r");
    assert_eq!(answer(&mut c, "JOIN #r"), [":switchyard 473 carol #r :Cannot join channel (+i)"]);

    a.send("MODE #r -i+kl s3cret 2");
    b.expect(":alice!alice@127.0.0.1 MODE #r -i+kl s3cret 2");
    a.send("MODE #r");
    assert_eq!(a.expect_code("324"), ":switchyard 324 alice #r +klnt s3cret 2");
    c.send("MODE #r");
    assert_eq!(c.expect_code("324"), ":switchyard 324 carol #r +klnt * 2", "the key is for members only");
    assert_eq!(answer(&mut c, "JOIN #r wrong"), [":switchyard 475 carol #r :Cannot join channel (+k)"]);
    assert_eq!(answer(&mut c, "JOIN #r s3cret"), [":switchyard 471 carol #r :Cannot join channel (+l)"]);
    a.send("MODE #r -l");
    b.expect(":alice!alice@127.0.0.1 MODE #r -l");
    c.send("JOIN #other,#r x,s3cret");
    b.expect(":carol!carol@127.0.0.1 JOIN #r");
    a.send("MODE #r -k *");
    b.expect(":alice!alice@127.0.0.1 MODE #r -k *");
    assert!(server.stop().success());
}

#[test]
fn secret_and_private_channels_hide_from_list_names_and_whois() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::register(&server, "bob");
    for (ch, mode) in [("#hidden", "+s"), ("#quiet", "+p"), ("#open", "+n")] {
        a.send(&format!("JOIN {ch}"));
        a.expect_code("366");
        a.send(&format!("MODE {ch} {mode}"));
    }
    a.sync();
    let list = answer(&mut b, "LIST");
    assert!(list.contains(&":switchyard 322 bob #open 1 :".to_string()), "{list:?}");
    assert!(!list.iter().any(|l| l.contains("#hidden") || l.contains("#quiet")), "{list:?}");
    b.send("WHOIS alice");
    assert_eq!(b.expect_code("319"), ":switchyard 319 bob alice :@#open");
    assert_eq!(answer(&mut b, "NAMES #hidden"), [":switchyard 366 bob #hidden :End of NAMES list"]);
    a.send("NAMES #hidden,#quiet");
    assert_eq!(a.expect_code("353"), ":switchyard 353 alice @ #hidden :@alice");
    assert_eq!(a.expect_code("353"), ":switchyard 353 alice * #quiet :@alice");
    a.send("WHOIS alice");
    assert_eq!(a.expect_code("319"), ":switchyard 319 alice alice :@#hidden @#open @#quiet");
    assert!(server.stop().success());
}

#[test]
fn bans_with_wildcards_keep_users_out_and_quiet_and_are_listed() {
    let server = start(&[]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    a.send("MODE #r +b sp?m*");
    for m in [&mut a, &mut b] {
        m.expect(":alice!alice@127.0.0.1 MODE #r +b sp?m*!*@*");
    }
    let mut s = Irc::register(&server, "SPAMMER");
    assert_eq!(answer(&mut s, "JOIN #r"), [":switchyard 474 SPAMMER #r :Cannot join channel (+b)"]);
    // A member who matches a ban later stays, but is silenced.
    a.send("MODE #r +b *!bob@*");
    b.expect(":alice!alice@127.0.0.1 MODE #r +b *!bob@*");
    assert_eq!(answer(&mut b, "PRIVMSG #r :hello?"), [":switchyard 404 bob #r :Cannot send to channel"]);
    a.send("MODE #r +b");
    let l = a.expect_code("367");
    assert!(l.starts_with(":switchyard 367 alice #r sp?m*!*@* alice!alice@127.0.0.1 "), "{l}");
    assert!(a.next().unwrap().starts_with(":switchyard 367 alice #r *!bob@* alice!alice@127.0.0.1 "));
    assert_eq!(a.next().unwrap(), ":switchyard 368 alice #r :End of channel ban list");
    a.send("MODE #r -b SP?M*!*@*");
    b.expect(":alice!alice@127.0.0.1 MODE #r -b sp?m*!*@*");
    s.send("JOIN #r");
    b.expect(":SPAMMER!SPAMMER@127.0.0.1 JOIN #r");
    // The list is bounded.
    for n in 0..9 {
        let masks: Vec<String> = (0..6).map(|i| format!("x{}!*@*", n * 6 + i)).collect();
        a.send(&format!("MODE #r +bbbbbb {}", masks.join(" ")));
    }
    let full = a.line_with(" 478 ");
    assert_eq!(full, ":switchyard 478 alice #r b :Channel list is full");
    assert!(server.stop().success());
}

#[test]
fn kick_removes_a_member_with_a_reason_and_only_operators_may() {
    let server = start(&[]);
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    let mut c = Irc::register(&server, "carol");
    assert_eq!(answer(&mut b, "KICK #r alice"), [":switchyard 482 bob #r :You're not channel operator"]);
    assert_eq!(answer(&mut c, "KICK #r bob"), [":switchyard 442 carol #r :You're not on that channel"]);
    assert_eq!(answer(&mut a, "KICK #r carol"), [":switchyard 441 alice carol #r :They aren't on that channel"]);
    assert_eq!(answer(&mut a, "KICK #nowhere bob"), [":switchyard 403 alice #nowhere :No such channel"]);
    assert_eq!(answer(&mut a, "KICK #r"), [":switchyard 461 alice KICK :Not enough parameters"]);
    a.send("KICK #r bob :spamming");
    for m in [&mut a, &mut b] {
        m.expect(":alice!alice@127.0.0.1 KICK #r bob :spamming");
    }
    assert_eq!(answer(&mut b, "PRIVMSG #r :back?"), [":switchyard 404 bob #r :Cannot send to channel"]);
    a.send("NAMES #r");
    assert_eq!(a.expect_code("353"), ":switchyard 353 alice = #r :@alice");
    b.send("JOIN #r");
    a.expect(":bob!bob@127.0.0.1 JOIN #r");
    a.send("KICK #r bob");
    b.expect(":alice!alice@127.0.0.1 KICK #r bob :alice");
    assert!(server.stop().success());
}

#[test]
fn an_operator_kills_wallops_and_overrides_channel_modes_and_failures_are_counted() {
    let (server, config) = start_with_opers();
    std::fs::remove_file(&config).unwrap();
    let (mut a, mut b) = two_in_a_room(&server, "alice", "bob");
    let mut o = Irc::register(&server, "oscar");
    assert_eq!(
        answer(&mut o, "KILL bob :bye"),
        [":switchyard 481 oscar :Permission Denied- You're not an IRC operator"]
    );
    assert_eq!(answer(&mut o, "WALLOPS :hi"), [":switchyard 481 oscar :Permission Denied- You're not an IRC operator"]);
    assert_eq!(answer(&mut o, "OPER root wrong"), [":switchyard 464 oscar :Password incorrect"]);
    assert_eq!(answer(&mut o, "OPER nobody secret"), [":switchyard 464 oscar :Password incorrect"]);
    assert_eq!(answer(&mut o, "OPER root"), [":switchyard 461 oscar OPER :Not enough parameters"]);
    assert_eq!(
        answer(&mut o, "OPER root secret"),
        [":switchyard 381 oscar :You are now an IRC operator", ":oscar!oscar@127.0.0.1 MODE oscar :+o"]
    );
    let metrics = crate::admin::get(server.addrs[1], "/metrics").body;
    assert!(metrics.contains("\nswitchyard_chat_oper_failures_total 2\n"), "{metrics}");
    let log = server.stderr();
    assert!(log.contains("OPER refused"), "{log}");
    assert!(log.contains("OPER succeeded"), "{log}");

    b.send("WHOIS oscar");
    assert_eq!(b.expect_code("313"), ":switchyard 313 bob oscar :is an IRC operator");
    b.send("LUSERS");
    assert_eq!(b.expect_code("252"), ":switchyard 252 bob 1 :operator(s) online");
    // Not a member, not a channel operator: still may.
    o.send("MODE #r +o bob");
    for m in [&mut a, &mut b] {
        m.expect(":oscar!oscar@127.0.0.1 MODE #r +o bob");
    }
    o.expect(":oscar!oscar@127.0.0.1 MODE #r +o bob");
    o.send("TOPIC #r :set by an operator");
    a.expect(":oscar!oscar@127.0.0.1 TOPIC #r :set by an operator");

    a.send("MODE alice +w");
    a.expect(":alice!alice@127.0.0.1 MODE alice :+w");
    o.send("WALLOPS :maintenance at noon");
    a.expect(":oscar!oscar@127.0.0.1 WALLOPS :maintenance at noon");
    assert!(b.sync().iter().all(|l| !l.contains("WALLOPS")), "bob is not +w");

    o.send("KILL bob :flooding");
    b.expect(":oscar!oscar@127.0.0.1 KILL bob :flooding");
    b.expect("ERROR :Closing Link: 127.0.0.1 (Killed (oscar (flooding)))");
    assert_eq!(b.next(), None);
    a.expect(":bob!bob@127.0.0.1 QUIT :Killed (oscar (flooding))");
    o.send("MODE oscar -o");
    o.expect(":oscar!oscar@127.0.0.1 MODE oscar :-o");
    assert_eq!(answer(&mut o, "KILL alice"), [":switchyard 481 oscar :Permission Denied- You're not an IRC operator"]);
    assert!(server.stop().success());
}

#[test]
fn oper_without_configured_operators_answers_491() {
    let server = start(&[]);
    let mut c = Irc::register(&server, "eve");
    assert_eq!(answer(&mut c, "OPER root secret"), [":switchyard 491 eve :No O-lines for your host"]);
    assert!(server.stop().success());
}

#[test]
fn lusers_version_time_admin_and_info_answer_with_their_numerics() {
    let server = start(&[]);
    let mut a = Irc::register(&server, "alice");
    let mut b = Irc::connect(&server, "half");
    b.send("NICK half");
    a.send("MODE alice +i");
    a.send("JOIN #r");
    a.expect_code("366");
    assert_eq!(
        answer(&mut a, "LUSERS"),
        [
            ":switchyard 251 alice :There are 0 users and 1 invisible on 1 servers",
            ":switchyard 253 alice 1 :unknown connection(s)",
            ":switchyard 254 alice 1 :channels formed",
            ":switchyard 255 alice :I have 1 clients and 0 servers",
            ":switchyard 265 alice 1 1 :Current local users: 1, max: 1",
            ":switchyard 266 alice 1 1 :Current global users: 1, max: 1",
        ]
    );
    let version = answer(&mut a, "VERSION");
    assert_eq!(version[0], ":switchyard 351 alice switchyard-0.1.0. switchyard :switchyard chat service");
    assert!(version[1].starts_with(":switchyard 005 alice "), "{version:?}");
    let time = answer(&mut a, "TIME");
    assert!(time[0].starts_with(":switchyard 391 alice switchyard :20") && time[0].ends_with(" UTC"), "{time:?}");
    let admin = answer(&mut a, "ADMIN");
    let codes: Vec<&str> = admin.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(codes, ["256", "257", "258", "259"]);
    let info = answer(&mut a, "INFO");
    assert!(info.len() >= 2 && info.last().unwrap() == ":switchyard 374 alice :End of INFO list", "{info:?}");
    assert!(info[0].starts_with(":switchyard 371 alice :switchyard-0.1.0"));
    assert!(server.stop().success());
}

#[test]
fn capabilities_are_negotiated_per_spec_and_extensions_reach_only_those_who_asked() {
    let server = start(&[]);
    let mut v3 = Irc::connect(&server, "modern");
    v3.send("CAP LS 302");
    v3.send("NICK modern");
    v3.send("USER modern 0 * :Modern Client");
    v3.send("CAP REQ :server-time echo-message away-notify extended-join multi-prefix");
    v3.send("CAP LIST");
    v3.send("CAP END");
    v3.line_with(" ACK :server-time echo-message away-notify extended-join multi-prefix");
    let list = v3.line_with(" LIST :");
    assert_eq!(
        list,
        ":switchyard CAP modern LIST :away-notify cap-notify echo-message extended-join multi-prefix server-time"
    );
    v3.expect_code("422");
    let mut old = Irc::register(&server, "old");
    old.send("JOIN #r");
    old.expect_code("366");
    old.send("MODE #r +v old");
    old.expect(":old!old@127.0.0.1 MODE #r +v old");
    v3.send("JOIN #r");
    v3.expect(":modern!modern@127.0.0.1 JOIN #r * :Modern Client");
    assert_eq!(v3.expect_code("353"), ":switchyard 353 modern = #r :@+old modern");
    old.expect(":modern!modern@127.0.0.1 JOIN #r");

    // Tags and the echo for the one who asked; the plain line for the other.
    v3.send("@+typing=active PRIVMSG #r :hello");
    let echo = v3.line_with("PRIVMSG #r :hello");
    assert!(echo.starts_with("@time=20") && echo.ends_with("Z :modern!modern@127.0.0.1 PRIVMSG #r :hello"), "{echo}");
    old.expect(":modern!modern@127.0.0.1 PRIVMSG #r :hello");
    old.send("PRIVMSG #r :hi back");
    let tagged = v3.line_with("hi back");
    assert!(tagged.starts_with("@time=") && tagged.contains("Z :old!old@127.0.0.1 PRIVMSG #r :hi back"));
    assert!(old.sync().iter().all(|l| !l.contains("hi back")), "no echo without echo-message");
    old.send("AWAY :lunch");
    v3.expect(":old!old@127.0.0.1 AWAY :lunch");
    old.send("AWAY");
    v3.expect(":old!old@127.0.0.1 AWAY");
    v3.send("AWAY :brb");
    assert!(old.sync().iter().all(|l| !l.contains("AWAY")), "no AWAY without away-notify");

    assert_eq!(answer(&mut v3, "CAP REQ :-server-time"), [":switchyard CAP modern ACK :-server-time"]);
    old.send("PRIVMSG #r :plain again");
    v3.expect(":old!old@127.0.0.1 PRIVMSG #r :plain again");
    assert_eq!(answer(&mut v3, "CAP REQ :bogus"), [":switchyard CAP modern NAK :bogus"]);
    assert_eq!(answer(&mut v3, "CAP FOO"), [":switchyard 410 modern FOO :Invalid CAP command"]);
    assert!(server.stop().success());
}

#[test]
fn join_colon_before_registration_is_ignored_and_idle_time_counts_from_the_last_message() {
    let server = start(&[]);
    let mut c = Irc::connect(&server, "irssi");
    c.send("JOIN :");
    c.send("PING :quiet");
    assert_eq!(c.expect(":switchyard PONG switchyard :quiet"), Vec::<String>::new());
    c.send("NICK irssi");
    c.send("USER irssi 0 * :irssi");
    c.expect_code("422");
    assert_eq!(answer(&mut c, "JOIN :"), [":switchyard 461 irssi JOIN :Not enough parameters"]);

    let mut w = Irc::register(&server, "watcher");
    // WHOIS and PING do not reset the idle time: asking until it passes a
    // second shows that they did not.
    let idle = |w: &mut Irc| -> u64 {
        w.send("WHOIS irssi");
        w.expect_code("317").split(' ').nth(4).unwrap().parse().unwrap()
    };
    wait_for(Duration::from_secs(30), "irssi idle for a second", || {
        c.sync();
        c.send("WHOIS watcher");
        c.expect_code("318");
        idle(&mut w) >= 1
    });
    c.send("PRIVMSG watcher :awake");
    w.expect(":irssi!irssi@127.0.0.1 PRIVMSG watcher :awake");
    assert_eq!(idle(&mut w), 0, "a message resets the idle time");
    assert!(server.stop().success());
}

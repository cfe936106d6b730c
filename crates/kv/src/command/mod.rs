//! The command table and every command's meaning.
//!
//! The rooms: [`table`] lists every command (name, arity, flags, where it
//! may run, keys, code); [`exec`] runs one; `server`, `string` and
//! `keyspace` hold those groups' commands, as Redis's `server.c`,
//! `t_string.c` and `db.c`/`expire.c` do; each collection type's commands
//! live with the type in [`crate::types`].
//!
//! A command runs in an [`Exec`]: the shared store, the connection's
//! selected database, and the reply buffer. Errors carry Redis 7's exact
//! texts. A command that changes data locks the shards of its keys, applies
//! the change, and appends the effect to the log before it unlocks (see
//! [`crate::aof`] for why records are effects).

use std::borrow::Cow;

use switchyard_codec::resp::string2ll;

use crate::long_double::LongDouble;

mod exec;
mod keyspace;
mod server;
mod string;
mod table;

pub use exec::Exec;
pub(crate) use keyspace::random;
pub(crate) use server::memory;
pub use table::COMMANDS;

/// An argument as framed.
pub type Arg<'a> = Cow<'a, [u8]>;

/// A command's outcome when it is an error reply: the text after `-`.
pub(crate) type Outcome = Result<(), Cow<'static, str>>;

pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(crate) const SYNTAX: &str = "ERR syntax error";
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Where a command may run.
#[derive(Clone, Copy, Debug)]
pub enum Where {
    /// On the I/O thread itself (`Service::run_inline`) as well as on a
    /// worker: the command touches a bounded number of keys and copies at
    /// most its own arguments and one value.
    Inline,
    /// As [`Where::Inline`] when called with at most this many arguments
    /// (its name included), on a worker otherwise: a pop without a count
    /// takes one element, with one it may take a collection.
    InlineUpTo(u8),
    /// As [`Where::Inline`] when the guard, shown the whole request, finds
    /// it cheap (`LRANGE` of a short range), on a worker otherwise.
    InlineIf(Guard),
    /// Only on a worker: the command walks a database (`KEYS`, `SCAN`,
    /// `FLUSHDB`, `RANDOMKEY`), builds a large reply (`INFO`, `COMMAND`,
    /// `CLIENT LIST`), opens files (`CONFIG SET`,
    /// `BGREWRITEAOF`), or allocates what a client asks for (`SETRANGE`,
    /// `GETRANGE`).
    Worker,
}

/// Decides whether a request (its arguments, the name first) may run on
/// the I/O thread, looking at what it would touch in database `db`: a
/// look, under the key's lock, that costs far less than a worker's round
/// trip. What it saw may change before the request runs; it only bounds
/// the work, which stays bounded by what one batch may do meanwhile.
pub type Guard = fn(&crate::Shared, usize, &[Arg<'_>]) -> bool;

/// Where a request may run, as far as its name and argument count tell.
pub enum Placement {
    /// On the I/O thread.
    Inline,
    /// On a worker.
    Worker,
    /// Wherever the guard says, shown the whole request.
    Ask(Guard),
}

/// One command's description and code.
pub struct Command {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity: N exactly, or -N for at least N (name included).
    pub arity: i32,
    /// `COMMAND INFO` flags.
    pub flags: &'static [&'static str],
    /// Where the command may run.
    pub runs: Where,
    /// First key, last key, key step (`COMMAND INFO`).
    pub keys: (i32, i32, i32),
    /// `COMMAND DOCS` group.
    pub group: &'static str,
    /// `COMMAND DOCS` summary, shown only for a command that has no entry
    /// of Redis's own documentation in [`crate::docs`].
    pub summary: &'static str,
    /// Subcommands, for `CONFIG`, `CLIENT` and `COMMAND`.
    pub subcommands: &'static [(&'static str, i32)],
    run: fn(&mut Exec<'_>, &[Arg<'_>]) -> Outcome,
}

impl Command {
    fn denies_oom(&self) -> bool {
        self.flags.contains(&"denyoom")
    }

    /// Refused while the log cannot be written: the writes, and `PING`, so
    /// that a health check notices (as in Redis).
    fn needs_log(&self) -> bool {
        self.flags.contains(&"write") || self.name == "ping"
    }
}

/// Commands by name, in any case.
///
/// Every request looks its name up (twice when it may run on the I/O
/// thread), so the table is one flat array of slots, each holding a name
/// in lower case beside its index in [`COMMANDS`], found by a hash of the
/// name's length and three of its letters and linear probing: the usual
/// lookup reads one cache line, and neither hashes the whole name nor
/// follows a pointer to it.
pub struct Table {
    slots: Vec<Slot>,
}

/// The longest command name, `ZREMRANGEBYSCORE`'s and the like.
const NAME_MAX: usize = 20;

/// Slots of [`Table`]: a power of two, a few times the commands.
const SLOTS: usize = 1024;

#[derive(Clone, Copy)]
struct Slot {
    /// The name in lower case, zero-padded; all zeroes for an empty slot.
    name: [u8; NAME_MAX],
    /// The name's length: `GET` padded is `GET\0` padded.
    len: u8,
    index: u16,
}

/// `name` in lower case, zero-padded, or `None` if it is too long to be
/// a command's.
fn lower(name: &[u8]) -> Option<[u8; NAME_MAX]> {
    let mut out = [0u8; NAME_MAX];
    if name.is_empty() || name.len() > NAME_MAX {
        return None;
    }
    for (d, s) in out.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(out)
}

fn slot_of(lower: &[u8; NAME_MAX], len: usize) -> usize {
    let h = len
        .wrapping_mul(0x9e37)
        .wrapping_add(usize::from(lower[0]).wrapping_mul(0x3b))
        .wrapping_add(usize::from(lower[1]).wrapping_mul(0x1f1))
        .wrapping_add(usize::from(lower[len - 1]).wrapping_mul(0x61));
    h & (SLOTS - 1)
}

impl Table {
    /// The table of [`COMMANDS`].
    pub fn new() -> Table {
        let mut slots = vec![Slot { name: [0; NAME_MAX], len: 0, index: 0 }; SLOTS];
        for (i, c) in COMMANDS.iter().enumerate() {
            let name = lower(c.name.as_bytes()).expect("a command name is 1 to NAME_MAX bytes");
            let mut at = slot_of(&name, c.name.len());
            while slots[at].len != 0 {
                at = (at + 1) & (SLOTS - 1);
            }
            slots[at] = Slot { name, len: c.name.len() as u8, index: i as u16 };
        }
        Table { slots }
    }

    /// The index of command `name`, in any case.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let want = lower(name)?;
        let mut at = slot_of(&want, name.len());
        loop {
            let slot = &self.slots[at];
            if slot.len == 0 {
                return None;
            }
            if slot.name == want && usize::from(slot.len) == name.len() {
                return Some(slot.index as usize);
            }
            at = (at + 1) & (SLOTS - 1);
        }
    }

    /// Where command `i` of [`COMMANDS`] with `args` arguments (its name
    /// included) may run.
    pub fn placement(&self, i: usize, args: usize) -> Placement {
        match COMMANDS[i].runs {
            Where::Inline => Placement::Inline,
            Where::InlineUpTo(most) if args <= most as usize => Placement::Inline,
            Where::InlineIf(guard) => Placement::Ask(guard),
            Where::InlineUpTo(_) | Where::Worker => Placement::Worker,
        }
    }
}

fn lossy(a: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(a)
}

pub(crate) fn int(a: &[u8]) -> Result<i64, Cow<'static, str>> {
    string2ll(a).ok_or(Cow::Borrowed(NOT_INTEGER))
}

pub(crate) fn float(a: &[u8]) -> Result<LongDouble, Cow<'static, str>> {
    LongDouble::parse(a).ok_or(Cow::Borrowed(NOT_FLOAT))
}

pub(crate) fn is(a: &[u8], word: &str) -> bool {
    a.eq_ignore_ascii_case(word.as_bytes())
}

fn trunc(a: &[u8]) -> Cow<'_, str> {
    lossy(&a[..a.len().min(128)])
}

pub(crate) fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Cow<'static, str> {
    format!("ERR unknown subcommand '{}'. Try {} HELP.", trunc(sub), cmd.to_ascii_uppercase()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_found_in_any_case_and_names_are_unique() {
        let t = Table::new();
        for (i, c) in COMMANDS.iter().enumerate() {
            assert_eq!(t.find(c.name.as_bytes()), Some(i), "{}", c.name);
            assert_eq!(t.find(c.name.to_ascii_uppercase().as_bytes()), Some(i), "{}", c.name);
        }
        assert_eq!(t.find(b"GeT").map(|i| COMMANDS[i].name), Some("get"));
        assert_eq!(t.find(b"INCRBYFLOAT").map(|i| COMMANDS[i].name), Some("incrbyfloat"));
        for unknown in [
            &b"nosuchcommandatall"[..],
            b"nosuchcommandatallreallynot",
            b"",
            b"\0",
            b"get\0",
            b"ge",
            b"gett",
            b"\0\0\0",
        ] {
            assert_eq!(t.find(unknown), None, "{:?}", String::from_utf8_lossy(unknown));
        }
    }

    #[test]
    fn only_commands_marked_inline_run_on_the_io_thread() {
        let t = Table::new();
        let inline =
            |name: &[u8], args| t.find(name).is_some_and(|i| matches!(t.placement(i, args), Placement::Inline));
        assert!(inline(b"GET", 2));
        assert!(inline(b"hset", 4));
        assert!(!inline(b"KEYS", 2));
        assert!(matches!(t.placement(t.find(b"lrange").unwrap(), 4), Placement::Ask(_)), "a short range");
        assert!(!inline(b"nosuchcommandatall", 1));
        assert!(inline(b"LPOP", 2), "a pop of one element");
        assert!(!inline(b"LPOP", 3), "a pop with a count");
        assert!(inline(b"zpopmin", 2));
        assert!(!inline(b"zpopmin", 3));
        assert!(inline(b"SPOP", 2) && !inline(b"SPOP", 3));
    }
}

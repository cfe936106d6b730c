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
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// On the I/O thread itself (`Service::run_inline`) as well as on a
    /// worker: the command touches a bounded number of keys and copies at
    /// most its own arguments and one value.
    Inline,
    /// As [`Where::Inline`] when called with at most this many arguments
    /// (its name included), on a worker otherwise: a pop without a count
    /// takes one element, with one it may take a collection.
    InlineUpTo(u8),
    /// Only on a worker: the command walks a database (`KEYS`, `SCAN`,
    /// `FLUSHDB`, `RANDOMKEY`), builds a large reply (`INFO`, `COMMAND`,
    /// `CLIENT LIST`, `LRANGE`), opens files (`CONFIG SET`,
    /// `BGREWRITEAOF`), or allocates what a client asks for (`SETRANGE`,
    /// `GETRANGE`).
    Worker,
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

/// Commands by lower-case name.
pub struct Table {
    by_name: HashMap<&'static [u8], usize, BuildHasherDefault<NameHasher>>,
}

/// The hash of [`Table`]: every request looks a name up, and the names
/// are a fixed set of short words that nobody can add to, so a keyed
/// hash against flooding (std's SipHash, which took a tenth of the CPU
/// time of `MULTI`/`EXEC` blocks) buys nothing here. A multiply and
/// rotate per 8 bytes, as rustc's own `FxHasher`.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Table {
    /// The table of [`COMMANDS`].
    pub fn new() -> Table {
        Table { by_name: COMMANDS.iter().enumerate().map(|(i, c)| (c.name.as_bytes(), i)).collect() }
    }

    /// Command `name` (in any case) with `args` arguments (its name
    /// included) may run on an I/O thread.
    pub fn runs_inline(&self, name: &[u8], args: usize) -> bool {
        self.find(name).is_some_and(|i| match COMMANDS[i].runs {
            Where::Inline => true,
            Where::InlineUpTo(most) => args <= most as usize,
            Where::Worker => false,
        })
    }

    /// The index of command `name`, in any case.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let mut lower = [0u8; 16];
        if name.len() > lower.len() {
            return None;
        }
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        self.by_name.get(&lower[..name.len()]).copied()
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
        assert_eq!(t.by_name.len(), COMMANDS.len());
        assert_eq!(t.find(b"GeT").map(|i| COMMANDS[i].name), Some("get"));
        assert_eq!(t.find(b"INCRBYFLOAT").map(|i| COMMANDS[i].name), Some("incrbyfloat"));
        assert_eq!(t.find(b"nosuchcommandatall"), None);
    }

    #[test]
    fn only_commands_marked_inline_run_on_the_io_thread() {
        let t = Table::new();
        assert!(t.runs_inline(b"GET", 2));
        assert!(t.runs_inline(b"hset", 4));
        assert!(!t.runs_inline(b"KEYS", 2));
        assert!(!t.runs_inline(b"lrange", 4));
        assert!(!t.runs_inline(b"nosuchcommandatall", 1));
        assert!(t.runs_inline(b"LPOP", 2), "a pop of one element");
        assert!(!t.runs_inline(b"LPOP", 3), "a pop with a count");
        assert!(t.runs_inline(b"zpopmin", 2));
        assert!(!t.runs_inline(b"zpopmin", 3));
        assert!(t.runs_inline(b"SPOP", 2) && !t.runs_inline(b"SPOP", 3));
    }
}

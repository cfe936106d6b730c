//! The command table and every command's meaning.
//!
//! A command runs in an [`Exec`]: the shared store, the connection's
//! selected database, and the reply buffer. Errors carry Redis 7's exact
//! texts. A command that changes data locks the shards of its keys, applies
//! the change, and appends the effect to the log before it unlocks (see
//! [`crate::aof`] for why records are effects).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

use switchyard_codec::resp::{self, string2ll};

use crate::bytes::Bytes;
use crate::client::ClientMeta;
use crate::commandstats::{Call, Tally};
use crate::long_double::LongDouble;
use crate::multi::{self, Records};
use crate::reply::Reply;
use crate::store::{Lend, Shard, Ttl, View, SHARDS};
use crate::types::{self, Value};
use crate::{now_ms, Shared};

/// An argument as framed.
pub type Arg<'a> = Cow<'a, [u8]>;

/// A command's outcome when it is an error reply: the text after `-`.
pub(crate) type Outcome = Result<(), Cow<'static, str>>;

pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(crate) const SYNTAX: &str = "ERR syntax error";
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// One command's description and code.
pub struct Command {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity: N exactly, or -N for at least N (name included).
    pub arity: i32,
    /// `COMMAND INFO` flags.
    pub flags: &'static [&'static str],
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

const W: &[&str] = &["write", "denyoom"];
const WF: &[&str] = &["write", "denyoom", "fast"];
const D: &[&str] = &["write"];
const DF: &[&str] = &["write", "fast"];
const R: &[&str] = &["readonly"];
const RF: &[&str] = &["readonly", "fast"];
const C: &[&str] = &["fast", "loading", "stale"];
const A: &[&str] = &["admin", "noscript", "loading", "stale"];
const NOAUTH: &[&str] = &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];
const T: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];

macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, $keys:expr, $group:literal, $summary:literal, $run:expr) => {
        cmd!($name, $arity, $flags, $keys, $group, $summary, &[], $run)
    };
    ($name:literal, $arity:expr, $flags:expr, $keys:expr, $group:literal, $summary:literal, $subs:expr, $run:expr) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            group: $group,
            summary: $summary,
            subcommands: $subs,
            run: $run,
        }
    };
}

/// Every command.
pub static COMMANDS: &[Command] = &[
    cmd!("ping", -1, C, (0, 0, 0), "connection", "Returns the server's liveliness response.", ping),
    cmd!("echo", 2, C, (0, 0, 0), "connection", "Returns the given string.", echo),
    cmd!("quit", -1, C, (0, 0, 0), "connection", "Closes the connection.", quit),
    cmd!("hello", -1, NOAUTH, (0, 0, 0), "connection", "Handshakes with the Redis server.", crate::hello::hello),
    cmd!("auth", -2, NOAUTH, (0, 0, 0), "connection", "Authenticates the connection.", crate::auth::auth),
    cmd!("select", 2, C, (0, 0, 0), "connection", "Changes the selected database.", select),
    cmd!("dbsize", 1, RF, (0, 0, 0), "server", "Returns the number of keys in the database.", dbsize),
    cmd!("flushdb", -1, D, (0, 0, 0), "server", "Removes all keys from the current database.", flushdb),
    cmd!("flushall", -1, D, (0, 0, 0), "server", "Removes all keys from all databases.", flushall),
    cmd!(
        "info",
        -1,
        &["loading", "stale"],
        (0, 0, 0),
        "server",
        "Returns information and statistics about the server.",
        info
    ),
    cmd!(
        "command",
        -1,
        &["loading", "stale"],
        (0, 0, 0),
        "server",
        "Returns detailed information about all commands.",
        &[("count", 2), ("info", -2), ("docs", -2), ("list", -2)],
        command
    ),
    cmd!(
        "client",
        -2,
        &["loading", "stale"],
        (0, 0, 0),
        "connection",
        "A container for client connection commands.",
        &[
            ("setname", 3),
            ("getname", 2),
            ("id", 2),
            ("list", -2),
            ("info", 2),
            ("setinfo", 4),
            ("kill", -3),
            ("no-evict", 3),
            ("no-touch", 3),
        ],
        client
    ),
    cmd!(
        "config",
        -2,
        A,
        (0, 0, 0),
        "server",
        "A container for server configuration commands.",
        &[("get", -3), ("set", -4), ("resetstat", 2)],
        config
    ),
    cmd!("time", 1, C, (0, 0, 0), "server", "Returns the server time.", time),
    cmd!("bgrewriteaof", 1, A, (0, 0, 0), "server", "Asynchronously rewrites the append-only file.", bgrewriteaof),
    cmd!("get", 2, RF, (1, 1, 1), "string", "Returns the string value of a key.", get),
    cmd!("set", -3, W, (1, 1, 1), "string", "Sets the string value of a key, ignoring its type.", set),
    cmd!("setnx", 3, WF, (1, 1, 1), "string", "Set the string value of a key only when the key doesn't exist.", setnx),
    cmd!("setex", 4, W, (1, 1, 1), "string", "Sets the string value and expiration time of a key.", setex),
    cmd!(
        "psetex",
        4,
        W,
        (1, 1, 1),
        "string",
        "Sets the string value and expiration time in milliseconds of a key.",
        psetex
    ),
    cmd!(
        "getset",
        3,
        WF,
        (1, 1, 1),
        "string",
        "Returns the previous string value of a key after setting it to a new value.",
        getset
    ),
    cmd!("getdel", 2, DF, (1, 1, 1), "string", "Returns the string value of a key after deleting the key.", getdel),
    cmd!(
        "getex",
        -2,
        DF,
        (1, 1, 1),
        "string",
        "Returns the string value of a key after setting its expiration time.",
        getex
    ),
    cmd!("mget", -2, RF, (1, -1, 1), "string", "Atomically returns the string values of one or more keys.", mget),
    cmd!(
        "mset",
        -3,
        W,
        (1, -1, 2),
        "string",
        "Atomically creates or modifies the string values of one or more keys.",
        mset
    ),
    cmd!(
        "msetnx",
        -3,
        W,
        (1, -1, 2),
        "string",
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        msetnx
    ),
    cmd!(
        "append",
        3,
        WF,
        (1, 1, 1),
        "string",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        append
    ),
    cmd!("strlen", 2, RF, (1, 1, 1), "string", "Returns the length of a string value.", strlen),
    cmd!("getrange", 4, R, (1, 1, 1), "string", "Returns a substring of the string stored at a key.", getrange),
    cmd!(
        "setrange",
        4,
        W,
        (1, 1, 1),
        "string",
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        setrange
    ),
    cmd!(
        "incr",
        2,
        WF,
        (1, 1, 1),
        "string",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        incr
    ),
    cmd!(
        "decr",
        2,
        WF,
        (1, 1, 1),
        "string",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        decr
    ),
    cmd!(
        "incrby",
        3,
        WF,
        (1, 1, 1),
        "string",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        incrby
    ),
    cmd!(
        "decrby",
        3,
        WF,
        (1, 1, 1),
        "string",
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        decrby
    ),
    cmd!(
        "incrbyfloat",
        3,
        WF,
        (1, 1, 1),
        "string",
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        incrbyfloat
    ),
    cmd!("del", -2, D, (1, -1, 1), "generic", "Deletes one or more keys.", del),
    cmd!("unlink", -2, DF, (1, -1, 1), "generic", "Asynchronously deletes one or more keys.", del),
    cmd!("exists", -2, RF, (1, -1, 1), "generic", "Determines whether one or more keys exist.", exists),
    cmd!("type", 2, RF, (1, 1, 1), "generic", "Determines the type of value stored at a key.", type_),
    cmd!("keys", 2, R, (0, 0, 0), "generic", "Returns all key names that match a pattern.", keys),
    cmd!("scan", -2, R, (0, 0, 0), "generic", "Iterates over the key names in the database.", scan),
    cmd!("randomkey", 1, R, (0, 0, 0), "generic", "Returns a random key name from the database.", randomkey),
    cmd!("rename", 3, D, (1, 2, 1), "generic", "Renames a key and overwrites the destination.", rename),
    cmd!(
        "renamenx",
        3,
        DF,
        (1, 2, 1),
        "generic",
        "Renames a key only when the target key name doesn't exist.",
        renamenx
    ),
    cmd!("expire", -3, DF, (1, 1, 1), "generic", "Sets the expiration time of a key in seconds.", expire),
    cmd!("pexpire", -3, DF, (1, 1, 1), "generic", "Sets the expiration time of a key in milliseconds.", pexpire),
    cmd!("expireat", -3, DF, (1, 1, 1), "generic", "Sets the expiration time of a key to a Unix timestamp.", expireat),
    cmd!(
        "pexpireat",
        -3,
        DF,
        (1, 1, 1),
        "generic",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        pexpireat
    ),
    cmd!("ttl", 2, RF, (1, 1, 1), "generic", "Returns the expiration time in seconds of a key.", ttl),
    cmd!("pttl", 2, RF, (1, 1, 1), "generic", "Returns the expiration time in milliseconds of a key.", pttl),
    cmd!(
        "expiretime",
        2,
        RF,
        (1, 1, 1),
        "generic",
        "Returns the expiration time of a key as a Unix timestamp.",
        expiretime
    ),
    cmd!(
        "pexpiretime",
        2,
        RF,
        (1, 1, 1),
        "generic",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        pexpiretime
    ),
    cmd!("persist", 2, DF, (1, 1, 1), "generic", "Removes the expiration time of a key.", persist),
    cmd!("multi", 1, T, (0, 0, 0), "transactions", "Starts a transaction.", multi::multi),
    cmd!(
        "exec",
        1,
        &["noscript", "loading", "stale", "skip_slowlog"],
        (0, 0, 0),
        "transactions",
        "Executes all commands in a transaction.",
        multi::exec
    ),
    cmd!("discard", 1, T, (0, 0, 0), "transactions", "Discards a transaction.", multi::discard),
    cmd!(
        "watch",
        -2,
        T,
        (1, -1, 1),
        "transactions",
        "Monitors changes to keys to determine the execution of a transaction.",
        multi::watch
    ),
    cmd!("unwatch", 1, T, (0, 0, 0), "transactions", "Forgets about watched keys of a transaction.", multi::unwatch),
cmd!(
        "object",
        -2,
        &["readonly"],
        (2, 2, 1),
        "generic",
        "A container for object introspection commands.",
        &[("encoding", 3)],
        object
    ),
    cmd!("copy", -3, W, (1, 2, 1), "generic", "Copies the value of a key to a new key.", copy),
    cmd!("hset", -4, WF, (1, 1, 1), "hash", "Creates or modifies the value of a field in a hash.", types::hash::hset),
    cmd!("hsetnx", 4, WF, (1, 1, 1), "hash", "Sets the value of a field in a hash only when the field doesn't exist.", types::hash::hsetnx),
    cmd!("hmset", -4, WF, (1, 1, 1), "hash", "Sets the values of multiple fields.", types::hash::hmset),
    cmd!("hget", 3, RF, (1, 1, 1), "hash", "Returns the value of a field in a hash.", types::hash::hget),
    cmd!("hmget", -3, RF, (1, 1, 1), "hash", "Returns the values of all fields in a hash.", types::hash::hmget),
    cmd!("hgetall", 2, R, (1, 1, 1), "hash", "Returns all fields and values in a hash.", types::hash::hgetall),
    cmd!("hkeys", 2, R, (1, 1, 1), "hash", "Returns all fields in a hash.", types::hash::hkeys),
    cmd!("hvals", 2, R, (1, 1, 1), "hash", "Returns all values in a hash.", types::hash::hvals),
    cmd!("hdel", -3, DF, (1, 1, 1), "hash", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", types::hash::hdel),
    cmd!("hexists", 3, RF, (1, 1, 1), "hash", "Determines whether a field exists in a hash.", types::hash::hexists),
    cmd!("hlen", 2, RF, (1, 1, 1), "hash", "Returns the number of fields in a hash.", types::hash::hlen),
    cmd!("hstrlen", 3, RF, (1, 1, 1), "hash", "Returns the length of the value of a field.", types::hash::hstrlen),
    cmd!("hincrby", 4, WF, (1, 1, 1), "hash", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", types::hash::hincrby),
    cmd!("hincrbyfloat", 4, WF, (1, 1, 1), "hash", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", types::hash::hincrbyfloat),
    cmd!("hrandfield", -2, R, (1, 1, 1), "hash", "Returns one or more random fields from a hash.", types::hash::hrandfield),
    cmd!("hscan", -3, R, (1, 1, 1), "hash", "Iterates over fields and values of a hash.", types::hash::hscan),
    cmd!("lpush", -3, WF, (1, 1, 1), "list", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", types::list::lpush),
    cmd!("rpush", -3, WF, (1, 1, 1), "list", "Appends one or more elements to a list. Creates the key if it doesn't exist.", types::list::rpush),
    cmd!("lpushx", -3, WF, (1, 1, 1), "list", "Prepends one or more elements to a list only when the list exists.", types::list::lpushx),
    cmd!("rpushx", -3, WF, (1, 1, 1), "list", "Appends an element to a list only when the list exists.", types::list::rpushx),
    cmd!("lpop", -2, DF, (1, 1, 1), "list", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", types::list::lpop),
    cmd!("rpop", -2, DF, (1, 1, 1), "list", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", types::list::rpop),
    cmd!("llen", 2, RF, (1, 1, 1), "list", "Returns the length of a list.", types::list::llen),
    cmd!("lrange", 4, R, (1, 1, 1), "list", "Returns a range of elements from a list.", types::list::lrange),
    cmd!("lindex", 3, R, (1, 1, 1), "list", "Returns an element from a list by its index.", types::list::lindex),
    cmd!("lset", 4, W, (1, 1, 1), "list", "Sets the value of an element in a list by its index.", types::list::lset),
    cmd!("linsert", 5, W, (1, 1, 1), "list", "Inserts an element before or after another element in a list.", types::list::linsert),
    cmd!("lrem", 4, D, (1, 1, 1), "list", "Removes elements from a list. Deletes the list if the last element was removed.", types::list::lrem),
    cmd!("ltrim", 4, D, (1, 1, 1), "list", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", types::list::ltrim),
    cmd!("lpos", -3, R, (1, 1, 1), "list", "Returns the index of matching elements in a list.", types::list::lpos),
    cmd!("lmove", 5, W, (1, 2, 1), "list", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", types::list::lmove),
    cmd!("rpoplpush", 3, W, (1, 2, 1), "list", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", types::list::rpoplpush),
    cmd!("lmpop", -4, D, (0, 0, 0), "list", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", types::list::lmpop),
    cmd!("sadd", -3, WF, (1, 1, 1), "set", "Adds one or more members to a set. Creates the key if it doesn't exist.", types::set::sadd),
    cmd!("srem", -3, DF, (1, 1, 1), "set", "Removes one or more members from a set. Deletes the set if the last member was removed.", types::set::srem),
    cmd!("smembers", 2, R, (1, 1, 1), "set", "Returns all members of a set.", types::set::smembers),
    cmd!("sismember", 3, RF, (1, 1, 1), "set", "Determines whether a member belongs to a set.", types::set::sismember),
    cmd!("smismember", -3, RF, (1, 1, 1), "set", "Determines whether multiple members belong to a set.", types::set::smismember),
    cmd!("scard", 2, RF, (1, 1, 1), "set", "Returns the number of members in a set.", types::set::scard),
    cmd!("spop", -2, DF, (1, 1, 1), "set", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", types::set::spop),
    cmd!("srandmember", -2, R, (1, 1, 1), "set", "Get one or multiple random members from a set", types::set::srandmember),
    cmd!("smove", 4, WF, (1, 2, 1), "set", "Moves a member from one set to another.", types::set::smove),
    cmd!("sinter", -2, R, (1, -1, 1), "set", "Returns the intersect of multiple sets.", types::set::sinter),
    cmd!("sunion", -2, R, (1, -1, 1), "set", "Returns the union of multiple sets.", types::set::sunion),
    cmd!("sdiff", -2, R, (1, -1, 1), "set", "Returns the difference of multiple sets.", types::set::sdiff),
    cmd!("sinterstore", -3, W, (1, -1, 1), "set", "Stores the intersect of multiple sets in a key.", types::set::sinterstore),
    cmd!("sunionstore", -3, W, (1, -1, 1), "set", "Stores the union of multiple sets in a key.", types::set::sunionstore),
    cmd!("sdiffstore", -3, W, (1, -1, 1), "set", "Stores the difference of multiple sets in a key.", types::set::sdiffstore),
    cmd!("sintercard", -3, R, (0, 0, 0), "set", "Returns the number of members of the intersect of multiple sets.", types::set::sintercard),
    cmd!("sscan", -3, R, (1, 1, 1), "set", "Iterates over members of a set.", types::set::sscan),
    cmd!("zadd", -4, WF, (1, 1, 1), "sorted-set", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", types::zset::zadd),
    cmd!("zincrby", 4, WF, (1, 1, 1), "sorted-set", "Increments the score of a member in a sorted set.", types::zset::zincrby),
    cmd!("zscore", 3, RF, (1, 1, 1), "sorted-set", "Returns the score of a member in a sorted set.", types::zset::zscore),
    cmd!("zmscore", -3, RF, (1, 1, 1), "sorted-set", "Returns the score of one or more members in a sorted set.", types::zset::zmscore),
    cmd!("zcard", 2, RF, (1, 1, 1), "sorted-set", "Returns the number of members in a sorted set.", types::zset::zcard),
    cmd!("zcount", 4, RF, (1, 1, 1), "sorted-set", "Returns the count of members in a sorted set that have scores within a range.", types::zset::zcount),
    cmd!("zlexcount", 4, RF, (1, 1, 1), "sorted-set", "Returns the number of members in a sorted set within a lexicographical range.", types::zset::zlexcount),
    cmd!("zrange", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of indexes.", types::zset::zrange),
    cmd!("zrangestore", -5, W, (1, 2, 1), "sorted-set", "Stores a range of members from sorted set in a key.", types::zset::zrangestore),
    cmd!("zrangebyscore", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of scores.", types::zset::zrangebyscore),
    cmd!("zrevrangebyscore", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of scores in reverse order.", types::zset::zrevrangebyscore),
    cmd!("zrangebylex", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a lexicographical range.", types::zset::zrangebylex),
    cmd!("zrevrangebylex", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a lexicographical range in reverse order.", types::zset::zrevrangebylex),
    cmd!("zrevrange", -4, R, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of indexes in reverse order.", types::zset::zrevrange),
    cmd!("zrank", 3, RF, (1, 1, 1), "sorted-set", "Returns the index of a member in a sorted set ordered by ascending scores.", types::zset::zrank),
    cmd!("zrevrank", 3, RF, (1, 1, 1), "sorted-set", "Returns the index of a member in a sorted set ordered by descending scores.", types::zset::zrevrank),
    cmd!("zrem", -3, DF, (1, 1, 1), "sorted-set", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", types::zset::zrem),
    cmd!("zremrangebyrank", 4, D, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", types::zset::zremrangebyrank),
    cmd!("zremrangebyscore", 4, D, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", types::zset::zremrangebyscore),
    cmd!("zremrangebylex", 4, D, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", types::zset::zremrangebylex),
    cmd!("zpopmin", -2, DF, (1, 1, 1), "sorted-set", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", types::zset::zpopmin),
    cmd!("zpopmax", -2, DF, (1, 1, 1), "sorted-set", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", types::zset::zpopmax),
    cmd!("zunionstore", -4, W, (1, 1, 1), "sorted-set", "Stores the union of multiple sorted sets in a key.", types::zset::zunionstore),
    cmd!("zinterstore", -4, W, (1, 1, 1), "sorted-set", "Stores the intersect of multiple sorted sets in a key.", types::zset::zinterstore),
    cmd!("zdiffstore", -4, W, (1, 1, 1), "sorted-set", "Stores the difference of multiple sorted sets in a key.", types::zset::zdiffstore),
    cmd!("zrandmember", -2, R, (1, 1, 1), "sorted-set", "Returns one or more random members from a sorted set.", types::zset::zrandmember),
    cmd!("zscan", -3, R, (1, 1, 1), "sorted-set", "Iterates over members and scores of a sorted set.", types::zset::zscan),
];

/// The commands an I/O thread may run itself (`Service::run_inline`): each
/// touches a bounded number of keys and copies at most its own arguments
/// and one value. Not among them: whatever walks a database (`KEYS`,
/// `SCAN`, `FLUSHDB`, `FLUSHALL`, `RANDOMKEY`), builds a large reply
/// (`INFO`, `COMMAND`, `CLIENT LIST`), opens files (`CONFIG SET`,
/// `BGREWRITEAOF`), or allocates what a client asks for (`SETRANGE`,
/// `GETRANGE`).
const INLINE: &[&str] = &[
    "ping",
    "echo",
    "select",
    "dbsize",
    "time",
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mget",
    "mset",
    "msetnx",
    "append",
    "strlen",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "del",
    "unlink",
    "exists",
    "type",
    "rename",
    "renamenx",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "persist",
    "hset",
    "hsetnx",
    "hget",
    "hdel",
    "hexists",
    "hlen",
    "hstrlen",
    "hincrby",
    "hincrbyfloat",
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "llen",
    "lindex",
    "lset",
    "lmove",
    "rpoplpush",
    "sadd",
    "srem",
    "sismember",
    "scard",
    "smove",
    "zadd",
    "zincrby",
    "zscore",
    "zcard",
    "zrank",
    "zrevrank",
];

/// Commands by lower-case name.
pub struct Table {
    by_name: HashMap<&'static [u8], usize>,
    /// By command index: in [`INLINE`].
    inline: Vec<bool>,
}

impl Table {
    /// The table of [`COMMANDS`].
    pub fn new() -> Table {
        Table {
            by_name: COMMANDS.iter().enumerate().map(|(i, c)| (c.name.as_bytes(), i)).collect(),
            inline: COMMANDS.iter().map(|c| INLINE.contains(&c.name)).collect(),
        }
    }

    /// Command `name` (in any case) may run on an I/O thread.
    pub fn runs_inline(&self, name: &[u8]) -> bool {
        self.find(name).is_some_and(|i| self.inline[i])
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

/// Where commands run: the store, the selected database, the replies.
pub struct Exec<'a> {
    pub(crate) sh: &'a Shared,
    /// Replies go here.
    pub out: &'a mut Reply,
    /// The selected database.
    pub db: usize,
    /// The connection, or `None` while replaying the log.
    pub(crate) meta: Option<&'a ClientMeta>,
    /// The time the command runs at, Unix milliseconds.
    pub(crate) now: u64,
    /// Sequence number of the last log record appended, 0 if none.
    pub seq: u64,
    /// `QUIT` ran: close after the replies.
    pub quit: bool,
    /// This batch's per-command counts, added to the shared ones when the
    /// command changes and on drop.
    tally: Tally,
    /// The connection's transaction state (`MULTI`, `WATCH`); `None` for
    /// log replay and inside `EXEC`.
    pub(crate) conn: Option<&'a mut multi::Conn>,
    /// Inside `EXEC`: the shards the transaction holds.
    held: Option<&'a dyn Lend>,
    /// Inside `EXEC`: the log records of its commands, appended as one
    /// unit when it ends.
    pub(crate) records: Option<Records>,
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

/// Encodes the current state of `key` as one log record: `SET` with its
/// expiry, or `DEL` if it is gone; for a collection (whose elements are
/// logged by its own commands), its expiry: `PEXPIREAT` or `PERSIST`.
fn record(buf: &mut Vec<u8>, shard: &Shard, key: &[u8], value: Option<&Value>) {
    match (value, shard.expire_at(key)) {
        (Some(Value::Str(v)), Some(at)) => {
            let mut n = Vec::with_capacity(20);
            resp::push_decimal(&mut n, at as i64);
            resp::command(buf, &[&b"SET"[..], key, v, b"PXAT", &n]);
        }
        (Some(Value::Str(v)), None) => resp::command(buf, &[&b"SET"[..], key, v]),
        (Some(_), Some(at)) => {
            let mut n = Vec::with_capacity(20);
            resp::push_decimal(&mut n, at as i64);
            resp::command(buf, &[&b"PEXPIREAT"[..], key, &n]);
        }
        (Some(_), None) => resp::command(buf, &[&b"PERSIST"[..], key]),
        (None, _) => resp::command(buf, &[&b"DEL"[..], key]),
    }
}

impl<'a> Exec<'a> {
    /// An `Exec` for a connection.
    pub fn new(sh: &'a Shared, out: &'a mut Reply, db: usize, meta: &'a ClientMeta) -> Exec<'a> {
        Exec::base(sh, out, db, Some(meta))
    }

    /// An `Exec` for log replay: no logging, no memory limit.
    pub fn replaying(sh: &'a Shared, out: &'a mut Reply, db: usize) -> Exec<'a> {
        Exec::base(sh, out, db, None)
    }

    /// An `Exec` for the commands of a transaction, at time `now` (Unix
    /// ms), on the shards `held` locks; their log records are collected in
    /// [`Exec::records`].
    pub(crate) fn in_transaction(
        sh: &'a Shared,
        out: &'a mut Reply,
        db: usize,
        meta: Option<&'a ClientMeta>,
        now: u64,
        held: &'a dyn Lend,
    ) -> Exec<'a> {
        let mut ex = Exec::base(sh, out, db, meta);
        ex.now = now;
        ex.held = Some(held);
        ex.records = Some(Records::new(db));
        ex
    }

    fn base(sh: &'a Shared, out: &'a mut Reply, db: usize, meta: Option<&'a ClientMeta>) -> Exec<'a> {
        Exec {
            sh,
            out,
            db,
            meta,
            now: now_ms(),
            seq: 0,
            quit: false,
            tally: Tally::default(),
            conn: None,
            held: None,
            records: None,
        }
    }

    /// Gives the commands the connection's transaction state.
    pub(crate) fn with_conn(mut self, conn: &'a mut multi::Conn) -> Exec<'a> {
        self.conn = Some(conn);
        self
    }

    /// The connection is between `MULTI` and `EXEC`.
    fn queueing(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.queueing())
    }

    /// Runs one command and appends its reply. Calls from a connection
    /// count in the command's stats; calls replayed from the log do not,
    /// as in Redis.
    pub fn run(&mut self, args: &[Arg<'_>]) {
        let Some(i) = self.sh.table.find(&args[0]) else {
            let mut msg = format!("ERR unknown command '{}', with args beginning with: ", trunc(&args[0]));
            for a in &args[1..] {
                msg.push_str(&format!("'{}' ", trunc(a)));
            }
            if let Some(conn) = self.conn.as_deref_mut() {
                conn.refused();
            }
            return resp::error(self.out, &msg);
        };
        if self.meta.is_none() {
            self.call(i, args);
            return;
        }
        self.tally.start(i, &self.sh.stats.calls);
        let outcome = self.call(i, args);
        self.tally.end(outcome);
    }

    /// Checks and runs command `i`, or queues it between `MULTI` and
    /// `EXEC`.
    fn call(&mut self, i: usize, args: &[Arg<'_>]) -> Call {
        let cmd = &COMMANDS[i];
        if let Some(meta) = self.meta {
            meta.last_cmd.store(i, Ordering::Relaxed);
        }
        if let Err(refusal) = self.check(cmd, args) {
            if cmd.name == "exec" && self.queueing() {
                multi::abort(self, &refusal);
                return Call::Rejected;
            }
            resp::error(self.out, &refusal);
            if let Some(conn) = self.conn.as_deref_mut() {
                conn.refused();
            }
            return Call::Rejected;
        }
        if self.queueing() && !multi::runs_at_once(cmd.name) {
            return multi::queue(self, args);
        }
        match (cmd.run)(self, args) {
            Ok(()) => Call::Done,
            Err(e) => {
                resp::error(self.out, &e);
                Call::Failed
            }
        }
    }

    /// Whether command `cmd` may run with `args` (Redis's checks before a
    /// command runs or is queued): the refusal's error text if not.
    fn check(&self, cmd: &Command, args: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
        let n = args.len() as i32;
        if (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
            return Err(format!("ERR wrong number of arguments for '{}' command", cmd.name).into());
        }
        if !cmd.subcommands.is_empty() && n >= 2 {
            if let Some(&(sub, arity)) = cmd.subcommands.iter().find(|(s, _)| is(&args[1], s)) {
                if (arity > 0 && n != arity) || n < -arity {
                    return Err(format!("ERR wrong number of arguments for '{}|{}' command", cmd.name, sub).into());
                }
            }
        }
        if let Some(meta) = self.meta {
            if !meta.authenticated.load(Ordering::Relaxed) && !cmd.flags.contains(&"no_auth") && cmd.name != "quit" {
                return Err(crate::auth::NOAUTH.into());
            }
        }
        if self.meta.is_some() && cmd.denies_oom() {
            let max = self.sh.maxmemory.load(Ordering::Relaxed);
            if max > 0 && self.sh.store.used_memory() > max {
                return Err(OOM.into());
            }
        }
        if self.meta.is_some() && cmd.needs_log() {
            if let Some(why) = self.sh.aof.as_ref().and_then(|aof| aof.failure()) {
                return Err(format!("MISCONF Errors writing to the AOF file: {why}").into());
            }
        }
        Ok(())
    }

    /// The selected database, through the transaction's locks if any.
    pub(crate) fn db(&self) -> View<'a> {
        self.view(self.db)
    }

    /// Database `n`, through the transaction's locks if any.
    fn view(&self, n: usize) -> View<'a> {
        View::new(&self.sh.store, n, self.held)
    }

    /// Appends records to the log, unless replaying or logging is off;
    /// inside `EXEC`, to the transaction's records.
    pub(crate) fn log(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.log_in(self.db, write);
    }

    /// [`Exec::log`] for records of database `db`.
    pub(crate) fn log_in(&mut self, db: usize, write: impl FnOnce(&mut Vec<u8>)) {
        if self.meta.is_none() {
            return;
        }
        if let Some(records) = &mut self.records {
            if self.sh.aof.is_some() {
                records.push(db, write);
            }
            return;
        }
        if let Some(aof) = &self.sh.aof {
            self.seq = aof.append(db, write);
        }
    }

    /// Appends `relative` records to the log, or `absolute` ones while a
    /// rewrite collects records (see [`crate::aof::Aof::append_during`]).
    pub(crate) fn log_either(&mut self, relative: impl FnOnce(&mut Vec<u8>), absolute: impl FnOnce(&mut Vec<u8>)) {
        if self.meta.is_none() {
            return;
        }
        if self.records.is_some() {
            // Inside EXEC the records are appended later, as one unit,
            // when a rewrite may have started: the form that is right
            // either way.
            return self.log(absolute);
        }
        if let Some(aof) = &self.sh.aof {
            self.seq =
                aof.append_during(self.db, |buf, rewriting| if rewriting { absolute(buf) } else { relative(buf) });
        }
    }

    /// Logs the state of `key` in `shard`.
    fn log_key(&mut self, shard: &Shard, key: &[u8]) {
        if self.meta.is_none() || self.sh.aof.is_none() {
            return;
        }
        let value = shard.stored(key);
        self.log(|buf| record(buf, shard, key, value));
    }

    pub(crate) fn ok(&mut self) -> Outcome {
        resp::simple(self.out, "OK");
        Ok(())
    }

    pub(crate) fn int(&mut self, n: i64) -> Outcome {
        resp::integer(self.out, n);
        Ok(())
    }

    fn bulk_or_null(&mut self, v: Option<&[u8]>) -> Outcome {
        match v {
            Some(v) => resp::bulk(self.out, v),
            None => self.out.null(),
        }
        Ok(())
    }

    fn max_bulk(&self) -> usize {
        self.sh.max_bulk.load(Ordering::Relaxed)
    }
}

impl Drop for Exec<'_> {
    fn drop(&mut self) {
        self.tally.settle(&self.sh.stats.calls);
    }
}

fn trunc(a: &[u8]) -> Cow<'_, str> {
    lossy(&a[..a.len().min(128)])
}

// Connection and server.

fn ping(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    match a.len() {
        1 => resp::simple(ex.out, "PONG"),
        2 => resp::bulk(ex.out, &a[1]),
        _ => return Err("ERR wrong number of arguments for 'ping' command".into()),
    }
    Ok(())
}

fn echo(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    resp::bulk(ex.out, &a[1]);
    Ok(())
}

fn quit(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    ex.quit = true;
    ex.ok()
}

fn select(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = int(&a[1])?;
    if n < 0 || n as u64 >= ex.sh.store.dbs.len() as u64 {
        return Err("ERR DB index is out of range".into());
    }
    ex.db = n as usize;
    if let Some(meta) = ex.meta {
        meta.db.store(ex.db, Ordering::Relaxed);
    }
    ex.ok()
}

fn dbsize(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let n = ex.db().counts().0;
    ex.int(n as i64)
}

fn flush_mode(a: &[Arg<'_>]) -> Outcome {
    match a.len() {
        1 => Ok(()),
        2 if is(&a[1], "async") || is(&a[1], "sync") => Ok(()),
        _ => Err(SYNTAX.into()),
    }
}

fn flushdb(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    flush_mode(a)?;
    let mut shards = ex.db().lock_all();
    let cleared: Vec<_> = shards.iter_mut().map(|s| s.clear()).collect();
    ex.log(|buf| resp::command(buf, &[&b"FLUSHDB"[..]]));
    drop(shards);
    drop(cleared);
    ex.ok()
}

fn flushall(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    flush_mode(a)?;
    let mut all: Vec<_> = (0..ex.sh.store.dbs.len()).map(|n| ex.view(n).lock_all()).collect();
    let cleared: Vec<_> = all.iter_mut().flatten().map(|s| s.clear()).collect();
    ex.log(|buf| resp::command(buf, &[&b"FLUSHALL"[..]]));
    drop(all);
    drop(cleared);
    ex.ok()
}

fn info(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sections: Vec<String> = a[1..].iter().map(|s| lossy(s).to_ascii_lowercase()).collect();
    // This batch's earlier calls show, as they would in Redis.
    ex.tally.settle(&ex.sh.stats.calls);
    let text = crate::info::render(ex.sh, &sections, ex.held);
    ex.out.verbatim(text.as_bytes());
    Ok(())
}

fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Cow<'static, str> {
    format!("ERR unknown subcommand '{}'. Try {} HELP.", trunc(sub), cmd.to_ascii_uppercase()).into()
}

fn command_info(out: &mut Reply, c: &Command) {
    resp::array(out, 10);
    resp::bulk(out, c.name.as_bytes());
    resp::integer(out, c.arity as i64);
    out.set(c.flags.len());
    for f in c.flags {
        resp::simple(out, f);
    }
    resp::integer(out, c.keys.0 as i64);
    resp::integer(out, c.keys.1 as i64);
    resp::integer(out, c.keys.2 as i64);
    // Categories, tips, key specs and subcommands are sets under RESP3.
    out.set(1);
    resp::simple(out, &format!("@{}", c.group));
    out.set(0);
    out.set(0);
    out.set(c.subcommands.len());
    for (sub, arity) in c.subcommands {
        resp::array(out, 10);
        resp::bulk(out, format!("{}|{}", c.name, sub).as_bytes());
        resp::integer(out, *arity as i64);
        out.set(0);
        for _ in 0..3 {
            resp::integer(out, 0);
        }
        for _ in 0..4 {
            out.set(0);
        }
    }
}

fn command_docs(out: &mut Reply, c: &Command) {
    resp::bulk(out, c.name.as_bytes());
    if let Some(doc) = crate::docs::find(c.name) {
        return crate::docs::write(out, doc);
    }
    out.map(3);
    resp::bulk(out, b"summary");
    resp::bulk(out, c.summary.as_bytes());
    resp::bulk(out, b"since");
    resp::bulk(out, b"1.0.0");
    resp::bulk(out, b"group");
    resp::bulk(out, c.group.as_bytes());
}

fn command(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if a.len() == 1 {
        resp::array(ex.out, COMMANDS.len());
        for c in COMMANDS {
            command_info(ex.out, c);
        }
        return Ok(());
    }
    let sub = &a[1];
    if is(sub, "count") {
        ex.int(COMMANDS.len() as i64)
    } else if is(sub, "list") {
        resp::array(ex.out, COMMANDS.len());
        for c in COMMANDS {
            resp::bulk(ex.out, c.name.as_bytes());
        }
        Ok(())
    } else if is(sub, "info") {
        let names: Vec<Option<usize>> = if a.len() == 2 {
            (0..COMMANDS.len()).map(Some).collect()
        } else {
            a[2..].iter().map(|n| ex.sh.table.find(n)).collect()
        };
        resp::array(ex.out, names.len());
        for n in names {
            match n {
                Some(i) => command_info(ex.out, &COMMANDS[i]),
                None => ex.out.null_array(),
            }
        }
        Ok(())
    } else if is(sub, "docs") {
        let found: Vec<usize> = if a.len() == 2 {
            (0..COMMANDS.len()).collect()
        } else {
            a[2..].iter().filter_map(|n| ex.sh.table.find(n)).collect()
        };
        ex.out.map(found.len());
        for i in found {
            command_docs(ex.out, &COMMANDS[i]);
        }
        Ok(())
    } else {
        Err(unknown_subcommand("command", sub))
    }
}

fn client(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sub = &a[1];
    let Some(meta) = ex.meta else { return Err("ERR no client while replaying".into()) };
    if is(sub, "id") {
        ex.int(meta.id as i64)
    } else if is(sub, "setname") {
        meta.set_name(&a[2])?;
        ex.ok()
    } else if is(sub, "getname") {
        let name = meta.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
        ex.bulk_or_null(name.as_deref().map(str::as_bytes))
    } else if is(sub, "setinfo") {
        if !(is(&a[2], "lib-name") || is(&a[2], "lib-ver")) {
            return Err(format!("ERR Unrecognized option '{}'", trunc(&a[2])).into());
        }
        ex.ok()
    } else if is(sub, "kill") {
        crate::kill::client_kill(ex, a)
    } else if is(sub, "no-evict") || is(sub, "no-touch") {
        crate::kill::client_flag(ex, a)
    } else if is(sub, "info") {
        meta.db.store(ex.db, Ordering::Relaxed);
        let line = meta.line(&last_cmd_name(meta));
        ex.out.verbatim(line.as_bytes());
        Ok(())
    } else if is(sub, "list") {
        if a.len() > 2 && !(a.len() == 4 && is(&a[2], "type") && is(&a[3], "normal")) {
            return Err(SYNTAX.into());
        }
        meta.db.store(ex.db, Ordering::Relaxed);
        let mut clients: Vec<_> = ex.sh.clients.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        clients.sort_by_key(|c| c.id);
        let text: String = clients.iter().map(|c| c.line(&last_cmd_name(c))).collect();
        ex.out.verbatim(text.as_bytes());
        Ok(())
    } else {
        Err(unknown_subcommand("client", sub))
    }
}

fn last_cmd_name(meta: &ClientMeta) -> String {
    match COMMANDS.get(meta.last_cmd.load(Ordering::Relaxed)) {
        Some(c) if c.name == "client" => "client|list".to_string(),
        Some(c) => c.name.to_string(),
        None => "NULL".to_string(),
    }
}

/// Parses a memory amount as Redis's `memtoull` does: `100`, `1kb`, `2mb`, `1gb`, `1k`.
pub fn memory(s: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(s).ok()?.to_ascii_lowercase();
    let (digits, mul) = [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suffix, mul)| s.strip_suffix(suffix).map(|d| (d.to_string(), *mul)))
    .unwrap_or((s.clone(), 1));
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

fn config_params(ex: &Exec<'_>) -> Vec<(&'static str, String)> {
    let sh = ex.sh;
    vec![
        ("maxmemory", sh.maxmemory.load(Ordering::Relaxed).to_string()),
        ("maxmemory-policy", "noeviction".into()),
        ("databases", sh.store.dbs.len().to_string()),
        ("appendonly", if sh.aof.is_some() { "yes" } else { "no" }.into()),
        ("appendfsync", sh.options.appendfsync.as_str().into()),
        (
            "appendfilename",
            sh.options.appendonly.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "appendonly.aof".into()),
        ),
        ("save", String::new()),
        ("proto-max-bulk-len", sh.max_bulk.load(Ordering::Relaxed).to_string()),
        ("client-query-buffer-limit", sh.query_buffer_limit.load(Ordering::Relaxed).to_string()),
        ("auto-aof-rewrite-min-size", sh.options.aof_rewrite_min_bytes.to_string()),
        ("auto-aof-rewrite-percentage", "100".into()),
        ("client-output-buffer-limit", output_buffer_limits(sh)),
        ("maxmemory-clients", sh.output_limits().total_bytes.to_string()),
        // Shown, as Redis shows it, to clients that have authenticated.
        ("requirepass", lossy(&sh.guard.password_text()).into_owned()),
        ("protected-mode", if sh.guard.protected_mode() { "yes" } else { "no" }.into()),
    ]
}

/// `client-output-buffer-limit` as Redis shows it. Only the `normal`
/// class applies: there are no replicas, and no subscribers yet; the others
/// show what they were set to.
fn output_buffer_limits(sh: &Shared) -> String {
    let o = sh.output_limits();
    let others = *sh.other_output_limits.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = format!("normal {} {} {}", o.hard_bytes, o.soft_bytes, o.soft_time.as_secs());
    for (class, (hard, soft, secs)) in ["slave", "pubsub"].iter().zip(others) {
        text.push_str(&format!(" {class} {hard} {soft} {secs}"));
    }
    text
}

/// Parses a `client-output-buffer-limit` value: groups of class, hard
/// limit, soft limit and soft seconds, with Redis's error texts.
fn parse_output_buffer_limits(v: &[u8]) -> Result<Vec<(usize, u64, u64, u64)>, &'static str> {
    let text = lossy(v);
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.");
    }
    let mut groups = Vec::new();
    for g in words.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration."),
        };
        let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = memory(g[1].as_bytes()).ok_or(bad)?;
        let soft = memory(g[2].as_bytes()).ok_or(bad)?;
        let secs = g[3].parse::<u64>().map_err(|_| bad)?;
        groups.push((class, hard, soft, secs));
    }
    Ok(groups)
}

fn config(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sub = &a[1];
    if is(sub, "get") {
        let params = config_params(ex);
        let hits: Vec<&(&str, String)> = params
            .iter()
            .filter(|(name, _)| a[2..].iter().any(|p| crate::pattern::matches(p, name.as_bytes(), true)))
            .collect();
        ex.out.map(hits.len());
        for (name, value) in hits {
            resp::bulk(ex.out, name.as_bytes());
            resp::bulk(ex.out, value.as_bytes());
        }
        Ok(())
    } else if is(sub, "set") {
        if a.len() % 2 != 0 {
            return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{}'", trunc(&a[2])).into());
        }
        let mut changes = Vec::new();
        let mut limits = Vec::new();
        let mut guard_changes = Vec::new();
        for pair in a[2..].chunks(2) {
            let name = lossy(&pair[0]).to_ascii_lowercase();
            if name == "client-output-buffer-limit" {
                let groups = parse_output_buffer_limits(&pair[1])
                    .map_err(|why| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"))?;
                limits.extend(groups);
                continue;
            }
            if let Some(change) = crate::auth::config_set(&name, &pair[1])? {
                guard_changes.push(change);
                continue;
            }
            let settable = ["maxmemory", "proto-max-bulk-len", "client-query-buffer-limit", "maxmemory-clients"];
            if !settable.contains(&name.as_str()) {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name).into());
            }
            let Some(v) = memory(&pair[1]) else {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument couldn't be parsed into an integer"
                )
                .into());
            };
            if !["maxmemory", "maxmemory-clients"].contains(&name.as_str()) && v < 1 << 20 {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be between 1048576 and 9223372036854775807 inclusive"
                )
                .into());
            }
            changes.push((name, v));
        }
        let mut output = ex.sh.output_limits();
        for (name, v) in changes {
            match name.as_str() {
                "maxmemory" => ex.sh.maxmemory.store(v, Ordering::Relaxed),
                "proto-max-bulk-len" => ex.sh.max_bulk.store(v as usize, Ordering::Relaxed),
                "maxmemory-clients" => output.total_bytes = v as usize,
                _ => ex.sh.query_buffer_limit.store(v as usize, Ordering::Relaxed),
            }
        }
        for (class, hard, soft, secs) in limits {
            if class == 0 {
                output.hard_bytes = hard as usize;
                output.soft_bytes = soft as usize;
                output.soft_time = std::time::Duration::from_secs(secs);
            } else {
                ex.sh.other_output_limits.lock().unwrap_or_else(|e| e.into_inner())[class - 1] = (hard, soft, secs);
            }
        }
        ex.sh.set_output_limits(output);
        for change in guard_changes {
            ex.sh.guard.apply(change);
        }
        ex.ok()
    } else if is(sub, "resetstat") {
        ex.sh.stats.commands.store(0, Ordering::Relaxed);
        ex.sh.stats.connections.store(0, Ordering::Relaxed);
        ex.sh.stats.rejected.store(0, Ordering::Relaxed);
        ex.sh.stats.calls.reset();
        ex.tally.discard();
        ex.ok()
    } else {
        Err(unknown_subcommand("config", sub))
    }
}

fn time(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    resp::array(ex.out, 2);
    resp::bulk(ex.out, d.as_secs().to_string().as_bytes());
    resp::bulk(ex.out, d.subsec_micros().to_string().as_bytes());
    Ok(())
}

fn bgrewriteaof(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    if ex.sh.aof.is_none() {
        return Err("ERR Append only file is not enabled".into());
    }
    if ex.meta.is_none() {
        return Ok(());
    }
    match crate::cron::start_rewrite(ex.sh) {
        true => resp::simple(ex.out, "Background append only file rewriting started"),
        false => resp::simple(ex.out, "Background append only file rewriting scheduled"),
    }
    Ok(())
}

// Strings.

fn get(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    ex.out.value_or_null(s.get(&a[1], now)?);
    Ok(())
}

/// How a `SET`-like command treats an existing key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    IfAbsent,
    IfPresent,
}

/// Turns an expire argument into absolute milliseconds, with Redis's checks.
fn expire_ms(ex: &Exec<'_>, cmd: &str, arg: &[u8], unit_ms: i64, absolute: bool) -> Result<u64, Cow<'static, str>> {
    let v = int(arg)?;
    let invalid = || Cow::Owned(format!("ERR invalid expire time in '{cmd}' command"));
    if v <= 0 {
        return Err(invalid());
    }
    let ms = v.checked_mul(unit_ms).ok_or_else(invalid)?;
    let at = if absolute { ms } else { ms.checked_add(ex.now as i64).ok_or_else(invalid)? };
    Ok(at as u64)
}

/// Sets `key` and logs it, all under its shard lock. An expiry already
/// past deletes the key instead, as Redis does.
fn set_key(ex: &mut Exec<'_>, s: &mut Shard, key: &[u8], value: Bytes, ttl: Ttl) {
    if let Ttl::At(at) = ttl {
        if at <= ex.now {
            s.remove(key);
            ex.log_key(s, key);
            return;
        }
    }
    s.insert(key, value, ttl);
    ex.log_key(s, key);
}

fn set(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let mut cond = Cond::Always;
    let mut get = false;
    let mut keep = false;
    let mut expire: Option<(&[u8], i64, bool)> = None;
    let mut j = 3;
    while j < a.len() {
        let opt = &a[j];
        let next = a.get(j + 1);
        if is(opt, "nx") && cond != Cond::IfPresent {
            cond = Cond::IfAbsent;
        } else if is(opt, "xx") && cond != Cond::IfAbsent {
            cond = Cond::IfPresent;
        } else if is(opt, "get") {
            get = true;
        } else if is(opt, "keepttl") && expire.is_none() {
            keep = true;
        } else if let (false, None, Some(v)) = (keep, expire, next) {
            let (unit, absolute) = if is(opt, "ex") {
                (1000, false)
            } else if is(opt, "px") {
                (1, false)
            } else if is(opt, "exat") {
                (1000, true)
            } else if is(opt, "pxat") {
                (1, true)
            } else {
                return Err(SYNTAX.into());
            };
            expire = Some((v, unit, absolute));
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    let ttl = match expire {
        Some((v, unit, absolute)) => Ttl::At(expire_ms(ex, "set", v, unit, absolute)?),
        None if keep => Ttl::Keep,
        None => Ttl::Clear,
    };
    let now = ex.now;
    // The copy of a long value is made before the lock, not under it.
    let value = Bytes::new(&a[2]);
    let mut s = ex.db().lock(&a[1]);
    let old = if get { s.get(&a[1], now)?.cloned() } else { None };
    let present = s.contains(&a[1], now);
    let proceed = match cond {
        Cond::Always => true,
        Cond::IfAbsent => !present,
        Cond::IfPresent => present,
    };
    if proceed {
        set_key(ex, &mut s, &a[1], value, ttl);
    }
    drop(s);
    if get {
        ex.out.value_or_null(old.as_ref());
        Ok(())
    } else if proceed {
        ex.ok()
    } else {
        ex.out.null();
        Ok(())
    }
}

fn setnx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    if s.contains(&a[1], now) {
        drop(s);
        return ex.int(0);
    }
    set_key(ex, &mut s, &a[1], Bytes::new(&a[2]), Ttl::Clear);
    drop(s);
    ex.int(1)
}

fn setex_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], cmd: &str, unit: i64) -> Outcome {
    let at = expire_ms(ex, cmd, &a[2], unit, false)?;
    let mut s = ex.db().lock(&a[1]);
    set_key(ex, &mut s, &a[1], Bytes::new(&a[3]), Ttl::At(at));
    drop(s);
    ex.ok()
}

fn setex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    setex_generic(ex, a, "setex", 1000)
}

fn psetex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    setex_generic(ex, a, "psetex", 1)
}

fn getset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let old = s.get(&a[1], now)?.cloned();
    set_key(ex, &mut s, &a[1], Bytes::new(&a[2]), Ttl::Clear);
    drop(s);
    ex.out.value_or_null(old.as_ref());
    Ok(())
}

fn getdel(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let old = s.get(&a[1], now)?.cloned();
    if old.is_some() {
        s.remove(&a[1]);
        ex.log_key(&s, &a[1]);
    }
    drop(s);
    ex.out.value_or_null(old.as_ref());
    Ok(())
}

fn getex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let mut change: Option<Option<(&[u8], i64, bool)>> = None;
    let mut j = 2;
    while j < a.len() {
        let opt = &a[j];
        if is(opt, "persist") && change.is_none() {
            change = Some(None);
        } else if let (None, Some(v)) = (change, a.get(j + 1)) {
            let (unit, absolute) = if is(opt, "ex") {
                (1000, false)
            } else if is(opt, "px") {
                (1, false)
            } else if is(opt, "exat") {
                (1000, true)
            } else if is(opt, "pxat") {
                (1, true)
            } else {
                return Err(SYNTAX.into());
            };
            change = Some(Some((v, unit, absolute)));
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    let at = match change {
        Some(Some((v, unit, absolute))) => Some(Some(expire_ms(ex, "getex", v, unit, absolute)?)),
        Some(None) => Some(None),
        None => None,
    };
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let v = s.get(&a[1], now)?.cloned();
    if let (Some(_), Some(at)) = (&v, at) {
        match at {
            Some(at) if at <= now => {
                s.remove(&a[1]);
                ex.log_key(&s, &a[1]);
            }
            Some(at) => {
                s.set_expire(&a[1], Some(at));
                ex.log_key(&s, &a[1]);
            }
            None => {
                if s.set_expire(&a[1], None) {
                    ex.log_key(&s, &a[1]);
                }
            }
        }
    }
    drop(s);
    ex.out.value_or_null(v.as_ref());
    Ok(())
}

fn mget(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    resp::array(ex.out, a.len() - 1);
    for k in &a[1..] {
        ex.out.value_or_null(locked.shard(k).get(k, now).ok().flatten());
    }
    Ok(())
}

fn mset_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], only_new: bool) -> Outcome {
    if a.len() % 2 == 0 {
        let name = if only_new { "msetnx" } else { "mset" };
        return Err(format!("ERR wrong number of arguments for '{name}' command").into());
    }
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().step_by(2).map(|k| &k[..]));
    if only_new && a[1..].iter().step_by(2).any(|k| locked.shard(k).contains(k, now)) {
        drop(locked);
        return ex.int(0);
    }
    for pair in a[1..].chunks(2) {
        locked.shard(&pair[0]).insert(&pair[0], Bytes::new(&pair[1]), Ttl::Clear);
    }
    ex.log(|buf| {
        resp::array(buf, a.len());
        resp::bulk(buf, b"MSET");
        for x in &a[1..] {
            resp::bulk(buf, x);
        }
    });
    drop(locked);
    if only_new {
        ex.int(1)
    } else {
        ex.ok()
    }
}

fn mset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    mset_generic(ex, a, false)
}

fn msetnx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    mset_generic(ex, a, true)
}

fn append(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let part = &a[2];
    let len = change_value(ex, &a[1], |len| len + part.len(), |v| v.extend_from_slice(part))?;
    ex.int(len as i64)
}

/// Values at least this long that a reply still shares are copied outside
/// the shard's lock before a change (see [`change_value`]).
const COPY_OUTSIDE_LOCK_BYTES: usize = 64 << 10;

/// Changes the string at `key` (empty if absent) with `write`, which makes
/// it `new_len(current length)` long; its time to live stays. The new
/// length, or the error for one past `proto-max-bulk-len`.
///
/// The value is changed in place unless a reply still shares it. Then it
/// is copied first, and a long one outside the lock: from a reference
/// taken under the lock, put back only if the key still holds that same
/// value (else it starts again), so that no shard is held for the length
/// of a copy of up to `proto-max-bulk-len` bytes while others wait.
fn change_value(
    ex: &mut Exec<'_>,
    key: &[u8],
    new_len: impl Fn(usize) -> usize,
    write: impl Fn(&mut Vec<u8>),
) -> Result<usize, Cow<'static, str>> {
    let now = ex.now;
    let max = ex.max_bulk();
    loop {
        let mut s = ex.db().lock(key);
        let current = s.peek(key, now)?;
        let len = new_len(current.map_or(0, |v| v.len()));
        if len > max {
            return Err(TOO_BIG.into());
        }
        let shared = current.filter(|v| v.len() >= COPY_OUTSIDE_LOCK_BYTES && v.is_shared()).cloned();
        let Some(snapshot) = shared else {
            if s.update(key, now, |v| write(v.make_mut()))?.is_none() {
                let mut v = Vec::new();
                write(&mut v);
                s.insert(key, Bytes::from_vec(v), Ttl::Keep);
            }
            ex.log_key(&s, key);
            return Ok(len);
        };
        drop(s);
        let mut copy = Vec::with_capacity(len.max(snapshot.len()));
        copy.extend_from_slice(&snapshot);
        write(&mut copy);
        let mut s = ex.db().lock(key);
        if s.peek(key, now)?.is_some_and(|v| v.same(&snapshot)) {
            drop(snapshot);
            s.update(key, now, |v| *v = Bytes::from_vec(copy))?;
            ex.log_key(&s, key);
            return Ok(len);
        }
    }
}

fn strlen(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).get(&a[1], now)?.map_or(0, |v| v.len());
    ex.int(n as i64)
}

fn getrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (mut start, mut end) = (int(&a[2])?, int(&a[3])?);
    let now = ex.now;
    let s = ex.db();
    let mut s = s.lock(&a[1]);
    let empty = Bytes::new(b"");
    let v = s.get(&a[1], now)?.unwrap_or(&empty);
    let len = v.len() as i64;
    if (start < 0 && end < 0 && start > end) || len == 0 {
        resp::bulk(ex.out, b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end {
        resp::bulk(ex.out, b"");
    } else {
        ex.out.value_range(v, start as usize..end as usize + 1);
    }
    Ok(())
}

fn setrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let offset = int(&a[2])?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let part = &a[3];
    let now = ex.now;
    if part.is_empty() {
        let n = ex.db().lock(&a[1]).peek(&a[1], now)?.map_or(0, |v| v.len());
        return ex.int(n as i64);
    }
    if offset as u64 + part.len() as u64 > ex.max_bulk() as u64 {
        return Err(TOO_BIG.into());
    }
    let end = offset as usize + part.len();
    let write = |v: &mut Vec<u8>| {
        if v.len() < end {
            v.resize(end, 0);
        }
        v[offset as usize..end].copy_from_slice(part);
    };
    let len = change_value(ex, &a[1], |len| len.max(end), write)?;
    ex.int(len as i64)
}

fn incr_by(ex: &mut Exec<'_>, key: &[u8], by: i64) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    let cur = match s.peek(key, now)? {
        Some(v) => string2ll(v).ok_or(NOT_INTEGER)?,
        None => 0,
    };
    let n = cur.checked_add(by).ok_or("ERR increment or decrement would overflow")?;
    let mut buf = Vec::with_capacity(20);
    resp::push_decimal(&mut buf, n);
    set_key(ex, &mut s, key, Bytes::new(&buf), Ttl::Keep);
    drop(s);
    ex.int(n)
}

fn incr(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    incr_by(ex, &a[1], 1)
}

fn decr(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    incr_by(ex, &a[1], -1)
}

fn incrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = int(&a[2])?;
    incr_by(ex, &a[1], by)
}

fn decrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = int(&a[2])?;
    let by = by.checked_neg().ok_or("ERR decrement would overflow")?;
    incr_by(ex, &a[1], by)
}

fn incrbyfloat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = float(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let cur = match s.peek(&a[1], now)? {
        Some(v) => float(v)?,
        None => LongDouble::ZERO,
    };
    let n = cur.add(by).ok_or("ERR increment would produce NaN or Infinity")?;
    let text = n.to_human();
    set_key(ex, &mut s, &a[1], Bytes::new(text.as_bytes()), Ttl::Keep);
    drop(s);
    resp::bulk(ex.out, text.as_bytes());
    Ok(())
}

// Keyspace.

fn del(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    let mut gone: Vec<&[u8]> = Vec::new();
    for k in &a[1..] {
        let s = locked.shard(k);
        if s.contains(k, now) {
            s.remove(k);
            gone.push(k);
        }
    }
    if !gone.is_empty() {
        ex.log(|buf| {
            resp::array(buf, gone.len() + 1);
            resp::bulk(buf, b"DEL");
            for k in &gone {
                resp::bulk(buf, k);
            }
        });
    }
    drop(locked);
    ex.int(gone.len() as i64)
}

fn exists(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    let n = a[1..].iter().filter(|k| locked.shard(k).contains(k, now)).count();
    drop(locked);
    ex.int(n as i64)
}

fn type_(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let name = ex.db().lock(&a[1]).peek_value(&a[1], now).map_or("none", Value::type_name);
    resp::simple(ex.out, name);
    Ok(())
}

fn keys(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let all = a[1].as_ref() == b"*";
    let glob = crate::pattern::Glob::new(&a[1], false);
    let mut found = Vec::new();
    for i in 0..SHARDS {
        let s = ex.db().lock_shard(i);
        found.extend(s.entries(now).filter(|(k, _, _)| all || glob.matches(k)).map(|(k, _, _)| k.clone()));
    }
    resp::array(ex.out, found.len());
    for k in found {
        resp::bulk(ex.out, &k);
    }
    Ok(())
}

/// `SCAN`: the cursor is the next shard to visit, so a key present for the
/// whole scan is returned at least once whatever happens to the others.
fn scan(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let cursor = std::str::from_utf8(&a[1]).ok().and_then(|s| s.parse::<u64>().ok()).ok_or("ERR invalid cursor")?;
    let mut count = 10i64;
    let mut pattern: Option<crate::pattern::Glob> = None;
    let mut only_type: Option<Vec<u8>> = None;
    let mut j = 2;
    while j < a.len() {
        let Some(v) = a.get(j + 1) else { return Err(SYNTAX.into()) };
        if is(&a[j], "count") {
            count = int(v)?;
            if count < 1 {
                return Err(SYNTAX.into());
            }
        } else if is(&a[j], "match") {
            // As Redis, `MATCH *` is no filter at all (the glob `*` alone
            // does not match the empty key).
            pattern = (v.as_ref() != b"*").then(|| crate::pattern::Glob::new(v, false));
        } else if is(&a[j], "type") {
            only_type = Some(v.to_ascii_lowercase());
        } else {
            return Err(SYNTAX.into());
        }
        j += 2;
    }
    let now = ex.now;
    let mut shard = cursor as usize;
    let mut seen = 0i64;
    let mut found = Vec::new();
    while shard < SHARDS && seen < count {
        let s = ex.db().lock_shard(shard);
        for (k, v, _) in s.entries(now) {
            seen += 1;
            let type_ok = only_type.as_ref().is_none_or(|t| t[..] == *v.type_name().as_bytes());
            if type_ok && pattern.as_ref().is_none_or(|g| g.matches(k)) {
                found.push(k.clone());
            }
        }
        shard += 1;
    }
    let next = if shard >= SHARDS { 0 } else { shard };
    resp::array(ex.out, 2);
    resp::bulk(ex.out, next.to_string().as_bytes());
    resp::array(ex.out, found.len());
    for k in found {
        resp::bulk(ex.out, &k);
    }
    Ok(())
}

pub(crate) fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish()
}

fn randomkey(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let start = random() as usize % SHARDS;
    for i in 0..SHARDS {
        let mut s = ex.db().lock_shard((start + i) % SHARDS);
        for _ in 0..8 {
            if s.len() == 0 {
                break;
            }
            let n = random() as usize % s.len();
            let Some(k) = s.nth_key(n).cloned() else { break };
            if s.contains(&k, now) {
                drop(s);
                resp::bulk(ex.out, &k);
                return Ok(());
            }
        }
    }
    ex.out.null();
    Ok(())
}

fn object(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if !is(&a[1], "encoding") {
        return Err(unknown_subcommand("object", &a[1]));
    }
    let now = ex.now;
    let encoding = ex.db().lock(&a[2]).peek_value(&a[2], now).map(Value::encoding);
    ex.bulk_or_null(encoding.map(str::as_bytes))
}

/// `COPY src dst [DB n] [REPLACE]`: within a database under both keys'
/// locks; to another database, the value is copied under the source's lock
/// and written under the destination's (never both at once, so two copies
/// in opposite directions cannot deadlock).
fn copy(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (src, dst) = (&a[1][..], &a[2][..]);
    let (mut to_db, mut replace) = (ex.db, false);
    let mut j = 3;
    while j < a.len() {
        if is(&a[j], "replace") {
            replace = true;
        } else if is(&a[j], "db") && j + 1 < a.len() {
            let n = int(&a[j + 1])?;
            if n < 0 || n as u64 >= ex.sh.store.dbs.len() as u64 {
                return Err("ERR DB index is out of range".into());
            }
            to_db = n as usize;
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    if to_db == ex.db && src == dst {
        return Err("ERR source and destination objects are the same".into());
    }
    let now = ex.now;
    let from = ex.db();
    let to = ex.view(to_db);
    let copy_into = |ex: &mut Exec<'_>, shard: &mut Shard, value: Value, at: Option<u64>| -> bool {
        if !replace && shard.contains(dst, now) {
            return false;
        }
        if ex.meta.is_some() && ex.sh.aof.is_some() {
            // No MULTI of its own inside a transaction's (no nesting).
            let unit = ex.records.is_none();
            let mut rec = Vec::new();
            if unit {
                resp::command(&mut rec, &[&b"MULTI"[..]]);
            }
            resp::command(&mut rec, &[&b"DEL"[..], dst]);
            value.rewrite(dst, at, &mut rec);
            if unit {
                resp::command(&mut rec, &[&b"EXEC"[..]]);
            }
            ex.log_in(to_db, |buf| buf.extend_from_slice(&rec));
        }
        shard.insert_value(dst, value, at.map_or(Ttl::Clear, Ttl::At));
        true
    };
    let done = if to_db == ex.db {
        let mut locked = from.lock_keys([src, dst]);
        let Some(value) = locked.shard(src).peek_value(src, now).cloned() else {
            drop(locked);
            return ex.int(0);
        };
        let at = locked.shard(src).expire_at(src);
        copy_into(ex, locked.shard(dst), value, at)
    } else {
        let found = {
            let mut s = from.lock(src);
            s.peek_value(src, now).cloned().map(|v| (v, s.expire_at(src)))
        };
        let Some((value, at)) = found else { return ex.int(0) };
        let mut s = to.lock(dst);
        copy_into(ex, &mut s, value, at)
    };
    ex.int(done as i64)
}

fn rename_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], only_new: bool) -> Outcome {
    let (src, dst) = (&a[1][..], &a[2][..]);
    let now = ex.now;
    let mut locked = ex.db().lock_keys([src, dst]);
    if !locked.shard(src).contains(src, now) {
        return Err("ERR no such key".into());
    }
    if src == dst {
        drop(locked);
        return if only_new { ex.int(0) } else { ex.ok() };
    }
    if only_new && locked.shard(dst).contains(dst, now) {
        drop(locked);
        return ex.int(0);
    }
    let at = locked.shard(src).expire_at(src);
    let Some(value) = locked.shard(src).remove(src) else { return Err("ERR no such key".into()) };
    let ttl = at.map_or(Ttl::Clear, Ttl::At);
    if ex.meta.is_some() && ex.sh.aof.is_some() {
        // The new state of both keys, whatever the type: replaying it over
        // a snapshot that already has it changes nothing. Inside a
        // transaction, its own MULTI/EXEC already holds these together,
        // and the log has no nested transactions.
        let unit = ex.records.is_none();
        let mut rec = Vec::new();
        if unit {
            resp::command(&mut rec, &[&b"MULTI"[..]]);
        }
        resp::command(&mut rec, &[&b"DEL"[..], src, dst]);
        value.rewrite(dst, at, &mut rec);
        if unit {
            resp::command(&mut rec, &[&b"EXEC"[..]]);
        }
        ex.log(|buf| buf.extend_from_slice(&rec));
    }
    locked.shard(dst).insert_value(dst, value, ttl);
    drop(locked);
    if only_new {
        ex.int(1)
    } else {
        ex.ok()
    }
}

fn rename(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rename_generic(ex, a, false)
}

fn renamenx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rename_generic(ex, a, true)
}

fn expire_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], cmd: &str, unit: i64, absolute: bool) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &a[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(format!("ERR Unsupported option {}", trunc(opt)).into());
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let v = int(&a[2])?;
    let invalid = || Cow::Owned(format!("ERR invalid expire time in '{cmd}' command"));
    let mut when = v.checked_mul(unit).ok_or_else(invalid)?;
    if !absolute {
        when = when.checked_add(ex.now as i64).ok_or_else(invalid)?;
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    if !s.contains(&a[1], now) {
        drop(s);
        return ex.int(0);
    }
    let cur = s.expire_at(&a[1]);
    let allowed = if nx {
        cur.is_none()
    } else if xx && cur.is_none() {
        false
    } else if gt {
        cur.is_some_and(|c| when > c as i64)
    } else if lt {
        cur.is_none_or(|c| when < c as i64)
    } else {
        true
    };
    if !allowed {
        drop(s);
        return ex.int(0);
    }
    if when <= now as i64 {
        s.remove(&a[1]);
    } else {
        s.set_expire(&a[1], Some(when as u64));
    }
    ex.log_key(&s, &a[1]);
    drop(s);
    ex.int(1)
}

fn expire(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "expire", 1000, false)
}

fn pexpire(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "pexpire", 1, false)
}

fn expireat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "expireat", 1000, true)
}

fn pexpireat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "pexpireat", 1, true)
}

/// The key's expiry: `Err(-2)` if absent, `Err(-1)` if persistent.
fn expiry_of(ex: &mut Exec<'_>, key: &[u8]) -> Result<u64, i64> {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    if !s.contains(key, now) {
        return Err(-2);
    }
    s.expire_at(key).ok_or(-1)
}

fn ttl(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| (at.saturating_sub(now) as i64 + 500) / 1000);
    ex.int(n)
}

fn pttl(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| at.saturating_sub(now) as i64);
    ex.int(n)
}

fn expiretime(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| (at / 1000) as i64);
    ex.int(n)
}

fn pexpiretime(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| at as i64);
    ex.int(n)
}

fn persist(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let done = s.contains(&a[1], now) && s.set_expire(&a[1], None);
    if done {
        ex.log_key(&s, &a[1]);
    }
    drop(s);
    ex.int(done as i64)
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
    fn memory_amounts_read_like_redis_config() {
        assert_eq!(memory(b"100"), Some(100));
        assert_eq!(memory(b"1kb"), Some(1024));
        assert_eq!(memory(b"2MB"), Some(2 << 20));
        assert_eq!(memory(b"1g"), Some(1_000_000_000));
        assert_eq!(memory(b"x"), None);
        assert_eq!(memory(b"-1"), None);
    }
}

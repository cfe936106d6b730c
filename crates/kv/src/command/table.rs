//! Every command kv knows: its name, arity, flags, where it may run, keys,
//! documentation group and code, one row each.

use super::{Command, Where};
use crate::{blocking, multi, pubsub, types};

use super::keyspace::*;
use super::server::*;
use super::string::*;
use Where::{Inline, InlineIf, InlineUpTo, Worker};

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
const B: &[&str] = &["write", "noscript", "blocking"];
const BW: &[&str] = &["write", "denyoom", "noscript", "blocking"];
const BM: &[&str] = &["write", "blocking", "movablekeys"];
const BF: &[&str] = &["write", "noscript", "blocking", "fast"];
const PS: &[&str] = &["pubsub", "noscript", "loading", "stale"];

macro_rules! cmd {
    ($name:literal, $arity:expr, $flags:expr, $runs:expr, $keys:expr, $group:literal, $summary:literal, $run:expr) => {
        cmd!($name, $arity, $flags, $runs, $keys, $group, $summary, &[], $run)
    };
    ($name:literal, $arity:expr, $flags:expr, $runs:expr, $keys:expr, $group:literal, $summary:literal, $subs:expr, $run:expr) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            runs: $runs,
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
    cmd!("ping", -1, C, Inline, (0, 0, 0), "connection", "Returns the server's liveliness response.", ping),
    cmd!("echo", 2, C, Inline, (0, 0, 0), "connection", "Returns the given string.", echo),
    cmd!("reset", 1, &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], Worker, (0, 0, 0), "connection", "Resets the connection.", crate::reset::reset),
    cmd!("subscribe", -2, PS, Worker, (0, 0, 0), "pubsub", "Listens for messages published to channels.", pubsub::subscribe),
    cmd!("unsubscribe", -1, PS, Worker, (0, 0, 0), "pubsub", "Stops listening to messages posted to channels.", pubsub::unsubscribe),
    cmd!("psubscribe", -2, PS, Worker, (0, 0, 0), "pubsub", "Listens for messages published to channels that match one or more patterns.", pubsub::psubscribe),
    cmd!("punsubscribe", -1, PS, Worker, (0, 0, 0), "pubsub", "Stops listening to messages published to channels that match one or more patterns.", pubsub::punsubscribe),
    // The work is a lookup and, per subscriber, an id copied: as cheap as
    // an MGET of the same size (the copies into their outputs are their
    // loops' work).
    cmd!("publish", 3, &["pubsub", "loading", "stale", "fast"], Inline, (0, 0, 0), "pubsub", "Posts a message to a channel.", pubsub::publish),
    cmd!(
        "pubsub",
        -2,
        &[],
        Worker,
        (0, 0, 0),
        "pubsub",
        "A container for Pub/Sub commands.",
        &[("channels", -2), ("numsub", -2), ("numpat", 2), ("shardchannels", -2), ("shardnumsub", -2), ("help", 2)],
        pubsub::pubsub
    ),
    cmd!("quit", -1, C, Worker, (0, 0, 0), "connection", "Closes the connection.", quit),
    cmd!("hello", -1, NOAUTH, Worker, (0, 0, 0), "connection", "Handshakes with the Redis server.", crate::hello::hello),
    cmd!("auth", -2, NOAUTH, Worker, (0, 0, 0), "connection", "Authenticates the connection.", crate::auth::auth),
    cmd!("select", 2, C, Inline, (0, 0, 0), "connection", "Changes the selected database.", select),
    cmd!("dbsize", 1, RF, Inline, (0, 0, 0), "server", "Returns the number of keys in the database.", dbsize),
    cmd!("flushdb", -1, D, Worker, (0, 0, 0), "server", "Removes all keys from the current database.", flushdb),
    cmd!("flushall", -1, D, Worker, (0, 0, 0), "server", "Removes all keys from all databases.", flushall),
    cmd!(
        "info",
        -1,
        &["loading", "stale"],
        Worker,
        (0, 0, 0),
        "server",
        "Returns information and statistics about the server.",
        info
    ),
    cmd!(
        "command",
        -1,
        &["loading", "stale"],
        Worker,
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
        Worker,
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
            ("unblock", -3),
        ],
        client
    ),
    cmd!(
        "config",
        -2,
        A,
        Worker,
        (0, 0, 0),
        "server",
        "A container for server configuration commands.",
        &[("get", -3), ("set", -4), ("resetstat", 2)],
        config
    ),
    cmd!("time", 1, C, Inline, (0, 0, 0), "server", "Returns the server time.", time),
    cmd!("bgrewriteaof", 1, A, Worker, (0, 0, 0), "server", "Asynchronously rewrites the append-only file.", bgrewriteaof),
    cmd!("get", 2, RF, Inline, (1, 1, 1), "string", "Returns the string value of a key.", get),
    cmd!("set", -3, W, Inline, (1, 1, 1), "string", "Sets the string value of a key, ignoring its type.", set),
    cmd!("setnx", 3, WF, Inline, (1, 1, 1), "string", "Set the string value of a key only when the key doesn't exist.", setnx),
    cmd!("setex", 4, W, Inline, (1, 1, 1), "string", "Sets the string value and expiration time of a key.", setex),
    cmd!(
        "psetex",
        4,
        W,
        Inline,
        (1, 1, 1),
        "string",
        "Sets the string value and expiration time in milliseconds of a key.",
        psetex
    ),
    cmd!(
        "getset",
        3,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Returns the previous string value of a key after setting it to a new value.",
        getset
    ),
    cmd!("getdel", 2, DF, Inline, (1, 1, 1), "string", "Returns the string value of a key after deleting the key.", getdel),
    cmd!(
        "getex",
        -2,
        DF,
        Inline,
        (1, 1, 1),
        "string",
        "Returns the string value of a key after setting its expiration time.",
        getex
    ),
    cmd!("mget", -2, RF, Inline, (1, -1, 1), "string", "Atomically returns the string values of one or more keys.", mget),
    cmd!(
        "mset",
        -3,
        W,
        Inline,
        (1, -1, 2),
        "string",
        "Atomically creates or modifies the string values of one or more keys.",
        mset
    ),
    cmd!(
        "msetnx",
        -3,
        W,
        Inline,
        (1, -1, 2),
        "string",
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        msetnx
    ),
    cmd!(
        "append",
        3,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        append
    ),
    cmd!("strlen", 2, RF, Inline, (1, 1, 1), "string", "Returns the length of a string value.", strlen),
    cmd!("getrange", 4, R, Worker, (1, 1, 1), "string", "Returns a substring of the string stored at a key.", getrange),
    cmd!(
        "setrange",
        4,
        W,
        Worker,
        (1, 1, 1),
        "string",
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        setrange
    ),
    cmd!(
        "incr",
        2,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        incr
    ),
    cmd!(
        "decr",
        2,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        decr
    ),
    cmd!(
        "incrby",
        3,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        incrby
    ),
    cmd!(
        "decrby",
        3,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        decrby
    ),
    cmd!(
        "incrbyfloat",
        3,
        WF,
        Inline,
        (1, 1, 1),
        "string",
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        incrbyfloat
    ),
    cmd!("del", -2, D, Inline, (1, -1, 1), "generic", "Deletes one or more keys.", del),
    cmd!("unlink", -2, DF, Inline, (1, -1, 1), "generic", "Asynchronously deletes one or more keys.", del),
    cmd!("exists", -2, RF, Inline, (1, -1, 1), "generic", "Determines whether one or more keys exist.", exists),
    cmd!("type", 2, RF, Inline, (1, 1, 1), "generic", "Determines the type of value stored at a key.", type_),
    cmd!("keys", 2, R, Worker, (0, 0, 0), "generic", "Returns all key names that match a pattern.", keys),
    cmd!("scan", -2, R, Worker, (0, 0, 0), "generic", "Iterates over the key names in the database.", scan),
    cmd!("randomkey", 1, R, Worker, (0, 0, 0), "generic", "Returns a random key name from the database.", randomkey),
    cmd!("rename", 3, D, Inline, (1, 2, 1), "generic", "Renames a key and overwrites the destination.", rename),
    cmd!(
        "renamenx",
        3,
        DF,
        Inline,
        (1, 2, 1),
        "generic",
        "Renames a key only when the target key name doesn't exist.",
        renamenx
    ),
    cmd!("expire", -3, DF, Inline, (1, 1, 1), "generic", "Sets the expiration time of a key in seconds.", expire),
    cmd!("pexpire", -3, DF, Inline, (1, 1, 1), "generic", "Sets the expiration time of a key in milliseconds.", pexpire),
    cmd!("expireat", -3, DF, Inline, (1, 1, 1), "generic", "Sets the expiration time of a key to a Unix timestamp.", expireat),
    cmd!(
        "pexpireat",
        -3,
        DF,
        Inline,
        (1, 1, 1),
        "generic",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        pexpireat
    ),
    cmd!("ttl", 2, RF, Inline, (1, 1, 1), "generic", "Returns the expiration time in seconds of a key.", ttl),
    cmd!("pttl", 2, RF, Inline, (1, 1, 1), "generic", "Returns the expiration time in milliseconds of a key.", pttl),
    cmd!(
        "expiretime",
        2,
        RF,
        Inline,
        (1, 1, 1),
        "generic",
        "Returns the expiration time of a key as a Unix timestamp.",
        expiretime
    ),
    cmd!(
        "pexpiretime",
        2,
        RF,
        Inline,
        (1, 1, 1),
        "generic",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        pexpiretime
    ),
    cmd!("persist", 2, DF, Inline, (1, 1, 1), "generic", "Removes the expiration time of a key.", persist),
    cmd!("multi", 1, T, Worker, (0, 0, 0), "transactions", "Starts a transaction.", multi::multi),
    cmd!(
        "exec",
        1,
        &["noscript", "loading", "stale", "skip_slowlog"],
        Worker,
        (0, 0, 0),
        "transactions",
        "Executes all commands in a transaction.",
        multi::exec
    ),
    cmd!("discard", 1, T, Worker, (0, 0, 0), "transactions", "Discards a transaction.", multi::discard),
    cmd!(
        "watch",
        -2,
        T,
        Worker,
        (1, -1, 1),
        "transactions",
        "Monitors changes to keys to determine the execution of a transaction.",
        multi::watch
    ),
    cmd!("unwatch", 1, T, Worker, (0, 0, 0), "transactions", "Forgets about watched keys of a transaction.", multi::unwatch),
cmd!(
        "object",
        -2,
        &["readonly"],
        Worker,
        (2, 2, 1),
        "generic",
        "A container for object introspection commands.",
        &[("encoding", 3)],
        object
    ),
    cmd!("copy", -3, W, Worker, (1, 2, 1), "generic", "Copies the value of a key to a new key.", copy),
    cmd!("hset", -4, WF, Inline, (1, 1, 1), "hash", "Creates or modifies the value of a field in a hash.", types::hash::hset),
    cmd!("hsetnx", 4, WF, Inline, (1, 1, 1), "hash", "Sets the value of a field in a hash only when the field doesn't exist.", types::hash::hsetnx),
    cmd!("hmset", -4, WF, Worker, (1, 1, 1), "hash", "Sets the values of multiple fields.", types::hash::hmset),
    cmd!("hget", 3, RF, Inline, (1, 1, 1), "hash", "Returns the value of a field in a hash.", types::hash::hget),
    cmd!("hmget", -3, RF, Worker, (1, 1, 1), "hash", "Returns the values of all fields in a hash.", types::hash::hmget),
    cmd!("hgetall", 2, R, Worker, (1, 1, 1), "hash", "Returns all fields and values in a hash.", types::hash::hgetall),
    cmd!("hkeys", 2, R, Worker, (1, 1, 1), "hash", "Returns all fields in a hash.", types::hash::hkeys),
    cmd!("hvals", 2, R, Worker, (1, 1, 1), "hash", "Returns all values in a hash.", types::hash::hvals),
    cmd!("hdel", -3, DF, Inline, (1, 1, 1), "hash", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", types::hash::hdel),
    cmd!("hexists", 3, RF, Inline, (1, 1, 1), "hash", "Determines whether a field exists in a hash.", types::hash::hexists),
    cmd!("hlen", 2, RF, Inline, (1, 1, 1), "hash", "Returns the number of fields in a hash.", types::hash::hlen),
    cmd!("hstrlen", 3, RF, Inline, (1, 1, 1), "hash", "Returns the length of the value of a field.", types::hash::hstrlen),
    cmd!("hincrby", 4, WF, Inline, (1, 1, 1), "hash", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", types::hash::hincrby),
    cmd!("hincrbyfloat", 4, WF, Inline, (1, 1, 1), "hash", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", types::hash::hincrbyfloat),
    cmd!("hrandfield", -2, R, InlineUpTo(2), (1, 1, 1), "hash", "Returns one or more random fields from a hash.", types::hash::hrandfield),
    cmd!("hscan", -3, R, Worker, (1, 1, 1), "hash", "Iterates over fields and values of a hash.", types::hash::hscan),
    cmd!("lpush", -3, WF, Inline, (1, 1, 1), "list", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", types::list::lpush),
    cmd!("rpush", -3, WF, Inline, (1, 1, 1), "list", "Appends one or more elements to a list. Creates the key if it doesn't exist.", types::list::rpush),
    cmd!("lpushx", -3, WF, Inline, (1, 1, 1), "list", "Prepends one or more elements to a list only when the list exists.", types::list::lpushx),
    cmd!("rpushx", -3, WF, Inline, (1, 1, 1), "list", "Appends an element to a list only when the list exists.", types::list::rpushx),
    cmd!("lpop", -2, DF, InlineUpTo(2), (1, 1, 1), "list", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", types::list::lpop),
    cmd!("rpop", -2, DF, InlineUpTo(2), (1, 1, 1), "list", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", types::list::rpop),
    cmd!("llen", 2, RF, Inline, (1, 1, 1), "list", "Returns the length of a list.", types::list::llen),
    cmd!("lrange", 4, R, InlineIf(types::list::lrange_is_short), (1, 1, 1), "list", "Returns a range of elements from a list.", types::list::lrange),
    cmd!("lindex", 3, R, Inline, (1, 1, 1), "list", "Returns an element from a list by its index.", types::list::lindex),
    cmd!("lset", 4, W, Inline, (1, 1, 1), "list", "Sets the value of an element in a list by its index.", types::list::lset),
    cmd!("linsert", 5, W, Worker, (1, 1, 1), "list", "Inserts an element before or after another element in a list.", types::list::linsert),
    cmd!("lrem", 4, D, Worker, (1, 1, 1), "list", "Removes elements from a list. Deletes the list if the last element was removed.", types::list::lrem),
    cmd!("ltrim", 4, D, Worker, (1, 1, 1), "list", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", types::list::ltrim),
    cmd!("lpos", -3, R, Worker, (1, 1, 1), "list", "Returns the index of matching elements in a list.", types::list::lpos),
    cmd!("lmove", 5, W, Inline, (1, 2, 1), "list", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", types::list::lmove),
    cmd!("rpoplpush", 3, W, Inline, (1, 2, 1), "list", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", types::list::rpoplpush),
    cmd!("lmpop", -4, D, Worker, (0, 0, 0), "list", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", types::list::lmpop),
    cmd!("blpop", -3, B, Worker, (1, -2, 1), "list", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blocking::blpop),
    cmd!("brpop", -3, B, Worker, (1, -2, 1), "list", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blocking::brpop),
    cmd!("blmove", 6, BW, Worker, (1, 2, 1), "list", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", blocking::blmove),
    cmd!("brpoplpush", 4, BW, Worker, (1, 2, 1), "list", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", blocking::brpoplpush),
    cmd!("blmpop", -5, BM, Worker, (0, 0, 0), "list", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blocking::blmpop),
    cmd!("sadd", -3, WF, Inline, (1, 1, 1), "set", "Adds one or more members to a set. Creates the key if it doesn't exist.", types::set::sadd),
    cmd!("srem", -3, DF, Inline, (1, 1, 1), "set", "Removes one or more members from a set. Deletes the set if the last member was removed.", types::set::srem),
    cmd!("smembers", 2, R, Worker, (1, 1, 1), "set", "Returns all members of a set.", types::set::smembers),
    cmd!("sismember", 3, RF, Inline, (1, 1, 1), "set", "Determines whether a member belongs to a set.", types::set::sismember),
    cmd!("smismember", -3, RF, Worker, (1, 1, 1), "set", "Determines whether multiple members belong to a set.", types::set::smismember),
    cmd!("scard", 2, RF, Inline, (1, 1, 1), "set", "Returns the number of members in a set.", types::set::scard),
    cmd!("spop", -2, DF, InlineUpTo(2), (1, 1, 1), "set", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", types::set::spop),
    cmd!("srandmember", -2, R, InlineUpTo(2), (1, 1, 1), "set", "Get one or multiple random members from a set", types::set::srandmember),
    cmd!("smove", 4, WF, Inline, (1, 2, 1), "set", "Moves a member from one set to another.", types::set::smove),
    cmd!("sinter", -2, R, Worker, (1, -1, 1), "set", "Returns the intersect of multiple sets.", types::set::sinter),
    cmd!("sunion", -2, R, Worker, (1, -1, 1), "set", "Returns the union of multiple sets.", types::set::sunion),
    cmd!("sdiff", -2, R, Worker, (1, -1, 1), "set", "Returns the difference of multiple sets.", types::set::sdiff),
    cmd!("sinterstore", -3, W, Worker, (1, -1, 1), "set", "Stores the intersect of multiple sets in a key.", types::set::sinterstore),
    cmd!("sunionstore", -3, W, Worker, (1, -1, 1), "set", "Stores the union of multiple sets in a key.", types::set::sunionstore),
    cmd!("sdiffstore", -3, W, Worker, (1, -1, 1), "set", "Stores the difference of multiple sets in a key.", types::set::sdiffstore),
    cmd!("sintercard", -3, R, Worker, (0, 0, 0), "set", "Returns the number of members of the intersect of multiple sets.", types::set::sintercard),
    cmd!("sscan", -3, R, Worker, (1, 1, 1), "set", "Iterates over members of a set.", types::set::sscan),
    cmd!("zadd", -4, WF, Inline, (1, 1, 1), "sorted-set", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", types::zset::zadd),
    cmd!("zincrby", 4, WF, Inline, (1, 1, 1), "sorted-set", "Increments the score of a member in a sorted set.", types::zset::zincrby),
    cmd!("zscore", 3, RF, Inline, (1, 1, 1), "sorted-set", "Returns the score of a member in a sorted set.", types::zset::zscore),
    cmd!("zmscore", -3, RF, Worker, (1, 1, 1), "sorted-set", "Returns the score of one or more members in a sorted set.", types::zset::zmscore),
    cmd!("zcard", 2, RF, Inline, (1, 1, 1), "sorted-set", "Returns the number of members in a sorted set.", types::zset::zcard),
    cmd!("zcount", 4, RF, Worker, (1, 1, 1), "sorted-set", "Returns the count of members in a sorted set that have scores within a range.", types::zset::zcount),
    cmd!("zlexcount", 4, RF, Worker, (1, 1, 1), "sorted-set", "Returns the number of members in a sorted set within a lexicographical range.", types::zset::zlexcount),
    cmd!("zrange", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of indexes.", types::zset::zrange),
    cmd!("zrangestore", -5, W, Worker, (1, 2, 1), "sorted-set", "Stores a range of members from sorted set in a key.", types::zset::zrangestore),
    cmd!("zrangebyscore", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of scores.", types::zset::zrangebyscore),
    cmd!("zrevrangebyscore", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of scores in reverse order.", types::zset::zrevrangebyscore),
    cmd!("zrangebylex", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a lexicographical range.", types::zset::zrangebylex),
    cmd!("zrevrangebylex", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a lexicographical range in reverse order.", types::zset::zrevrangebylex),
    cmd!("zrevrange", -4, R, Worker, (1, 1, 1), "sorted-set", "Returns members in a sorted set within a range of indexes in reverse order.", types::zset::zrevrange),
    cmd!("zrank", 3, RF, Inline, (1, 1, 1), "sorted-set", "Returns the index of a member in a sorted set ordered by ascending scores.", types::zset::zrank),
    cmd!("zrevrank", 3, RF, Inline, (1, 1, 1), "sorted-set", "Returns the index of a member in a sorted set ordered by descending scores.", types::zset::zrevrank),
    cmd!("zrem", -3, DF, Worker, (1, 1, 1), "sorted-set", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", types::zset::zrem),
    cmd!("zremrangebyrank", 4, D, Worker, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", types::zset::zremrangebyrank),
    cmd!("zremrangebyscore", 4, D, Worker, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", types::zset::zremrangebyscore),
    cmd!("zremrangebylex", 4, D, Worker, (1, 1, 1), "sorted-set", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", types::zset::zremrangebylex),
    cmd!("zpopmin", -2, DF, InlineUpTo(2), (1, 1, 1), "sorted-set", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", types::zset::zpopmin),
    cmd!("zpopmax", -2, DF, InlineUpTo(2), (1, 1, 1), "sorted-set", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", types::zset::zpopmax),
    cmd!("bzpopmin", -3, BF, Worker, (1, -2, 1), "sorted-set", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", blocking::bzpopmin),
    cmd!("bzpopmax", -3, BF, Worker, (1, -2, 1), "sorted-set", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", blocking::bzpopmax),
    cmd!("zmpop", -4, &["write", "movablekeys"], Worker, (0, 0, 0), "sorted-set", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", blocking::zmpop),
    cmd!("bzmpop", -5, BM, Worker, (0, 0, 0), "sorted-set", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", blocking::bzmpop),
    cmd!("zunionstore", -4, W, Worker, (1, 1, 1), "sorted-set", "Stores the union of multiple sorted sets in a key.", types::zset::zunionstore),
    cmd!("zinterstore", -4, W, Worker, (1, 1, 1), "sorted-set", "Stores the intersect of multiple sorted sets in a key.", types::zset::zinterstore),
    cmd!("zdiffstore", -4, W, Worker, (1, 1, 1), "sorted-set", "Stores the difference of multiple sorted sets in a key.", types::zset::zdiffstore),
    cmd!("zrandmember", -2, R, InlineUpTo(2), (1, 1, 1), "sorted-set", "Returns one or more random members from a sorted set.", types::zset::zrandmember),
    cmd!("zscan", -3, R, Worker, (1, 1, 1), "sorted-set", "Iterates over members and scores of a sorted set.", types::zset::zscan),
];

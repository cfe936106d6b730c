#!/usr/bin/env python3
"""Writes crates/kv/src/docs/table.rs: Redis's `COMMAND DOCS` for every command
(and subcommand) kv has, read over RESP3 from a running redis-server so that
the types (map, set, array, simple or bulk string) come with the text.

    scripts/kv-command-docs.py KV_PORT REDIS_PORT > crates/kv/src/docs/table.rs

KV_PORT is a running `switchyard serve kv` (for its command list),
REDIS_PORT a redis-server of the version kv follows (7.0.15).
"""
import socket
import sys


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def call(self, *args):
        msg = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            msg += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(msg)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        kind, rest = chr(line[0]), line[1:].decode()
        if kind in "+":
            return ("status", rest)
        if kind == "-":
            raise RuntimeError(rest)
        if kind == ":":
            return ("int", int(rest))
        if kind == "_":
            return ("null", None)
        if kind == "$":
            data = self.f.read(int(rest) + 2)[:-2].decode()
            return ("bulk", data)
        if kind in "*~":
            items = [self.read() for _ in range(int(rest))]
            return ("array" if kind == "*" else "set", items)
        if kind == "%":
            pairs = [(self.read(), self.read()) for _ in range(int(rest))]
            return ("map", pairs)
        raise RuntimeError("unexpected reply type " + kind)


def lit(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def emit(node, indent):
    kind, v = node
    pad = " " * indent
    if kind == "bulk":
        return "Doc::Bulk(%s)" % lit(v)
    if kind == "status":
        return "Doc::Status(%s)" % lit(v)
    if kind == "int":
        return "Doc::Int(%d)" % v
    if kind in ("array", "set"):
        name = "Array" if kind == "array" else "Set"
        if not v:
            return "Doc::%s(&[])" % name
        inner = ",\n".join(pad + "    " + emit(x, indent + 4) for x in v)
        return "Doc::%s(&[\n%s,\n%s])" % (name, inner, pad)
    if kind == "map":
        inner = ",\n".join(
            "%s    (%s, %s)" % (pad, lit(k[1]), emit(x, indent + 4)) for k, x in v
        )
        return "Doc::Map(&[\n%s,\n%s])" % (inner, pad)
    raise RuntimeError(kind)


def main():
    kv, redis = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    names = [n for _, n in kv.call("COMMAND", "LIST")[1]]
    subs = {}
    for _, info in kv.call("COMMAND", "INFO", *names)[1]:
        subs[info[0][1]] = {s[1][0][1] for s in info[9][1]}
    redis.call("HELLO", "3")
    _, docs = redis.call("COMMAND", "DOCS", *names)
    out = [
        "//! Redis 7.0.15's `COMMAND DOCS` for each command kv has: summary,",
        "//! `since`, complexity, history and arguments, which `redis-cli` turns",
        "//! into its help and argument hints. Written by",
        "//! `scripts/kv-command-docs.py` from a real redis-server; do not edit.",
        "",
        "use crate::docs::Doc;",
        "",
        "/// `(name, docs)` of each command, in `COMMAND LIST` order.",
        "pub static DOCS: &[(&str, Doc)] = &[",
    ]
    by_name = {k[1]: v for k, v in docs}
    for name in names:
        doc = by_name.get(name)
        if doc is None:
            continue
        kind, pairs = doc
        kept = []
        for k, v in pairs:
            if k[1] == "subcommands":
                v = ("map", [(sk, sv) for sk, sv in v[1] if sk[1] in subs.get(name, ())])
            kept.append((k, v))
        out.append("    (%s, %s)," % (lit(name), emit((kind, kept), 4)))
    out.append("];")
    print("\n".join(out))


main()

//! Redis 7.0.15's `COMMAND DOCS` for each command kv has: summary,
//! `since`, complexity, history and arguments, which `redis-cli` turns
//! into its help and argument hints. Written by
//! `scripts/kv-command-docs.py` from a real redis-server; do not edit.

use crate::docs::Doc;

/// `(name, docs)` of each command, in `COMMAND LIST` order.
pub static DOCS: &[(&str, Doc)] = &[
    ("ping", Doc::Map(&[
        ("summary", Doc::Bulk("Ping the server")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("message")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("echo", Doc::Map(&[
        ("summary", Doc::Bulk("Echo the given string")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("message")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("reset", Doc::Map(&[
        ("summary", Doc::Bulk("Reset the connection")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("subscribe", Doc::Map(&[
        ("summary", Doc::Bulk("Listen for messages published to the given channels")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("O(N) where N is the number of channels to subscribe to.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("channel")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("unsubscribe", Doc::Map(&[
        ("summary", Doc::Bulk("Stop listening for messages posted to the given channels")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("O(N) where N is the number of clients already subscribed to a channel.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("channel")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("psubscribe", Doc::Map(&[
        ("summary", Doc::Bulk("Listen for messages published to channels matching the given patterns")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("O(N) where N is the number of patterns the client is already subscribed to.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("pattern")),
                        ("type", Doc::Bulk("pattern")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("punsubscribe", Doc::Map(&[
        ("summary", Doc::Bulk("Stop listening for messages posted to channels matching the given patterns")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("publish", Doc::Map(&[
        ("summary", Doc::Bulk("Post a message to a channel")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("channel")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("message")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("pubsub", Doc::Map(&[
        ("summary", Doc::Bulk("A container for Pub/Sub commands")),
        ("since", Doc::Bulk("2.8.0")),
        ("group", Doc::Bulk("pubsub")),
        ("complexity", Doc::Bulk("Depends on subcommand.")),
        ("subcommands", Doc::Map(&[
            ("pubsub|numsub", Doc::Map(&[
                ("summary", Doc::Bulk("Get the count of subscribers for channels")),
                ("since", Doc::Bulk("2.8.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(N) for the NUMSUB subcommand, where N is the number of requested channels")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("channel")),
                        ("type", Doc::Bulk("string")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                            Doc::Status("multiple"),
                        ])),
                    ]),
                ])),
            ])),
            ("pubsub|numpat", Doc::Map(&[
                ("summary", Doc::Bulk("Get the count of unique patterns pattern subscriptions")),
                ("since", Doc::Bulk("2.8.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("pubsub|shardchannels", Doc::Map(&[
                ("summary", Doc::Bulk("List active shard channels")),
                ("since", Doc::Bulk("7.0.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("pattern")),
                        ("type", Doc::Bulk("pattern")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                    ]),
                ])),
            ])),
            ("pubsub|channels", Doc::Map(&[
                ("summary", Doc::Bulk("List active channels")),
                ("since", Doc::Bulk("2.8.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("pattern")),
                        ("type", Doc::Bulk("pattern")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                    ]),
                ])),
            ])),
            ("pubsub|help", Doc::Map(&[
                ("summary", Doc::Bulk("Show helpful text about the different subcommands")),
                ("since", Doc::Bulk("6.2.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("pubsub|shardnumsub", Doc::Map(&[
                ("summary", Doc::Bulk("Get the count of subscribers for shard channels")),
                ("since", Doc::Bulk("7.0.0")),
                ("group", Doc::Bulk("pubsub")),
                ("complexity", Doc::Bulk("O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("shardchannel")),
                        ("type", Doc::Bulk("string")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                            Doc::Status("multiple"),
                        ])),
                    ]),
                ])),
            ])),
        ])),
    ])),
    ("quit", Doc::Map(&[
        ("summary", Doc::Bulk("Close the connection")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("hello", Doc::Map(&[
        ("summary", Doc::Bulk("Handshake with Redis")),
        ("since", Doc::Bulk("6.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("`protover` made optional; when called without arguments the command reports the current connection's context."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("arguments")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("protover")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("username_password")),
                        ("type", Doc::Bulk("block")),
                        ("token", Doc::Bulk("AUTH")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("username")),
                                ("type", Doc::Bulk("string")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("password")),
                                ("type", Doc::Bulk("string")),
                            ]),
                        ])),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("clientname")),
                        ("type", Doc::Bulk("string")),
                        ("token", Doc::Bulk("SETNAME")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("auth", Doc::Map(&[
        ("summary", Doc::Bulk("Authenticate to the server")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(N) where N is the number of passwords defined for the user")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("Added ACL style (username and password)."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("username")),
                ("type", Doc::Bulk("string")),
                ("since", Doc::Bulk("6.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("password")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("select", Doc::Map(&[
        ("summary", Doc::Bulk("Change the selected database for the current connection")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("index")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("dbsize", Doc::Map(&[
        ("summary", Doc::Bulk("Return the number of keys in the selected database")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("flushdb", Doc::Map(&[
        ("summary", Doc::Bulk("Remove all keys from the current database")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys in the selected database")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("4.0.0"),
                Doc::Bulk("Added the `ASYNC` flushing mode modifier."),
            ]),
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `SYNC` flushing mode modifier."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("async")),
                ("type", Doc::Bulk("oneof")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("async")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("ASYNC")),
                        ("since", Doc::Bulk("4.0.0")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("sync")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("SYNC")),
                        ("since", Doc::Bulk("6.2.0")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("flushall", Doc::Map(&[
        ("summary", Doc::Bulk("Remove all keys from all databases")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of keys in all databases")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("4.0.0"),
                Doc::Bulk("Added the `ASYNC` flushing mode modifier."),
            ]),
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `SYNC` flushing mode modifier."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("async")),
                ("type", Doc::Bulk("oneof")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("async")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("ASYNC")),
                        ("since", Doc::Bulk("4.0.0")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("sync")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("SYNC")),
                        ("since", Doc::Bulk("6.2.0")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("info", Doc::Map(&[
        ("summary", Doc::Bulk("Get information and statistics about the server")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Added support for taking multiple section arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("section")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("command", Doc::Map(&[
        ("summary", Doc::Bulk("Get array of Redis command details")),
        ("since", Doc::Bulk("2.8.13")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of Redis commands")),
        ("subcommands", Doc::Map(&[
            ("command|info", Doc::Map(&[
                ("summary", Doc::Bulk("Get array of specific Redis command details, or all when no argument is given.")),
                ("since", Doc::Bulk("2.8.13")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(N) where N is the number of commands to look up")),
                ("history", Doc::Set(&[
                    Doc::Array(&[
                        Doc::Bulk("7.0.0"),
                        Doc::Bulk("Allowed to be called with no argument to get info on all commands."),
                    ]),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("command-name")),
                        ("type", Doc::Bulk("string")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                            Doc::Status("multiple"),
                        ])),
                    ]),
                ])),
            ])),
            ("command|count", Doc::Map(&[
                ("summary", Doc::Bulk("Get total number of Redis commands")),
                ("since", Doc::Bulk("2.8.13")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("command|list", Doc::Map(&[
                ("summary", Doc::Bulk("Get an array of Redis command names")),
                ("since", Doc::Bulk("7.0.0")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(N) where N is the total number of Redis commands")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("filterby")),
                        ("type", Doc::Bulk("oneof")),
                        ("token", Doc::Bulk("FILTERBY")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("module-name")),
                                ("type", Doc::Bulk("string")),
                                ("token", Doc::Bulk("MODULE")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("category")),
                                ("type", Doc::Bulk("string")),
                                ("token", Doc::Bulk("ACLCAT")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("pattern")),
                                ("type", Doc::Bulk("pattern")),
                                ("token", Doc::Bulk("PATTERN")),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
            ("command|docs", Doc::Map(&[
                ("summary", Doc::Bulk("Get array of specific Redis command documentation")),
                ("since", Doc::Bulk("7.0.0")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(N) where N is the number of commands to look up")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("command-name")),
                        ("type", Doc::Bulk("string")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                            Doc::Status("multiple"),
                        ])),
                    ]),
                ])),
            ])),
        ])),
    ])),
    ("client", Doc::Map(&[
        ("summary", Doc::Bulk("A container for client connection commands")),
        ("since", Doc::Bulk("2.4.0")),
        ("group", Doc::Bulk("connection")),
        ("complexity", Doc::Bulk("Depends on subcommand.")),
        ("subcommands", Doc::Map(&[
            ("client|id", Doc::Map(&[
                ("summary", Doc::Bulk("Returns the client ID for the current connection")),
                ("since", Doc::Bulk("5.0.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("client|no-evict", Doc::Map(&[
                ("summary", Doc::Bulk("Set client eviction mode for the current connection")),
                ("since", Doc::Bulk("7.0.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(1)")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("enabled")),
                        ("type", Doc::Bulk("oneof")),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("on")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("ON")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("off")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("OFF")),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
            ("client|getname", Doc::Map(&[
                ("summary", Doc::Bulk("Get the current connection name")),
                ("since", Doc::Bulk("2.6.9")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("client|setname", Doc::Map(&[
                ("summary", Doc::Bulk("Set the current connection name")),
                ("since", Doc::Bulk("2.6.9")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(1)")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("connection-name")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ])),
            ("client|kill", Doc::Map(&[
                ("summary", Doc::Bulk("Kill the connection of a client")),
                ("since", Doc::Bulk("2.4.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(N) where N is the number of client connections")),
                ("history", Doc::Set(&[
                    Doc::Array(&[
                        Doc::Bulk("2.8.12"),
                        Doc::Bulk("Added new filter format."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("2.8.12"),
                        Doc::Bulk("`ID` option."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("3.2.0"),
                        Doc::Bulk("Added `master` type in for `TYPE` option."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("5.0.0"),
                        Doc::Bulk("Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("6.2.0"),
                        Doc::Bulk("`LADDR` option."),
                    ]),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("filter")),
                        ("type", Doc::Bulk("oneof")),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("ip:port")),
                                ("type", Doc::Bulk("string")),
                                ("deprecated_since", Doc::Bulk("2.8.12")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("new-format")),
                                ("type", Doc::Bulk("oneof")),
                                ("flags", Doc::Set(&[
                                    Doc::Status("multiple"),
                                ])),
                                ("arguments", Doc::Array(&[
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("client-id")),
                                        ("type", Doc::Bulk("integer")),
                                        ("token", Doc::Bulk("ID")),
                                        ("since", Doc::Bulk("2.8.12")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                    ]),
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("normal_master_slave_pubsub")),
                                        ("type", Doc::Bulk("oneof")),
                                        ("token", Doc::Bulk("TYPE")),
                                        ("since", Doc::Bulk("2.8.12")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                        ("arguments", Doc::Array(&[
                                            Doc::Map(&[
                                                ("name", Doc::Bulk("normal")),
                                                ("type", Doc::Bulk("pure-token")),
                                                ("token", Doc::Bulk("NORMAL")),
                                            ]),
                                            Doc::Map(&[
                                                ("name", Doc::Bulk("master")),
                                                ("type", Doc::Bulk("pure-token")),
                                                ("token", Doc::Bulk("MASTER")),
                                                ("since", Doc::Bulk("3.2.0")),
                                            ]),
                                            Doc::Map(&[
                                                ("name", Doc::Bulk("slave")),
                                                ("type", Doc::Bulk("pure-token")),
                                                ("token", Doc::Bulk("SLAVE")),
                                            ]),
                                            Doc::Map(&[
                                                ("name", Doc::Bulk("replica")),
                                                ("type", Doc::Bulk("pure-token")),
                                                ("token", Doc::Bulk("REPLICA")),
                                                ("since", Doc::Bulk("5.0.0")),
                                            ]),
                                            Doc::Map(&[
                                                ("name", Doc::Bulk("pubsub")),
                                                ("type", Doc::Bulk("pure-token")),
                                                ("token", Doc::Bulk("PUBSUB")),
                                            ]),
                                        ])),
                                    ]),
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("username")),
                                        ("type", Doc::Bulk("string")),
                                        ("token", Doc::Bulk("USER")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                    ]),
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("ip:port")),
                                        ("type", Doc::Bulk("string")),
                                        ("token", Doc::Bulk("ADDR")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                    ]),
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("ip:port")),
                                        ("type", Doc::Bulk("string")),
                                        ("token", Doc::Bulk("LADDR")),
                                        ("since", Doc::Bulk("6.2.0")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                    ]),
                                    Doc::Map(&[
                                        ("name", Doc::Bulk("yes/no")),
                                        ("type", Doc::Bulk("string")),
                                        ("token", Doc::Bulk("SKIPME")),
                                        ("flags", Doc::Set(&[
                                            Doc::Status("optional"),
                                        ])),
                                    ]),
                                ])),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
            ("client|unblock", Doc::Map(&[
                ("summary", Doc::Bulk("Unblock a client blocked in a blocking command from a different connection")),
                ("since", Doc::Bulk("5.0.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(log N) where N is the number of client connections")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("client-id")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("timeout_error")),
                        ("type", Doc::Bulk("oneof")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("timeout")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("TIMEOUT")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("error")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("ERROR")),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
            ("client|info", Doc::Map(&[
                ("summary", Doc::Bulk("Returns information about the current client connection.")),
                ("since", Doc::Bulk("6.2.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("client|list", Doc::Map(&[
                ("summary", Doc::Bulk("Get the list of client connections")),
                ("since", Doc::Bulk("2.4.0")),
                ("group", Doc::Bulk("connection")),
                ("complexity", Doc::Bulk("O(N) where N is the number of client connections")),
                ("history", Doc::Set(&[
                    Doc::Array(&[
                        Doc::Bulk("2.8.12"),
                        Doc::Bulk("Added unique client `id` field."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("5.0.0"),
                        Doc::Bulk("Added optional `TYPE` filter."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("6.0.0"),
                        Doc::Bulk("Added `user` field."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("6.2.0"),
                        Doc::Bulk("Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("7.0.0"),
                        Doc::Bulk("Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                    ]),
                    Doc::Array(&[
                        Doc::Bulk("7.0.3"),
                        Doc::Bulk("Added `ssub` field."),
                    ]),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("normal_master_replica_pubsub")),
                        ("type", Doc::Bulk("oneof")),
                        ("token", Doc::Bulk("TYPE")),
                        ("since", Doc::Bulk("5.0.0")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("normal")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("NORMAL")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("master")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("MASTER")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("replica")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("REPLICA")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("pubsub")),
                                ("type", Doc::Bulk("pure-token")),
                                ("token", Doc::Bulk("PUBSUB")),
                            ]),
                        ])),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("id")),
                        ("type", Doc::Bulk("block")),
                        ("token", Doc::Bulk("ID")),
                        ("since", Doc::Bulk("6.2.0")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("client-id")),
                                ("type", Doc::Bulk("integer")),
                                ("flags", Doc::Set(&[
                                    Doc::Status("multiple"),
                                ])),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
        ])),
    ])),
    ("config", Doc::Map(&[
        ("summary", Doc::Bulk("A container for server configuration commands")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("Depends on subcommand.")),
        ("subcommands", Doc::Map(&[
            ("config|get", Doc::Map(&[
                ("summary", Doc::Bulk("Get the values of configuration parameters")),
                ("since", Doc::Bulk("2.0.0")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(N) when N is the number of configuration parameters provided")),
                ("history", Doc::Set(&[
                    Doc::Array(&[
                        Doc::Bulk("7.0.0"),
                        Doc::Bulk("Added the ability to pass multiple pattern parameters in one call"),
                    ]),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("parameter")),
                        ("type", Doc::Bulk("block")),
                        ("flags", Doc::Set(&[
                            Doc::Status("multiple"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("parameter")),
                                ("type", Doc::Bulk("string")),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
            ("config|resetstat", Doc::Map(&[
                ("summary", Doc::Bulk("Reset the stats returned by INFO")),
                ("since", Doc::Bulk("2.0.0")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(1)")),
            ])),
            ("config|set", Doc::Map(&[
                ("summary", Doc::Bulk("Set configuration parameters to the given values")),
                ("since", Doc::Bulk("2.0.0")),
                ("group", Doc::Bulk("server")),
                ("complexity", Doc::Bulk("O(N) when N is the number of configuration parameters provided")),
                ("history", Doc::Set(&[
                    Doc::Array(&[
                        Doc::Bulk("7.0.0"),
                        Doc::Bulk("Added the ability to set multiple parameters in one call."),
                    ]),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("parameter_value")),
                        ("type", Doc::Bulk("block")),
                        ("flags", Doc::Set(&[
                            Doc::Status("multiple"),
                        ])),
                        ("arguments", Doc::Array(&[
                            Doc::Map(&[
                                ("name", Doc::Bulk("parameter")),
                                ("type", Doc::Bulk("string")),
                            ]),
                            Doc::Map(&[
                                ("name", Doc::Bulk("value")),
                                ("type", Doc::Bulk("string")),
                            ]),
                        ])),
                    ]),
                ])),
            ])),
        ])),
    ])),
    ("time", Doc::Map(&[
        ("summary", Doc::Bulk("Return the current server time")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("bgrewriteaof", Doc::Map(&[
        ("summary", Doc::Bulk("Asynchronously rewrite the append-only file")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("server")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("get", Doc::Map(&[
        ("summary", Doc::Bulk("Get the value of a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("set", Doc::Map(&[
        ("summary", Doc::Bulk("Set the string value of a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.6.12"),
                Doc::Bulk("Added the `EX`, `PX`, `NX` and `XX` options."),
            ]),
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("Added the `KEEPTTL` option."),
            ]),
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `GET`, `EXAT` and `PXAT` option."),
            ]),
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Allowed the `NX` and `GET` options to be used together."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("2.6.12")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("get")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("GET")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("expiration")),
                ("type", Doc::Bulk("oneof")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("seconds")),
                        ("type", Doc::Bulk("integer")),
                        ("token", Doc::Bulk("EX")),
                        ("since", Doc::Bulk("2.6.12")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("milliseconds")),
                        ("type", Doc::Bulk("integer")),
                        ("token", Doc::Bulk("PX")),
                        ("since", Doc::Bulk("2.6.12")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("unix-time-seconds")),
                        ("type", Doc::Bulk("unix-time")),
                        ("token", Doc::Bulk("EXAT")),
                        ("since", Doc::Bulk("6.2.0")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("unix-time-milliseconds")),
                        ("type", Doc::Bulk("unix-time")),
                        ("token", Doc::Bulk("PXAT")),
                        ("since", Doc::Bulk("6.2.0")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("keepttl")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("KEEPTTL")),
                        ("since", Doc::Bulk("6.0.0")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("setnx", Doc::Map(&[
        ("summary", Doc::Bulk("Set the value of a key, only if the key does not exist")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("setex", Doc::Map(&[
        ("summary", Doc::Bulk("Set the value and expiration of a key")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("seconds")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("psetex", Doc::Map(&[
        ("summary", Doc::Bulk("Set the value and expiration in milliseconds of a key")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("milliseconds")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("getset", Doc::Map(&[
        ("summary", Doc::Bulk("Set the string value of a key and return its old value")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`SET` with the `!GET` argument")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("getdel", Doc::Map(&[
        ("summary", Doc::Bulk("Get the value of a key and delete the key")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("getex", Doc::Map(&[
        ("summary", Doc::Bulk("Get the value of a key and optionally set its expiration")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("expiration")),
                ("type", Doc::Bulk("oneof")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("seconds")),
                        ("type", Doc::Bulk("integer")),
                        ("token", Doc::Bulk("EX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("milliseconds")),
                        ("type", Doc::Bulk("integer")),
                        ("token", Doc::Bulk("PX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("unix-time-seconds")),
                        ("type", Doc::Bulk("unix-time")),
                        ("token", Doc::Bulk("EXAT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("unix-time-milliseconds")),
                        ("type", Doc::Bulk("unix-time")),
                        ("token", Doc::Bulk("PXAT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("persist")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("PERSIST")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("mget", Doc::Map(&[
        ("summary", Doc::Bulk("Get the values of all the given keys")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys to retrieve.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("mset", Doc::Map(&[
        ("summary", Doc::Bulk("Set multiple keys to multiple values")),
        ("since", Doc::Bulk("1.0.1")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys to set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key_value")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("key")),
                        ("type", Doc::Bulk("key")),
                        ("key_spec_index", Doc::Int(0)),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("value")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("msetnx", Doc::Map(&[
        ("summary", Doc::Bulk("Set multiple keys to multiple values, only if none of the keys exist")),
        ("since", Doc::Bulk("1.0.1")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys to set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key_value")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("key")),
                        ("type", Doc::Bulk("key")),
                        ("key_spec_index", Doc::Int(0)),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("value")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("append", Doc::Map(&[
        ("summary", Doc::Bulk("Append a value to a key")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("strlen", Doc::Map(&[
        ("summary", Doc::Bulk("Get the length of the value stored in a key")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("getrange", Doc::Map(&[
        ("summary", Doc::Bulk("Get a substring of the string stored at a key")),
        ("since", Doc::Bulk("2.4.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("end")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("setrange", Doc::Map(&[
        ("summary", Doc::Bulk("Overwrite part of a string at key starting at the specified offset")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("incr", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the integer value of a key by one")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("decr", Doc::Map(&[
        ("summary", Doc::Bulk("Decrement the integer value of a key by one")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("incrby", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the integer value of a key by the given amount")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("decrby", Doc::Map(&[
        ("summary", Doc::Bulk("Decrement the integer value of a key by the given number")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("decrement")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("incrbyfloat", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the float value of a key by the given amount")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("string")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("del", Doc::Map(&[
        ("summary", Doc::Bulk("Delete a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("unlink", Doc::Map(&[
        ("summary", Doc::Bulk("Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.")),
        ("since", Doc::Bulk("4.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("exists", Doc::Map(&[
        ("summary", Doc::Bulk("Determine if a key exists")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(N) where N is the number of keys to check.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("3.0.3"),
                Doc::Bulk("Accepts multiple `key` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("type", Doc::Map(&[
        ("summary", Doc::Bulk("Determine the type stored at key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("keys", Doc::Map(&[
        ("summary", Doc::Bulk("Find all keys matching the given pattern")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
            ]),
        ])),
    ])),
    ("scan", Doc::Map(&[
        ("summary", Doc::Bulk("Incrementally iterate the keys space")),
        ("since", Doc::Bulk("2.8.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("Added the `TYPE` subcommand."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("cursor")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
                ("token", Doc::Bulk("MATCH")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("type")),
                ("type", Doc::Bulk("string")),
                ("token", Doc::Bulk("TYPE")),
                ("since", Doc::Bulk("6.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("randomkey", Doc::Map(&[
        ("summary", Doc::Bulk("Return a random key from the keyspace")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("rename", Doc::Map(&[
        ("summary", Doc::Bulk("Rename a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("newkey")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
        ])),
    ])),
    ("renamenx", Doc::Map(&[
        ("summary", Doc::Bulk("Rename a key, only if the new key does not exist")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("3.2.0"),
                Doc::Bulk("The command no longer returns an error when source and destination names are the same."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("newkey")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
        ])),
    ])),
    ("expire", Doc::Map(&[
        ("summary", Doc::Bulk("Set a key's time to live in seconds")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Added options: `NX`, `XX`, `GT` and `LT`."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("seconds")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("7.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("gt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("GT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("lt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LT")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("pexpire", Doc::Map(&[
        ("summary", Doc::Bulk("Set a key's time to live in milliseconds")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Added options: `NX`, `XX`, `GT` and `LT`."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("milliseconds")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("7.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("gt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("GT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("lt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LT")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("expireat", Doc::Map(&[
        ("summary", Doc::Bulk("Set the expiration for a key as a UNIX timestamp")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Added options: `NX`, `XX`, `GT` and `LT`."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("unix-time-seconds")),
                ("type", Doc::Bulk("unix-time")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("7.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("gt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("GT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("lt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LT")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("pexpireat", Doc::Map(&[
        ("summary", Doc::Bulk("Set the expiration for a key as a UNIX timestamp specified in milliseconds")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("7.0.0"),
                Doc::Bulk("Added options: `NX`, `XX`, `GT` and `LT`."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("unix-time-milliseconds")),
                ("type", Doc::Bulk("unix-time")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("7.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("gt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("GT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("lt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LT")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("ttl", Doc::Map(&[
        ("summary", Doc::Bulk("Get the time to live for a key in seconds")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.8.0"),
                Doc::Bulk("Added the -2 reply."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("pttl", Doc::Map(&[
        ("summary", Doc::Bulk("Get the time to live for a key in milliseconds")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.8.0"),
                Doc::Bulk("Added the -2 reply."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("expiretime", Doc::Map(&[
        ("summary", Doc::Bulk("Get the expiration Unix timestamp for a key")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("pexpiretime", Doc::Map(&[
        ("summary", Doc::Bulk("Get the expiration Unix timestamp for a key in milliseconds")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("persist", Doc::Map(&[
        ("summary", Doc::Bulk("Remove the expiration from a key")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("multi", Doc::Map(&[
        ("summary", Doc::Bulk("Mark the start of a transaction block")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("transactions")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("exec", Doc::Map(&[
        ("summary", Doc::Bulk("Execute all commands issued after MULTI")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("transactions")),
        ("complexity", Doc::Bulk("Depends on commands in the transaction")),
    ])),
    ("discard", Doc::Map(&[
        ("summary", Doc::Bulk("Discard all commands issued after MULTI")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("transactions")),
        ("complexity", Doc::Bulk("O(N), when N is the number of queued commands")),
    ])),
    ("watch", Doc::Map(&[
        ("summary", Doc::Bulk("Watch the given keys to determine execution of the MULTI/EXEC block")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("transactions")),
        ("complexity", Doc::Bulk("O(1) for every key.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("unwatch", Doc::Map(&[
        ("summary", Doc::Bulk("Forget about all watched keys")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("transactions")),
        ("complexity", Doc::Bulk("O(1)")),
    ])),
    ("object", Doc::Map(&[
        ("summary", Doc::Bulk("A container for object introspection commands")),
        ("since", Doc::Bulk("2.2.3")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("Depends on subcommand.")),
        ("subcommands", Doc::Map(&[
            ("object|encoding", Doc::Map(&[
                ("summary", Doc::Bulk("Inspect the internal encoding of a Redis object")),
                ("since", Doc::Bulk("2.2.3")),
                ("group", Doc::Bulk("generic")),
                ("complexity", Doc::Bulk("O(1)")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("key")),
                        ("type", Doc::Bulk("key")),
                        ("key_spec_index", Doc::Int(0)),
                    ]),
                ])),
            ])),
        ])),
    ])),
    ("copy", Doc::Map(&[
        ("summary", Doc::Bulk("Copy a key")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("generic")),
        ("complexity", Doc::Bulk("O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination-db")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("DB")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("replace")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("REPLACE")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("hset", Doc::Map(&[
        ("summary", Doc::Bulk("Set the string value of a hash field")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("4.0.0"),
                Doc::Bulk("Accepts multiple `field` and `value` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field_value")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("field")),
                        ("type", Doc::Bulk("string")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("value")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("hsetnx", Doc::Map(&[
        ("summary", Doc::Bulk("Set the value of a hash field, only if the field does not exist")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("value")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("hmset", Doc::Map(&[
        ("summary", Doc::Bulk("Set multiple hash fields to multiple values")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the number of fields being set.")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("4.0.0")),
        ("replaced_by", Doc::Bulk("`HSET` with multiple field-value pairs")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field_value")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("field")),
                        ("type", Doc::Bulk("string")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("value")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("hget", Doc::Map(&[
        ("summary", Doc::Bulk("Get the value of a hash field")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("hmget", Doc::Map(&[
        ("summary", Doc::Bulk("Get the values of all the given hash fields")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the number of fields being requested.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("hgetall", Doc::Map(&[
        ("summary", Doc::Bulk("Get all the fields and values in a hash")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the size of the hash.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("hkeys", Doc::Map(&[
        ("summary", Doc::Bulk("Get all the fields in a hash")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the size of the hash.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("hvals", Doc::Map(&[
        ("summary", Doc::Bulk("Get all the values in a hash")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the size of the hash.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("hdel", Doc::Map(&[
        ("summary", Doc::Bulk("Delete one or more hash fields")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the number of fields to be removed.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple `field` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("hexists", Doc::Map(&[
        ("summary", Doc::Bulk("Determine if a hash field exists")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("hlen", Doc::Map(&[
        ("summary", Doc::Bulk("Get the number of fields in a hash")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("hstrlen", Doc::Map(&[
        ("summary", Doc::Bulk("Get the length of the value of a hash field")),
        ("since", Doc::Bulk("3.2.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("hincrby", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the integer value of a hash field by the given number")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("hincrbyfloat", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the float value of a hash field by the given amount")),
        ("since", Doc::Bulk("2.6.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("field")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("hrandfield", Doc::Map(&[
        ("summary", Doc::Bulk("Get one or multiple random fields from a hash")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(N) where N is the number of fields returned")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("options")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("withvalues")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("WITHVALUES")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("hscan", Doc::Map(&[
        ("summary", Doc::Bulk("Incrementally iterate hash fields and associated values")),
        ("since", Doc::Bulk("2.8.0")),
        ("group", Doc::Bulk("hash")),
        ("complexity", Doc::Bulk("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("cursor")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
                ("token", Doc::Bulk("MATCH")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("lpush", Doc::Map(&[
        ("summary", Doc::Bulk("Prepend one or multiple elements to a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple `element` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("rpush", Doc::Map(&[
        ("summary", Doc::Bulk("Append one or multiple elements to a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple `element` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("lpushx", Doc::Map(&[
        ("summary", Doc::Bulk("Prepend an element to a list, only if the list exists")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("4.0.0"),
                Doc::Bulk("Accepts multiple `element` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("rpushx", Doc::Map(&[
        ("summary", Doc::Bulk("Append an element to a list, only if the list exists")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("4.0.0"),
                Doc::Bulk("Accepts multiple `element` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("lpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and get the first elements in a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements returned")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `count` argument."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("rpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and get the last elements in a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements returned")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `count` argument."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("llen", Doc::Map(&[
        ("summary", Doc::Bulk("Get the length of a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("lrange", Doc::Map(&[
        ("summary", Doc::Bulk("Get a range of elements from a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("stop")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("lindex", Doc::Map(&[
        ("summary", Doc::Bulk("Get an element from a list by its index")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("index")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("lset", Doc::Map(&[
        ("summary", Doc::Bulk("Set the value of an element in a list by its index")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("index")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("linsert", Doc::Map(&[
        ("summary", Doc::Bulk("Insert an element before or after another element in a list")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("where")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("before")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("BEFORE")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("after")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("AFTER")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("pivot")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("lrem", Doc::Map(&[
        ("summary", Doc::Bulk("Remove elements from a list")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N+M) where N is the length of the list and M is the number of elements removed.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("ltrim", Doc::Map(&[
        ("summary", Doc::Bulk("Trim a list to the specified range")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements to be removed by the operation.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("stop")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("lpos", Doc::Map(&[
        ("summary", Doc::Bulk("Return the index of matching elements on a list")),
        ("since", Doc::Bulk("6.0.6")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("element")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("rank")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("RANK")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("num-matches")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("len")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("MAXLEN")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("lmove", Doc::Map(&[
        ("summary", Doc::Bulk("Pop an element from a list, push it to another list and return it")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("wherefrom")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("whereto")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("rpoplpush", Doc::Map(&[
        ("summary", Doc::Bulk("Remove the last element in a list, prepend it to another list and return it")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1)")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`LMOVE` with the `RIGHT` and `LEFT` arguments")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
        ])),
    ])),
    ("lmpop", Doc::Map(&[
        ("summary", Doc::Bulk("Pop elements from a list")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N+M) where N is the number of provided keys and M is the number of elements returned.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("where")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("blpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and get the first element in a list, or block until one is available")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of provided keys.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("`timeout` is interpreted as a double instead of an integer."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("brpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and get the last element in a list, or block until one is available")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N) where N is the number of provided keys.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("`timeout` is interpreted as a double instead of an integer."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("blmove", Doc::Map(&[
        ("summary", Doc::Bulk("Pop an element from a list, push it to another list and return it; or block until one is available")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("wherefrom")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("whereto")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("brpoplpush", Doc::Map(&[
        ("summary", Doc::Bulk("Pop an element from a list, push it to another list and return it; or block until one is available")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(1)")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`BLMOVE` with the `RIGHT` and `LEFT` arguments")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("`timeout` is interpreted as a double instead of an integer."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("blmpop", Doc::Map(&[
        ("summary", Doc::Bulk("Pop elements from a list, or block until one is available")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("list")),
        ("complexity", Doc::Bulk("O(N+M) where N is the number of provided keys and M is the number of elements returned.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("where")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("left")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LEFT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("right")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("RIGHT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("sadd", Doc::Map(&[
        ("summary", Doc::Bulk("Add one or more members to a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple `member` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("srem", Doc::Map(&[
        ("summary", Doc::Bulk("Remove one or more members from a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the number of members to be removed.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple `member` arguments."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("smembers", Doc::Map(&[
        ("summary", Doc::Bulk("Get all the members in a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the set cardinality.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("sismember", Doc::Map(&[
        ("summary", Doc::Bulk("Determine if a given value is a member of a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("smismember", Doc::Map(&[
        ("summary", Doc::Bulk("Returns the membership associated with the given elements for a set")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements being checked for membership")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("scard", Doc::Map(&[
        ("summary", Doc::Bulk("Get the number of members in a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("spop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return one or multiple random members from a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("3.2.0"),
                Doc::Bulk("Added the `count` argument."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("since", Doc::Bulk("3.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("srandmember", Doc::Map(&[
        ("summary", Doc::Bulk("Get one or multiple random members from a set")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.6.0"),
                Doc::Bulk("Added the optional `count` argument."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("since", Doc::Bulk("2.6.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("smove", Doc::Map(&[
        ("summary", Doc::Bulk("Move a member from one set to another")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("source")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("sinter", Doc::Map(&[
        ("summary", Doc::Bulk("Intersect multiple sets")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sunion", Doc::Map(&[
        ("summary", Doc::Bulk("Add multiple sets")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of elements in all given sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sdiff", Doc::Map(&[
        ("summary", Doc::Bulk("Subtract multiple sets")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of elements in all given sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sinterstore", Doc::Map(&[
        ("summary", Doc::Bulk("Intersect multiple sets and store the resulting set in a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sunionstore", Doc::Map(&[
        ("summary", Doc::Bulk("Add multiple sets and store the resulting set in a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of elements in all given sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sdiffstore", Doc::Map(&[
        ("summary", Doc::Bulk("Subtract multiple sets and store the resulting set in a key")),
        ("since", Doc::Bulk("1.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N) where N is the total number of elements in all given sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("sintercard", Doc::Map(&[
        ("summary", Doc::Bulk("Intersect multiple sets and return the cardinality of the result")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("limit")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("sscan", Doc::Map(&[
        ("summary", Doc::Bulk("Incrementally iterate Set elements")),
        ("since", Doc::Bulk("2.8.0")),
        ("group", Doc::Bulk("set")),
        ("complexity", Doc::Bulk("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("cursor")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
                ("token", Doc::Bulk("MATCH")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("zadd", Doc::Map(&[
        ("summary", Doc::Bulk("Add one or more members to a sorted set, or update its score if it already exists")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) for each item added, where N is the number of elements in the sorted set.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple elements."),
            ]),
            Doc::Array(&[
                Doc::Bulk("3.0.2"),
                Doc::Bulk("Added the `XX`, `NX`, `CH` and `INCR` options."),
            ]),
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `GT` and `LT` options."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("condition")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("3.0.2")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("nx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("NX")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("xx")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("XX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("comparison")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("gt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("GT")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("lt")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("LT")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("change")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("CH")),
                ("since", Doc::Bulk("3.0.2")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("INCR")),
                ("since", Doc::Bulk("3.0.2")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("score_member")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("score")),
                        ("type", Doc::Bulk("double")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("member")),
                        ("type", Doc::Bulk("string")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zincrby", Doc::Map(&[
        ("summary", Doc::Bulk("Increment the score of a member in a sorted set")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) where N is the number of elements in the sorted set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("increment")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zscore", Doc::Map(&[
        ("summary", Doc::Bulk("Get the score associated with the given member in a sorted set")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zmscore", Doc::Map(&[
        ("summary", Doc::Bulk("Get the score associated with the given members in a sorted set")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(N) where N is the number of members being requested.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("zcard", Doc::Map(&[
        ("summary", Doc::Bulk("Get the number of members in a sorted set")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(1)")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
        ])),
    ])),
    ("zcount", Doc::Map(&[
        ("summary", Doc::Bulk("Count the members in a sorted set with scores within the given values")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) with N being the number of elements in the sorted set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("zlexcount", Doc::Map(&[
        ("summary", Doc::Bulk("Count the number of members in a sorted set between a given lexicographical range")),
        ("since", Doc::Bulk("2.8.9")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) with N being the number of elements in the sorted set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zrange", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.2.0"),
                Doc::Bulk("Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("stop")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("sortby")),
                ("type", Doc::Bulk("oneof")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("byscore")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("BYSCORE")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("bylex")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("BYLEX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("rev")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("REV")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("since", Doc::Bulk("6.2.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("withscores")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("WITHSCORES")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("zrangestore", Doc::Map(&[
        ("summary", Doc::Bulk("Store a range of members from sorted set into another key")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("dst")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("src")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("sortby")),
                ("type", Doc::Bulk("oneof")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("byscore")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("BYSCORE")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("bylex")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("BYLEX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("rev")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("REV")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zrangebyscore", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set, by score")),
        ("since", Doc::Bulk("1.0.5")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`ZRANGE` with the `BYSCORE` argument")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.0.0"),
                Doc::Bulk("Added the `WITHSCORES` modifier."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("withscores")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("WITHSCORES")),
                ("since", Doc::Bulk("2.0.0")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zrevrangebyscore", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set, by score, with scores ordered from high to low")),
        ("since", Doc::Bulk("2.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`ZRANGE` with the `REV` and `BYSCORE` arguments")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.1.6"),
                Doc::Bulk("`min` and `max` can be exclusive."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("withscores")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("WITHSCORES")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zrangebylex", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set, by lexicographical range")),
        ("since", Doc::Bulk("2.8.9")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`ZRANGE` with the `BYLEX` argument")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zrevrangebylex", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.")),
        ("since", Doc::Bulk("2.8.9")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`ZRANGE` with the `REV` and `BYLEX` arguments")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("offset_count")),
                ("type", Doc::Bulk("block")),
                ("token", Doc::Bulk("LIMIT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("offset")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zrevrange", Doc::Map(&[
        ("summary", Doc::Bulk("Return a range of members in a sorted set, by index, with scores ordered from high to low")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")),
        ("doc_flags", Doc::Set(&[
            Doc::Status("deprecated"),
        ])),
        ("deprecated_since", Doc::Bulk("6.2.0")),
        ("replaced_by", Doc::Bulk("`ZRANGE` with the `REV` argument")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("stop")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("withscores")),
                ("type", Doc::Bulk("pure-token")),
                ("token", Doc::Bulk("WITHSCORES")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("zrank", Doc::Map(&[
        ("summary", Doc::Bulk("Determine the index of a member in a sorted set")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N))")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zrevrank", Doc::Map(&[
        ("summary", Doc::Bulk("Determine the index of a member in a sorted set, with scores ordered from high to low")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N))")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zrem", Doc::Map(&[
        ("summary", Doc::Bulk("Remove one or more members from a sorted set")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("2.4.0"),
                Doc::Bulk("Accepts multiple elements."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("member")),
                ("type", Doc::Bulk("string")),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("zremrangebyrank", Doc::Map(&[
        ("summary", Doc::Bulk("Remove all members in a sorted set within the given indexes")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("start")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("stop")),
                ("type", Doc::Bulk("integer")),
            ]),
        ])),
    ])),
    ("zremrangebyscore", Doc::Map(&[
        ("summary", Doc::Bulk("Remove all members in a sorted set within the given scores")),
        ("since", Doc::Bulk("1.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("zremrangebylex", Doc::Map(&[
        ("summary", Doc::Bulk("Remove all members in a sorted set between the given lexicographical range")),
        ("since", Doc::Bulk("2.8.9")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("min")),
                ("type", Doc::Bulk("string")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("max")),
                ("type", Doc::Bulk("string")),
            ]),
        ])),
    ])),
    ("zpopmin", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return members with the lowest scores in a sorted set")),
        ("since", Doc::Bulk("5.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("zpopmax", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return members with the highest scores in a sorted set")),
        ("since", Doc::Bulk("5.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("bzpopmin", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return the member with the lowest score from one or more sorted sets, or block until one is available")),
        ("since", Doc::Bulk("5.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) with N being the number of elements in the sorted set.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("`timeout` is interpreted as a double instead of an integer."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("bzpopmax", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return the member with the highest score from one or more sorted sets, or block until one is available")),
        ("since", Doc::Bulk("5.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(log(N)) with N being the number of elements in the sorted set.")),
        ("history", Doc::Set(&[
            Doc::Array(&[
                Doc::Bulk("6.0.0"),
                Doc::Bulk("`timeout` is interpreted as a double instead of an integer."),
            ]),
        ])),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
        ])),
    ])),
    ("zmpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return members with scores in a sorted set")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("where")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("min")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MIN")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("max")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MAX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("bzmpop", Doc::Map(&[
        ("summary", Doc::Bulk("Remove and return members with scores in a sorted set or block until one is available")),
        ("since", Doc::Bulk("7.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("timeout")),
                ("type", Doc::Bulk("double")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("where")),
                ("type", Doc::Bulk("oneof")),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("min")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MIN")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("max")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MAX")),
                    ]),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
    ("zunionstore", Doc::Map(&[
        ("summary", Doc::Bulk("Add multiple sorted sets and store the resulting sorted set in a new key")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("weight")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("WEIGHTS")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("aggregate")),
                ("type", Doc::Bulk("oneof")),
                ("token", Doc::Bulk("AGGREGATE")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("sum")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("SUM")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("min")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MIN")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("max")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MAX")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zinterstore", Doc::Map(&[
        ("summary", Doc::Bulk("Intersect multiple sorted sets and store the resulting sorted set in a new key")),
        ("since", Doc::Bulk("2.0.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("weight")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("WEIGHTS")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                    Doc::Status("multiple"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("aggregate")),
                ("type", Doc::Bulk("oneof")),
                ("token", Doc::Bulk("AGGREGATE")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("sum")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("SUM")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("min")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MIN")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("max")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("MAX")),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zdiffstore", Doc::Map(&[
        ("summary", Doc::Bulk("Subtract multiple sorted sets and store the resulting sorted set in a new key")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("destination")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("numkeys")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(1)),
                ("flags", Doc::Set(&[
                    Doc::Status("multiple"),
                ])),
            ]),
        ])),
    ])),
    ("zrandmember", Doc::Map(&[
        ("summary", Doc::Bulk("Get one or multiple random elements from a sorted set")),
        ("since", Doc::Bulk("6.2.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(N) where N is the number of elements returned")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("options")),
                ("type", Doc::Bulk("block")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
                ("arguments", Doc::Array(&[
                    Doc::Map(&[
                        ("name", Doc::Bulk("count")),
                        ("type", Doc::Bulk("integer")),
                    ]),
                    Doc::Map(&[
                        ("name", Doc::Bulk("withscores")),
                        ("type", Doc::Bulk("pure-token")),
                        ("token", Doc::Bulk("WITHSCORES")),
                        ("flags", Doc::Set(&[
                            Doc::Status("optional"),
                        ])),
                    ]),
                ])),
            ]),
        ])),
    ])),
    ("zscan", Doc::Map(&[
        ("summary", Doc::Bulk("Incrementally iterate sorted sets elements and associated scores")),
        ("since", Doc::Bulk("2.8.0")),
        ("group", Doc::Bulk("sorted-set")),
        ("complexity", Doc::Bulk("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")),
        ("arguments", Doc::Array(&[
            Doc::Map(&[
                ("name", Doc::Bulk("key")),
                ("type", Doc::Bulk("key")),
                ("key_spec_index", Doc::Int(0)),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("cursor")),
                ("type", Doc::Bulk("integer")),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("pattern")),
                ("type", Doc::Bulk("pattern")),
                ("token", Doc::Bulk("MATCH")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
            Doc::Map(&[
                ("name", Doc::Bulk("count")),
                ("type", Doc::Bulk("integer")),
                ("token", Doc::Bulk("COUNT")),
                ("flags", Doc::Set(&[
                    Doc::Status("optional"),
                ])),
            ]),
        ])),
    ])),
];

//! End-to-end tests: start the real `switchyard` binary, speak each
//! protocol over real sockets, stop it with a signal.

mod support;

mod activation;
mod admin;
mod bench;
mod chat;
mod chat_irssi;
mod chat_ops;
mod config;
mod echo;
mod fuzz;
mod http;
mod kv;
mod kv_blocking;
mod kv_hello;
mod kv_multi;
mod kv_pubsub;
mod kv_types;
mod multi_instance;
mod proxy;
mod tls;

//! End-to-end tests: start the real `switchyard` binary, speak each
//! protocol over real sockets, stop it with a signal.

mod support;

mod bench;
mod chat;
mod echo;
mod http;
mod kv;

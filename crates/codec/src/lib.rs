//! I/O-free protocol codecs.
//!
//! Every codec here works on byte slices only: it never reads or writes a
//! socket, so the servers and the load generator share them, and tests can
//! feed them any chunking of any input.

pub mod http;
pub mod irc;
pub mod proxy;
pub mod resp;

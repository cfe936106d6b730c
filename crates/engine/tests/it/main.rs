//! Engine tests over real sockets; every test runs once per backend.

mod support;

mod echo;
mod hold;
mod limits;
mod ordering;
mod park;
mod proxy;
mod shutdown;
mod tls;

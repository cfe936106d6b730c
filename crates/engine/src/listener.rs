//! A listening socket and what its connections begin with.

use std::net::TcpListener;

/// A listening socket, with the settings that belong to it rather than to
/// the server: whether its connections start with a PROXY protocol header,
/// and whether they speak TLS.
#[derive(Debug)]
pub struct Listener {
    /// The socket, listening, non-blocking or not (the engine sets it).
    pub socket: TcpListener,
    /// Every connection must begin with a PROXY protocol header (version 1
    /// or 2), which says whose connection a load balancer relays; one
    /// without it is closed before the service sees a byte.
    pub proxy_protocol: bool,
    /// Its connections speak TLS, with the settings of `Config::tls`. With
    /// `proxy_protocol` too, the handshake follows the header.
    pub tls: bool,
}

impl Listener {
    /// A listener whose connections are the clients' own.
    pub fn plain(socket: TcpListener) -> Listener {
        Listener { socket, proxy_protocol: false, tls: false }
    }

    /// Another descriptor of the same socket, with the same settings.
    ///
    /// # Errors
    ///
    /// `dup`'s error.
    pub fn try_clone(&self) -> std::io::Result<Listener> {
        Ok(Listener { socket: self.socket.try_clone()?, proxy_protocol: self.proxy_protocol, tls: self.tls })
    }
}

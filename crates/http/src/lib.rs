//! The `http` service: HTTP/1.1 static files (being built).

use std::path::PathBuf;

use switchyard_engine::{ConnInfo, Cx, Service};

/// Settings of the http service.
#[derive(Clone, Debug)]
pub struct Options {
    /// The folder served.
    pub root: PathBuf,
    /// Serve an HTML listing of folders without an index.html.
    pub autoindex: bool,
}

/// The static file server.
pub struct Http {
    _options: Options,
}

impl Http {
    /// Creates the service.
    ///
    /// # Errors
    ///
    /// The root folder cannot be opened.
    pub fn new(options: Options) -> std::io::Result<Http> {
        Ok(Http { _options: options })
    }
}

impl Service for Http {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        cx.close();
    }
}

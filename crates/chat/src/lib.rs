//! The `chat` service: an IRC subset (being built).

use switchyard_engine::{ConnInfo, Cx, Service};

/// Settings of the chat service.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server's name in prefixes and numerics.
    pub server_name: String,
    /// The message of the day, if any.
    pub motd: Option<String>,
}

/// The chat server.
pub struct Chat {
    _options: Options,
}

impl Chat {
    /// Creates the service.
    pub fn new(options: Options) -> Chat {
        Chat { _options: options }
    }
}

impl Service for Chat {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        cx.close();
    }
}

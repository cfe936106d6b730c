//! The `echo` service: every byte received goes back, in order.

use switchyard_engine::{ConnInfo, Cx, Service};

/// Echoes bytes.
pub struct Echo;

impl Service for Echo {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let (input, out) = cx.io();
        out.extend_from_slice(input);
        let n = input.len();
        cx.consume(n);
    }
}

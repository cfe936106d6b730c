//! The http service inside a real engine, in process: every poller, both
//! response modes, inline and with workers.

mod modes;

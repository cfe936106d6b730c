//! Placeholder: filled in with the irc codec.

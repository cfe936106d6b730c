//! Placeholder: filled in with the http codec.

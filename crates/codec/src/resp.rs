//! Placeholder: filled in with the resp codec.

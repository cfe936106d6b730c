//! The kv service.

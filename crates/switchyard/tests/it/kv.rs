//! Tests of `switchyard serve kv` (filled in with the service).

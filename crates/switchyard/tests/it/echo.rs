//! Tests of `switchyard serve echo` (filled in with the service).

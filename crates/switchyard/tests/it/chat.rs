//! Tests of `switchyard serve chat` (filled in with the service).

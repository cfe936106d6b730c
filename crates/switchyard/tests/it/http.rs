//! Tests of `switchyard serve http` (filled in with the service).

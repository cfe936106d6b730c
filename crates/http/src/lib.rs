//! The http service.

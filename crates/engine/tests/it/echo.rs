//! Echo over the engine.

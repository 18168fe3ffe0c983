//! State store

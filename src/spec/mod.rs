//! config.json

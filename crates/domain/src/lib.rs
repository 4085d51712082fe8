//! Sluice's domain model: identifiers, identity objects and the rules that hold whatever API
//! is used to reach them. Nothing here performs I/O; the store loads the facts a rule needs
//! and the rule decides.

pub mod engine;
pub mod error;
pub mod identity;
pub mod ids;
pub mod schedule;
pub mod validate;
pub mod workflow;

pub use error::{Error, Result};
pub use ids::*;

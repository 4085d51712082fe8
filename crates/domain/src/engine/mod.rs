//! The case engine: how a document (case) moves through the nodes of its workflow version.
//!
//! Everything here is a pure function of a [`Definition`] (the finalized workflow version)
//! and a [`Case`] (the document's state). Looking up who is responsible for a node needs the
//! directory (department members, group members, supervisors): the engine names what it
//! needs as a [`Lookup`], the store answers it inside the same transaction, and the engine
//! carries on ([`Case::unresolved`] / [`Case::resolve`]). See docs/engine.md.

mod automatic;
mod case;
mod definition;
mod offers;
mod route;
mod view;

#[cfg(test)]
mod tests;

pub use automatic::Values;
pub use case::{Case, CcState, Outcome, SignatureKind, Status, Submission};
pub use definition::Definition;
pub use offers::offered_nodes;
pub use route::{ChainLink, Found, Lookup, Moves, NodeRun, Route, RunState};
pub use view::Abilities;

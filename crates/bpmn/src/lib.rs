//! BPMN 2.0 XML to and from Sluice workflow definitions (docs/bpmn.md).
//!
//! [`import`] reads one process (the one executable pool of a collaboration) into fields and
//! nodes with provisional ids `1..n` (in document order), which the store renumbers;
//! [`export`] writes any workflow version back, diagram interchange included. Everything
//! outside the supported subset is refused with the list of the elements and their ids.

mod duration;
mod export;
mod import;
mod layout;

pub use duration::parse_duration;
pub use export::export;
pub use import::import;

use sluice_domain::workflow::{Field, Node};
use std::fmt;

/// BPMN 2.0 semantic model namespace.
pub const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
/// BPMN diagram interchange namespace.
pub const BPMNDI_NS: &str = "http://www.omg.org/spec/BPMN/20100524/DI";
/// OMG diagram common (bounds) namespace.
pub const DC_NS: &str = "http://www.omg.org/spec/DD/20100524/DC";
/// OMG diagram interchange (waypoints) namespace.
pub const DI_NS: &str = "http://www.omg.org/spec/DD/20100524/DI";
/// Sluice's extension attributes and elements (prefix `sluice`).
pub const SLUICE_NS: &str = "https://sluice.dev/bpmn";

/// Largest accepted file.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most XML nodes (elements, text, comments) in a file.
pub const MAX_XML_NODES: u32 = 200_000;
/// Deepest element nesting.
pub const MAX_DEPTH: usize = 64;
/// Most attributes on one element (the parser checks duplicates in quadratic time).
pub const MAX_ATTRIBUTES: usize = 256;
/// Most flow nodes in the imported process.
pub const MAX_FLOW_NODES: usize = 2_000;

/// A model read from a BPMN file, ready for the store (ids are provisional: `1..n`).
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The process's name (else the definitions', else its id).
    pub name: String,
    pub fields: Vec<Field>,
    pub nodes: Vec<Node>,
    /// Elements that were read but have no effect (annotations, lanes, documentation...).
    pub warnings: Vec<String>,
}

/// One element that is refused, or whose content is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The element's local name (`subProcess`, `sequenceFlow`, ...).
    pub element: String,
    /// Its `id` attribute (empty if it has none).
    pub id: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.id.is_empty() {
            write!(f, "{}: {}", self.element, self.message)
        } else {
            write!(f, "{} {:?}: {}", self.element, self.id, self.message)
        }
    }
}

/// Why a file was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Not well-formed XML, not BPMN, too large or too deep, or with a DOCTYPE.
    Malformed(String),
    /// Elements outside the supported subset (every one of them).
    Unsupported(Vec<Problem>),
    /// Elements in the subset whose content is invalid (every one of them).
    Invalid(Vec<Problem>),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, ps: &[Problem]| {
            let items: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
            write!(f, "{}", items.join("; "))
        };
        match self {
            ImportError::Malformed(m) => write!(f, "{m}"),
            ImportError::Unsupported(ps) => {
                write!(f, "The model uses BPMN elements Sluice does not support: ")?;
                list(f, ps)
            }
            ImportError::Invalid(ps) => {
                write!(f, "The model is not valid: ")?;
                list(f, ps)
            }
        }
    }
}

impl std::error::Error for ImportError {}

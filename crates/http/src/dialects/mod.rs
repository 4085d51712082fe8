//! API dialects: each module translates one vendor's wire format onto the domain.

pub(crate) mod bonita;
pub(crate) mod brity;
pub(crate) mod omnibpm;
pub(crate) mod plusworkflow;
pub(crate) mod questetra;

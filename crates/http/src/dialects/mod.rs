//! API dialects: each module translates one vendor's wire format onto the domain.

pub(crate) mod omnibpm;

//! Black-box tests of the plusworkflow surface (placeholder until written).

//! Black-box tests of the identity_cross surface (placeholder until written).

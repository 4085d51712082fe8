//! Black-box tests of the bonita surface (placeholder until written).

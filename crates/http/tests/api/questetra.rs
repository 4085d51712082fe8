//! Black-box tests of the questetra surface (placeholder until written).

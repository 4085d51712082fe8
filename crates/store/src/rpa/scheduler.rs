//! The scheduler `sluice serve` runs: each due occurrence of a reservation becomes exactly one job, across restarts and instances.

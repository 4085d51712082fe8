//! Latency recording and reporting.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Latencies of one kind of call, in microseconds.
pub struct Latencies(Histogram<u64>);

impl Latencies {
    pub fn new() -> Self {
        Latencies(Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds"))
    }

    pub fn record(&mut self, d: Duration) {
        let _ = self.0.record(d.as_micros().clamp(1, 60_000_000) as u64);
    }

    pub fn merge(&mut self, other: &Latencies) {
        let _ = self.0.add(&other.0);
    }

    /// `name: N calls in S s = R/s, p50 X ms, p99 Y ms, max Z ms`.
    pub fn report(&self, name: &str, elapsed: Duration) {
        let n = self.0.len();
        let ms = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "{name}: {n} calls in {:.2} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            ms(0.5),
            ms(0.99),
            self.0.max() as f64 / 1000.0
        );
    }
}

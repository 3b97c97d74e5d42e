//! Metrics as CloudWatch Embedded Metric Format: one JSON line on standard output per
//! measurement, which CloudWatch Logs turns into metrics (namespace [`NAMESPACE`], dimension
//! `Function`), so recording one costs no API call. Written only in Lambda ([`enable`] at
//! cold start); `ferry serve` writes none.
//!
//! What is measured: requests and their latency, and uploads started (`web`); S3 events by
//! outcome, and the handler's latency (`s3-events`); repairs by kind (`reconcile`).

use std::sync::atomic::{AtomicBool, Ordering};

pub const NAMESPACE: &str = "Ferry";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// From now on, [`emit`] writes its lines.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// Writes one line with `values` for `function` (when enabled).
pub fn emit(function: &str, values: &[(&str, f64, Unit)]) {
    if ENABLED.load(Ordering::Relaxed) && !values.is_empty() {
        let now = chrono::Utc::now().timestamp_millis();
        println!("{}", line(function, values, now));
    }
}

/// The EMF document for `values` of `function` at `timestamp_ms`.
fn line(function: &str, values: &[(&str, f64, Unit)], timestamp_ms: i64) -> serde_json::Value {
    let definitions: Vec<serde_json::Value> = values
        .iter()
        .map(|(name, _, unit)| serde_json::json!({"Name": name, "Unit": unit.as_str()}))
        .collect();
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": definitions,
            }],
        },
        "Function": function,
    });
    for (name, value, _) in values {
        doc[*name] = serde_json::json!(value);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_each_value_under_the_function_dimension() {
        let doc = line(
            "s3-events",
            &[
                ("EventsApplied", 2.0, Unit::Count),
                ("Latency", 1.5, Unit::Milliseconds),
            ],
            1_700_000_000_000,
        );
        assert_eq!(
            doc,
            serde_json::json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Ferry",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "EventsApplied", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"}
                        ]
                    }]
                },
                "Function": "s3-events",
                "EventsApplied": 2.0,
                "Latency": 1.5
            })
        );
    }
}

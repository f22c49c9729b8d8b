//! Prometheus metrics: requests, latency and time-to-first-token histograms, generated tokens and
//! speed per model, and the supervisor's view (model state, queue depth, restarts) read at
//! scrape time.
//!
//! Recording is lock-free on the request path (atomic counters and histograms); only label
//! lookups take a short read lock inside `Family`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::supervisor::ModelStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub model: String,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabel {
    pub model: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub duration: Family<ModelLabel, Histogram, fn() -> Histogram>,
    pub ttft: Family<ModelLabel, Histogram, fn() -> Histogram>,
    pub completion_tokens: Family<ModelLabel, Counter>,
    pub tokens_per_second: Family<ModelLabel, Gauge<f64, AtomicU64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("stingd");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Family::<ModelLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let ttft = Family::<ModelLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let completion_tokens = Family::<ModelLabel, Counter>::default();
        let tokens_per_second = Family::<ModelLabel, Gauge<f64, AtomicU64>>::default();
        registry.register("requests", "Gateway requests by model, route and status", requests.clone());
        registry.register("request_duration_seconds", "Time to the end of the answer", duration.clone());
        registry.register("time_to_first_token_seconds", "Time to the first streamed chunk", ttft.clone());
        registry.register("completion_tokens", "Tokens generated", completion_tokens.clone());
        registry.register("tokens_per_second", "Generation speed of the last answer", tokens_per_second.clone());
        Self { registry, requests, duration, ttft, completion_tokens, tokens_per_second }
    }
}

impl Metrics {
    pub fn shared() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn observe_request(&self, model: &str, route: &'static str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&RequestLabels { model: model.to_string(), route, status }).inc();
        if (200..300).contains(&status) {
            self.duration.get_or_create(&ModelLabel { model: model.to_string() }).observe(elapsed.as_secs_f64());
        }
    }

    pub fn observe_first_token(&self, model: &str, elapsed: Duration) {
        self.ttft.get_or_create(&ModelLabel { model: model.to_string() }).observe(elapsed.as_secs_f64());
    }

    /// Records llama-server's own timings (`predicted_n`, `predicted_per_second`) from an answer.
    pub fn observe_timings(&self, model: &str, timings: &serde_json::Value) {
        let label = ModelLabel { model: model.to_string() };
        if let Some(n) = timings.get("predicted_n").and_then(serde_json::Value::as_u64) {
            self.completion_tokens.get_or_create(&label).inc_by(n);
        }
        if let Some(speed) = timings.get("predicted_per_second").and_then(serde_json::Value::as_f64) {
            self.tokens_per_second.get_or_create(&label).set(speed);
        }
    }

    /// The text exposition (OpenMetrics), with the supervisor's per-model gauges appended.
    pub fn render(&self, models: &[ModelStatus]) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err() {
            out.clear();
        }
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str| {
            let _ = writeln!(out, "# HELP stingd_{name} {help}\n# TYPE stingd_{name} {kind}");
        };
        gauge(&mut out, "model_state", "1 for the state each model is in", "gauge");
        for m in models {
            for state in crate::supervisor::ModelState::LOCAL {
                let _ = writeln!(
                    out,
                    "stingd_model_state{{model=\"{}\",state=\"{}\"}} {}",
                    escape(&m.name),
                    state.as_str(),
                    u8::from(m.state == state)
                );
            }
        }
        gauge(&mut out, "queue_depth", "Requests in flight or waiting per model", "gauge");
        for m in models {
            let depth: u32 = m.replicas.iter().map(|r| r.outstanding).sum::<u32>() + m.waiting;
            let _ = writeln!(out, "stingd_queue_depth{{model=\"{}\"}} {depth}", escape(&m.name));
        }
        gauge(&mut out, "model_restarts", "Restarts of crashed model processes", "counter");
        for m in models {
            let restarts: u64 = m.replicas.iter().map(|r| r.restarts).sum();
            let _ = writeln!(out, "stingd_model_restarts_total{{model=\"{}\"}} {restarts}", escape(&m.name));
        }
        out.push_str("# EOF\n");
        out
    }
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

//! Trace export is in the `otel` feature, which this build does not have: the
//! spans of runs still go to whatever `tracing` subscriber the application
//! installs, and [`init_from_env`] says that `RESPAN_TRACING=1` exports nothing.

/// `RESPAN_TRACING=1` (or `true`) turns export on in [`init_from_env`].
pub const TRACING_ENV: &str = "RESPAN_TRACING";
/// `RESPAN_TRACE_CONTENT=1` records prompts, outputs and tool arguments in spans.
pub const TRACE_CONTENT_ENV: &str = "RESPAN_TRACE_CONTENT";

/// Whether `RESPAN_TRACING` (or another flag variable) is set to a true value.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// Without the `otel` feature: a guard that does nothing; with `RESPAN_TRACING=1`
/// it also says on stderr that nothing is exported and how to change that.
pub fn init_from_env() -> Result<TracingGuard, crate::Error> {
    if env_flag(TRACING_ENV) {
        eprintln!(
            "respan: {TRACING_ENV} is set but this build has no trace export; \
             enable the `otel` feature of respan to send traces"
        );
    }
    Ok(TracingGuard { _private: () })
}

/// What happened to the spans of runs (always zero without the `otel` feature).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Spans that ended (and were offered to the queue).
    pub ended: u64,
    /// Spans the endpoint accepted.
    pub exported: u64,
    /// Spans in batches the endpoint refused or did not answer in time.
    pub failed: u64,
    /// Spans dropped because the queue was full.
    pub dropped: u64,
}

/// The guard of no export.
#[derive(Debug)]
pub struct TracingGuard {
    _private: (),
}

impl TracingGuard {
    /// A guard of no export.
    pub fn inactive() -> Self {
        Self { _private: () }
    }
    /// Always `false` without the `otel` feature.
    pub fn is_active(&self) -> bool {
        false
    }
    /// Always zero without the `otel` feature.
    pub fn stats(&self) -> ExportStats {
        ExportStats::default()
    }
    /// Nothing to flush without the `otel` feature.
    pub fn flush(&self) -> ExportStats {
        ExportStats::default()
    }
    /// Nothing to stop without the `otel` feature.
    pub fn shutdown(self) -> ExportStats {
        ExportStats::default()
    }
}

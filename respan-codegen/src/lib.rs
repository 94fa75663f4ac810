//! Workflow files for respan.

//! Runtime of respan.

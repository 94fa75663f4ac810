//! Proc macros of respan.

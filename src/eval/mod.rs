//! Evaluation: tiled inference (and, later, metrics over test sets). Knows models and the
//! engine; never the CLI.

pub mod tile;

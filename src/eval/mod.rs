//! Evaluation: tiled inference, LPIPS (and, later, metrics over test sets). Knows models and
//! the engine; never the CLI.

pub mod lpips;
pub mod tile;

//! Evaluation: tiled inference (`tile`), LPIPS on the engine (`lpips`), metrics over test sets
//! (`testset`), tables, statistics of method comparisons (`stats`). Knows models, ops and
//! data; never the CLI.

pub mod lpips;
pub mod stats;
pub mod tables;
pub mod testset;
pub mod tile;

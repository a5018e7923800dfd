//! Evaluation: tiled inference (`tile`), metrics over test sets (`testset`), statistics of
//! method comparisons (`stats`). Knows models, ops and data; never the CLI.

pub mod stats;
pub mod tables;
pub mod testset;
pub mod tile;

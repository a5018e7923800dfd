//! Training (DESIGN.md section 7): the config (`config`), the regularisers of "Navigating
//! Beyond Dropout" and its baselines (`regularizer`), learning-rate schedules (`schedule`),
//! checkpoints and run folders (`checkpoint`), and the loop (`run`).
//!
//! Train knows models, nn, ops, data and eval; it never prints or parses arguments: the loop
//! reports through `run::Event`s that a front end renders.

pub mod checkpoint;
pub mod config;
pub mod regularizer;
pub mod run;
pub mod schedule;

pub use config::TrainConfig;
pub use run::{train, Event, Outcome, RunOptions, Summary};

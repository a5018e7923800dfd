//! sralign: blind super-resolution training on a hand-written wgpu compute engine, with the
//! feature-alignment regulariser of "Navigating Beyond Dropout" (CVPR 2024).
//!
//! Layers, bottom up (a lower layer never names a higher one):
//! `gpu` -> `tensor` -> `autograd` -> `ops` -> `nn` -> `models`; `data` is CPU-only and
//! independent of the GPU; `bench` measures the engine; the CLI lives in `src/main.rs`.

pub mod autograd;
pub mod bench;
pub mod data;
pub mod error;
pub mod eval;
pub mod gpu;
pub mod models;
pub mod nn;
pub mod ops;
pub mod report;
pub mod tensor;
pub mod train;

pub use error::{Error, Result};
pub use gpu::Gpu;
pub use tensor::Tensor;

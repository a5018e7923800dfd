//! (cases being written)
use super::{BenchOptions, Measurement};
use crate::error::Result;
use crate::gpu::Gpu;

pub fn cases(_gpu: &Gpu, _opts: &BenchOptions) -> Result<Vec<Measurement>> {
    Ok(Vec::new())
}

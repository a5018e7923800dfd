//! `sralign bench`: the kernel benchmark table for this machine's adapter.

use anyhow::Result;
use sralign::bench::{format_table, run_all, BenchOptions};
use sralign::Gpu;

/// Time every kernel, forward and backward, at the paper's shapes.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  sralign bench\n  sralign bench --quick --filter conv")]
pub struct Args {
    /// Smaller shapes, fewer repetitions.
    #[arg(long)]
    quick: bool,
    /// Only cases whose name contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Timed repetitions per case (median reported).
    #[arg(long, default_value_t = 5)]
    iters: usize,
    /// The adapter's fp32 peak in GFLOP/s, to print the fraction reached.
    #[arg(long)]
    peak_gflops: Option<f64>,
}

pub fn run(a: Args) -> Result<()> {
    let gpu = Gpu::new()?;
    let s = gpu.summary();
    println!(
        "adapter: {} ({}, {} {})",
        s.name, s.backend, s.driver, s.driver_info
    );
    let opts = BenchOptions {
        quick: a.quick,
        iters: a.iters,
        filter: a.filter,
    };
    let rows = run_all(&gpu, &opts)?;
    print!("{}", format_table(&rows, a.peak_gflops));
    Ok(())
}

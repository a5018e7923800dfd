//! `sralign bench`: the kernel benchmark table for this machine's adapter.

use anyhow::Result;
use sralign::bench::models::{bench_model, format_models, standard_batch};
use sralign::bench::{format_table, run_all, BenchOptions};
use sralign::models::{Arch, ModelConfig};
use sralign::Gpu;

use super::safety::OutputFile;

/// Time every kernel, forward and backward, at the paper's shapes.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign bench\n  sralign bench --quick --filter conv\n  sralign bench --models srresnet --tiny\n  sralign bench --models all\n  sralign bench --filter conv3x3 --json conv.json   (rows also as JSON, for tools/bench_vs_pytorch.py)"
)]
pub struct Args {
    /// Smaller shapes, fewer repetitions.
    #[arg(long)]
    quick: bool,
    /// Only cases whose name contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Timed repetitions per case (median reported), 1 to 1000.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true,
          value_parser = super::safety::usize_in(1, 1000))]
    iters: usize,
    /// The adapter's fp32 peak in GFLOP/s, to print the fraction reached.
    #[arg(long, allow_negative_numbers = true,
          value_parser = super::safety::f64_in(0.001, 1e9))]
    peak_gflops: Option<f64>,
    /// Benchmark training steps of these models instead of kernels (comma-separated, or all)
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// With --models: the tiny configurations (as the demo trains) instead of the standard ones
    #[arg(long)]
    tiny: bool,
    /// Benchmark the data loader on this HR folder instead (samples/s, 1 and 2 workers)
    #[arg(long, value_name = "HR_DIR")]
    data: Option<std::path::PathBuf>,
    /// Also write the rows (with the adapter and the time) as JSON to this file
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    json: Option<std::path::PathBuf>,
    /// Replace the --json file if it exists
    #[arg(long)]
    force: bool,
}

/// The JSON file: the adapter, when, and the rows of whichever table ran.
#[derive(serde::Serialize)]
struct JsonOut<'a, T: serde::Serialize> {
    adapter: String,
    driver: String,
    unix_time: u64,
    iters: usize,
    peak_gflops: Option<f64>,
    rows: &'a [T],
}

fn write_json<T: serde::Serialize>(
    out: Option<&OutputFile>,
    gpu: &Gpu,
    iters: usize,
    peak_gflops: Option<f64>,
    rows: &[T],
) -> Result<()> {
    let Some(out) = out else { return Ok(()) };
    let s = gpu.summary();
    let doc = JsonOut {
        adapter: s.name.clone(),
        driver: format!("{} {}", s.driver, s.driver_info),
        unix_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        iters,
        peak_gflops,
        rows,
    };
    let text = serde_json::to_string_pretty(&doc)?;
    out.write(|tmp| Ok(std::fs::write(tmp, text)?))
}

pub fn run(a: Args) -> Result<()> {
    // Checked before any benchmark runs, so a bad path fails at once.
    let json = a
        .json
        .as_deref()
        .map(|p| OutputFile::check(p, &[], a.force, "--json"))
        .transpose()?;
    let gpu = super::safety::open_gpu()?;
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
    if !a.models.is_empty() {
        return bench_models(&gpu, &a.models, a.tiny, &opts, json.as_ref());
    }
    if let Some(dir) = &a.data {
        println!(
            "{:<28} {:>6} {:>8} {:>10}",
            "setting", "batch", "workers", "samples/s"
        );
        for r in sralign::bench::data::loader_throughput(dir, 8, &[1, 2])? {
            println!(
                "{:<28} {:>6} {:>8} {:>10.1}",
                r.setting, r.batch, r.workers, r.samples_per_s
            );
        }
        return Ok(());
    }
    let peak = a.peak_gflops.or_else(|| {
        if gpu.is_cpu() {
            sralign::bench::cpu_peak_gflops()
        } else {
            None
        }
    });
    if let (None, Some(p)) = (a.peak_gflops, peak) {
        println!("peak: {p:.0} GFLOP/s (estimated from /proc/cpuinfo for this CPU adapter; --peak-gflops overrides)");
    }
    let rows = run_all(&gpu, &opts)?;
    print!("{}", format_table(&rows, peak));
    write_json(json.as_ref(), &gpu, opts.iters, peak, &rows)
}

fn bench_models(
    gpu: &Gpu,
    names: &[String],
    tiny: bool,
    opts: &BenchOptions,
    json: Option<&OutputFile>,
) -> Result<()> {
    let archs: Vec<Arch> = if names.iter().any(|n| n == "all") {
        vec![Arch::SrResNet, Arch::RrdbNet, Arch::Msrn, Arch::SwinIr]
    } else {
        names
            .iter()
            .map(|n| n.parse::<Arch>().map_err(anyhow::Error::msg))
            .collect::<Result<_>>()?
    };
    let mut rows = Vec::new();
    for arch in archs {
        let (cfg, label) = if tiny {
            (ModelConfig::tiny(arch), format!("{} tiny", arch.name()))
        } else {
            (ModelConfig::standard(arch), format!("{} x4", arch.name()))
        };
        eprintln!("benchmarking {label} ...");
        rows.push(bench_model(
            gpu,
            &label,
            &cfg,
            standard_batch(arch),
            48,
            opts,
        )?);
    }
    print!("{}", format_models(&rows));
    write_json(json, gpu, opts.iters, None, &rows)
}

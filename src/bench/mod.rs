//! Kernel benchmarks shared by `benches/kernels.rs` and `sralign bench`: each case runs a
//! kernel at the paper's shapes, synchronises inside the timed region, and reports ms and
//! GFLOP/s or GB/s. Sections live in files of their own (conv, attention, misc, stats, lpips).

pub mod attention;
pub mod conv;
pub mod data;
pub mod lpips;
pub mod misc;
pub mod models;
pub mod stats;

use std::time::Instant;

use crate::error::Result;
use crate::gpu::Gpu;

/// One row of the table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Measurement {
    pub name: String,
    pub shape: String,
    /// Median milliseconds per call.
    pub ms: f64,
    /// Floating-point operations per call (a multiply-add counts 2), when meaningful.
    pub flops: Option<f64>,
    /// Bytes moved per call (reads + writes of the operands), when meaningful.
    pub bytes: Option<f64>,
}

impl Measurement {
    pub fn gflops(&self) -> Option<f64> {
        self.flops.map(|f| f / self.ms / 1e6)
    }
    pub fn gbps(&self) -> Option<f64> {
        self.bytes.map(|b| b / self.ms / 1e6)
    }
}

/// Options for a benchmark run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Smaller shapes and fewer repetitions (for a quick look or CI smoke runs).
    pub quick: bool,
    /// Timed repetitions (median reported).
    pub iters: usize,
    /// Substring filter on case names.
    pub filter: Option<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            quick: false,
            iters: 5,
            filter: None,
        }
    }
}

impl BenchOptions {
    pub fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}

/// Median wall time in ms of `f` (after one warm-up call), with the device synchronised
/// before the clock starts and before it stops.
pub fn time_ms(gpu: &Gpu, iters: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    gpu.sync()?;
    let mut ts = Vec::with_capacity(iters);
    for _ in 0..iters.max(1) {
        let t0 = Instant::now();
        f()?;
        gpu.sync()?;
        ts.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(ts[ts.len() / 2])
}

/// Every section's cases.
pub fn run_all(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    out.extend(conv::cases(gpu, opts)?);
    out.extend(attention::cases(gpu, opts)?);
    out.extend(stats::cases(gpu, opts)?);
    out.extend(misc::cases(gpu, opts)?);
    out.extend(lpips::cases(gpu, opts)?);
    Ok(out)
}

/// The table as text. `peak_gflops`, when known, adds a column with the fraction of it.
pub fn format_table(rows: &[Measurement], peak_gflops: Option<f64>) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<42} {:<36} {:>10} {:>10} {:>9}{}\n",
        "kernel",
        "shape",
        "ms",
        "GFLOP/s",
        "GB/s",
        if peak_gflops.is_some() {
            "   % peak"
        } else {
            ""
        }
    ));
    for r in rows {
        let gf = r
            .gflops()
            .map(|g| format!("{g:.2}"))
            .unwrap_or_else(|| "-".into());
        let gb = r
            .gbps()
            .map(|g| format!("{g:.2}"))
            .unwrap_or_else(|| "-".into());
        let pk = match (peak_gflops, r.gflops()) {
            (Some(p), Some(g)) => format!("  {:>6.1}%", 100.0 * g / p),
            (Some(_), None) => "        -".into(),
            _ => String::new(),
        };
        s.push_str(&format!(
            "{:<42} {:<36} {:>10.3} {:>10} {:>9}{}\n",
            r.name, r.shape, r.ms, gf, gb, pk
        ));
    }
    s
}

/// fp32 peak of this machine's CPU cores in GFLOP/s, for software adapters (lavapipe runs
/// kernels on the CPU): cores x 2 FMA pipes x SIMD lanes (8 with AVX2, and with AVX-512 on AMD
/// Zen 3/4, whose FMA units are 256 bits wide; 16 with AVX-512 elsewhere) x 2
/// FLOP x the clock /proc/cpuinfo reports. An estimate (turbo and SMT not counted); None off
/// Linux or when the file lacks the fields.
pub fn cpu_peak_gflops() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    let mhz: f64 = info
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    let flags = info.lines().find(|l| l.starts_with("flags"))?;
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let field = |k: &str| {
        info.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
    };
    // AMD before Zen 5 (family 25 = 0x19: Zen 3, Zen 4) executes AVX-512 on 256-bit FMA
    // units, so its fp32 peak is that of AVX2 (2 x 8 lanes per cycle per core).
    let amd_256 = field("vendor_id").as_deref() == Some("AuthenticAMD")
        && field("cpu family")
            .and_then(|f| f.parse::<u32>().ok())
            .is_some_and(|f| f < 26);
    let lanes = if has("avx512f") && !amd_256 {
        16.0
    } else if has("avx2") && has("fma") {
        8.0
    } else {
        4.0
    };
    Some(cores as f64 * 2.0 * lanes * 2.0 * mhz / 1e3)
}

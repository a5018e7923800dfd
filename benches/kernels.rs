//! `cargo bench --bench kernels [-- --quick] [-- FILTER]`: the kernel table of `sralign bench`.
use sralign::bench::{format_table, run_all, BenchOptions};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let gpu = sralign::Gpu::new().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let s = gpu.summary();
    println!("adapter: {} ({}, {})", s.name, s.backend, s.driver_info);
    let opts = BenchOptions {
        quick,
        iters: if quick { 3 } else { 5 },
        filter,
    };
    match run_all(&gpu, &opts) {
        Ok(rows) => {
            let peak = if gpu.is_cpu() {
                sralign::bench::cpu_peak_gflops()
            } else {
                None
            };
            if let Some(p) = peak {
                println!("peak: {p:.0} GFLOP/s (estimated from /proc/cpuinfo)");
            }
            print!("{}", format_table(&rows, peak))
        }
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            std::process::exit(1)
        }
    }
}

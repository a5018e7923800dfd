//! Argument parsing and dispatch. Every command has --help with an example; errors are one
//! clear line (plus context) and exit code 1.

use clap::{Parser, Subcommand};

mod bench;
mod compare;
mod degrade;
mod demo;
mod eval;
mod export;
mod info;
mod metrics;
mod safety;
mod train;
mod upscale;

#[derive(Parser)]
#[command(
    name = "sralign",
    version,
    about = "Blind super-resolution training on a hand-written wgpu engine, with the \
             feature-alignment regulariser of 'Navigating Beyond Dropout' (CVPR 2024)",
    after_help = "Environment: SRALIGN_ADAPTER=<substring> picks an adapter by name, \
                  SRALIGN_BACKEND=vulkan|metal|dx12|gl a backend."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Info(info::Args),
    Bench(bench::Args),
    Degrade(degrade::Args),
    Metrics(metrics::Args),
    Export(export::Args),
    Upscale(upscale::Args),
    Train(train::Args),
    Eval(eval::Args),
    Compare(compare::CompareArgs),
    Report(compare::ReportArgs),
    Demo(demo::Args),
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Info(a) => info::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Degrade(a) => degrade::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::Export(a) => export::run(a),
        Command::Upscale(a) => upscale::run(a),
        Command::Train(a) => train::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Compare(a) => compare::run_compare(a),
        Command::Report(a) => compare::run_report(a),
        Command::Demo(a) => demo::run(a),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

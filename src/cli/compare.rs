//! `sralign compare` (train and evaluate methods x seeds, then report) and `sralign report`
//! (a report from run folders). The progress display is shared with `sralign demo`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sralign::report::{self, CompareOpts, Event};
use sralign::train::{self, TrainConfig};
use sralign::Gpu;

/// Train each method x seed from one base config, evaluate all on test sets, and report.
#[derive(clap::Args)]
#[command(
    after_help = "Each method keeps the terms it names from the base config's \
[regularizer] table (which lists the settings of every term the comparison uses); every \
method of one seed sees the same data in the same order. Runs go to OUTPUT/runs/<method>_seed<s>; \
a finished run is reused and an interrupted one resumed when the command is run again.\n\n\
Examples:\n  \
sralign degrade --input data/test --output out/test_x4\n  \
sralign compare --config tools/configs/demo.toml --methods baseline,dropout,align-linear+align-rff --seeds 3 --test out/test_x4 --output out/cmp"
)]
pub struct CompareArgs {
    /// Base training config (TOML)
    #[arg(long)]
    config: PathBuf,
    /// Comma-separated: baseline, dropout, align-linear, align-rff, align-pooled, feature-l2 (or several joined by '+')
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "baseline,dropout,align-linear,align-rff"
    )]
    methods: Vec<String>,
    /// Number of seeds (0, 1, ...), 1..=100
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = super::safety::u64_in(1, 100))]
    seeds: u64,
    /// Test folders written by `sralign degrade` (repeatable)
    #[arg(long, required = true)]
    test: Vec<PathBuf>,
    #[arg(long)]
    output: PathBuf,
    /// Tile side in LR pixels for evaluation (whole images when absent)
    #[arg(long, allow_negative_numbers = true, value_parser = super::safety::usize_in(1, 65536))]
    tile: Option<usize>,
}

/// Write a comparison report from run folders that were trained and evaluated.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  sralign report out/cmp/runs/* --output out/report")]
pub struct ReportArgs {
    /// Run folders (each with config.toml, log.jsonl and eval.json)
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    #[arg(long)]
    output: PathBuf,
    /// Replace a report already in --output
    #[arg(long)]
    force: bool,
}

/// A line above the progress bar, or on stderr when the bar is hidden (not a terminal).
pub fn say(bar: &ProgressBar, s: impl AsRef<str>) {
    if bar.is_hidden() {
        eprintln!("{}", s.as_ref());
    } else {
        bar.println(s.as_ref());
    }
}

/// Renders comparison progress: one bar for the current run, lines for milestones.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new() -> Progress {
        let bar = ProgressBar::new(1);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(500));
        Progress { bar }
    }

    pub fn line(&self, s: impl AsRef<str>) {
        say(&self.bar, s.as_ref());
    }

    pub fn event(&self, e: Event) {
        let b = &self.bar;
        match e {
            Event::RunStarted {
                method,
                seed,
                index,
                total,
                resumed,
                skipped,
            } => {
                let what = if skipped {
                    "finished earlier, reused"
                } else if resumed {
                    "resuming"
                } else {
                    "training"
                };
                say(
                    b,
                    format!("[{index}/{total}] {method}, seed {seed}: {what}"),
                );
                b.set_prefix(format!("{method} s{seed}"));
            }
            Event::Train(t) => match t {
                train::Event::Preparing(m) => b.set_message(m.to_string()),
                train::Event::Started {
                    first_step, total, ..
                } => {
                    b.set_length(total);
                    b.set_position(first_step - 1);
                    b.reset_eta();
                    b.set_message("training");
                }
                train::Event::Step { step } => b.set_position(step),
                train::Event::Log(r) => {
                    let shares: f64 = r
                        .grad_share
                        .iter()
                        .filter(|(k, _)| k.as_str() != "l1")
                        .map(|(_, v)| v)
                        .sum();
                    b.set_message(format!(
                        "l1 {:.4}, regulariser share {:.1}%, {:.2} it/s",
                        r.losses.get("l1").copied().unwrap_or(f64::NAN),
                        100.0 * shares,
                        r.it_per_s
                    ));
                }
                train::Event::Val(r) => {
                    say(b, format!("  validation at {}: {:?}", r.step, r.metrics))
                }
                _ => {}
            },
            Event::EvalStarted { images, .. } => {
                b.set_length(images as u64);
                b.set_position(0);
                b.reset_eta();
                b.set_message("evaluating");
            }
            Event::EvalImage { done, .. } => b.set_position(done as u64),
            Event::Wrote(p) => say(b, format!("report: {}", p.display())),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// LPIPS (AlexNet) when its weights are installed; otherwise a line saying why it is not
/// measured.
pub fn load_lpips(gpu: &Gpu, p: &Progress) -> Result<Option<sralign::eval::lpips::Lpips>> {
    use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
    match find_weights(LpipsNet::Alex) {
        Ok(path) => Ok(Some(Lpips::load(gpu, LpipsNet::Alex, &path)?)),
        Err(why) => {
            p.line(format!("LPIPS: not measured: {why}"));
            Ok(None)
        }
    }
}

pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if s.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    stop
}

pub fn run_compare(a: CompareArgs) -> Result<()> {
    let base = TrainConfig::load(&a.config)?;
    for t in &a.test {
        if !t.join("HR").is_dir() {
            bail!(
                "--test {}: not a folder written by `sralign degrade` (no HR/)",
                t.display()
            );
        }
    }
    let opts = CompareOpts {
        methods: a.methods,
        seeds: (0..a.seeds).collect(),
        tests: a.test,
        output: a.output,
        tile: a.tile,
        tile_overlap: 16,
        crop_border: None,
        lpips: None,
    };
    std::fs::create_dir_all(&opts.output)
        .with_context(|| format!("creating {}", opts.output.display()))?;
    super::safety::check_writable_dir(&opts.output, "--output")?;
    let stop = stop_on_ctrl_c();
    let gpu = super::safety::open_gpu()?;
    let p = Progress::new();
    p.line(format!(
        "adapter: {} ({:?})",
        gpu.summary().name,
        gpu.summary().backend
    ));
    let mut opts = opts;
    opts.lpips = load_lpips(&gpu, &p)?;
    let r = report::compare(&gpu, &base, &opts, &stop, &mut |e| p.event(e));
    p.finish();
    let path = r?;
    print_summary(&path)?;
    Ok(())
}

/// Print the report's tables of the first test set (the Markdown up to its first figure).
pub fn print_summary(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    for line in text.lines().take_while(|l| !l.starts_with("![")) {
        println!("{line}");
    }
    println!("\nfull report: {}", path.display());
    Ok(())
}

pub fn run_report(a: ReportArgs) -> Result<()> {
    let existing = a.output.join("report.md");
    if existing.exists() && !a.force {
        bail!(
            "{} exists: use --force to replace it, or another --output",
            existing.display()
        );
    }
    let runs = report::load_runs(&a.runs)?;
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    super::safety::check_writable_dir(&a.output, "--output")?;
    let p = report::write_report(&a.output, &runs)?;
    print_summary(&p)
}

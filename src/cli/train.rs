//! `sralign train`: train a network with no regulariser, channel dropout, or the feature
//! alignment of "Navigating Beyond Dropout", from a TOML config; resume exactly; Ctrl-C saves.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sralign::train::{self, Event, Outcome, RunOptions, TrainConfig};

use super::compare::say;

/// Train a blind super-resolution network (baseline, dropout or feature alignment).
#[derive(clap::Args)]
#[command(
    after_help = "The config is TOML with BasicSR's option names ([network_g], \
[datasets.train], [train.optim_g], [train.scheduler], [val], [logger]) plus a [regularizer] \
table; tools/configs/ has the paper's settings and small ones for a CPU. A run folder holds \
config.toml, log.jsonl (one JSON object per logged step and validation), checkpoints/ and, at \
the end, model.safetensors (live and EMA weights, loadable by `sralign upscale`).\n\n\
Examples:\n  \
sralign train --config tools/configs/srresnet_tiny_align_linear.toml --output runs/align\n  \
sralign train --config tools/configs/srresnet_tiny_align_linear.toml --output runs/align --resume\n  \
sralign train --config tools/configs/srresnet_tiny_dropout.toml --output runs/dropout --force"
)]
pub struct Args {
    /// Training config (TOML). With --resume it may be omitted: the run's saved config is used
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run folder (default: runs/<name or config file stem>)
    #[arg(long)]
    output: Option<PathBuf>,
    /// Continue the run in --output (or the folder given here) from its newest checkpoint
    #[arg(long, num_args = 0..=1, value_name = "RUN_DIR")]
    resume: Option<Option<PathBuf>>,
    /// Start over in a folder that holds another run (removes its checkpoints and log)
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<()> {
    let resume_dir = a.resume.clone().flatten();
    if let (Some(r), Some(o)) = (&resume_dir, &a.output) {
        if r != o {
            bail!(
                "--resume {} and --output {} name different folders",
                r.display(),
                o.display()
            );
        }
    }
    if a.resume.is_some() && a.force {
        bail!("--resume and --force contradict each other: --resume continues a run, --force starts over");
    }
    let (cfg, output) = match (&a.config, resume_dir.clone().or(a.output.clone())) {
        (Some(c), out) => {
            let cfg = TrainConfig::load(c)?;
            let out = out.unwrap_or_else(|| {
                let stem = cfg.name.clone().unwrap_or_else(|| {
                    c.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "run".into())
                });
                PathBuf::from("runs").join(stem)
            });
            (cfg, out)
        }
        (None, Some(out)) if a.resume.is_some() => {
            if !out.join("config.toml").is_file() {
                bail!("--resume {}: no run there (no config.toml)", out.display());
            }
            (TrainConfig::load(&out.join("config.toml"))?, out)
        }
        _ => bail!(
            "--config is required (or --resume RUN_DIR to continue a run with its saved config)"
        ),
    };
    let opts = RunOptions {
        output: output.clone(),
        resume: a.resume.is_some(),
        force: a.force,
        ..Default::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                // A second Ctrl-C: leave now (the newest complete checkpoint stays valid).
                std::process::exit(130);
            }
        });
    }
    std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    super::safety::check_writable_dir(&output, "--output")?;
    let gpu = super::safety::open_gpu()?;
    eprintln!(
        "adapter: {} ({:?})",
        gpu.summary().name,
        gpu.summary().backend
    );
    let bar = ProgressBar::new(cfg.train.total_iter);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(500));
    let val_every = cfg.val.as_ref().map(|v| v.val_freq);
    let total = cfg.train.total_iter;
    let mut val_secs: Option<f64> = None;
    let mut step_secs: Option<(Instant, u64)> = None;
    let mut on_event = |e: Event| match e {
        Event::Preparing(what) => bar.set_message(what.to_string()),
        Event::Started {
            first_step,
            total,
            resumed_from,
            params,
            method,
        } => {
            bar.set_position(first_step - 1);
            bar.reset_eta();
            bar.set_prefix(method.clone());
            let from = resumed_from
                .map(|s| format!(", resumed at step {s}"))
                .unwrap_or_default();
            say(
                &bar,
                format!(
                "training {method}: {params} parameters, steps {first_step}..={total}{from} -> {}",
                output.display()
            ),
            );
            step_secs = Some((Instant::now(), first_step - 1));
        }
        Event::Step { step } => {
            bar.set_position(step);
            // ETA including the validations still to come.
            if let (Some((t0, s0)), true) = (step_secs, step > 0) {
                let done = step.saturating_sub(s0).max(1) as f64;
                let per = t0.elapsed().as_secs_f64() / done;
                let vals_left = val_every.map(|f| total / f - step / f).unwrap_or(0) as f64;
                let eta = per * (total - step) as f64 + vals_left * val_secs.unwrap_or(0.0);
                bar.set_prefix(format!("eta {}", fmt_secs(eta)));
            }
        }
        Event::Log(r) => {
            let terms: Vec<String> = r
                .losses
                .iter()
                .map(|(k, v)| format!("{k} {}", short(*v)))
                .collect();
            let shares: Vec<String> = r
                .grad_share
                .iter()
                .filter(|(k, _)| k.as_str() != "l1" && k.as_str() != "total")
                .map(|(k, v)| format!("{k} {:.2}%", 100.0 * v))
                .collect();
            let share = if shares.is_empty() {
                String::new()
            } else {
                format!(" | grad share {}", shares.join(", "))
            };
            say(&bar, format!(
                "step {:>7} lr {:.2e} | {}{share} | align mu {:.3} cov {:.3} | {:.2} it/s, data wait {:.3} s/step",
                r.step, r.lr, terms.join(", "), r.align_mu_rel, r.align_cov_rel, r.it_per_s, r.data_wait_s
            ));
            bar.set_message(format!(
                "l1 {:.4}",
                r.losses.get("l1").copied().unwrap_or(f64::NAN)
            ));
        }
        Event::ValStarted { step, images } => {
            bar.set_message(format!("validating step {step} on {images} images"))
        }
        Event::ValImage { done, total } => bar.set_message(format!("validating {done}/{total}")),
        Event::Val(r) => {
            val_secs = Some(r.seconds);
            let m: Vec<String> = r
                .metrics
                .iter()
                .map(|(k, v)| format!("{k} {v:.4}"))
                .collect();
            say(
                &bar,
                format!(
                    "val   {:>7} ({}{} images, {:.1} s): {}",
                    r.step,
                    if r.ema { "EMA, " } else { "" },
                    r.images,
                    r.seconds,
                    m.join(", ")
                ),
            );
        }
        Event::Checkpoint { step, path } => {
            say(&bar, format!("checkpoint {step} -> {}", path.display()))
        }
    };
    let res = train::train(&gpu, &cfg, &opts, &stop, &mut on_event);
    bar.finish_and_clear();
    let s = res?;
    match s.outcome {
        Outcome::Finished => {
            println!(
                "finished {} steps ({:.3} s/step); weights: {}",
                s.step,
                s.step_seconds,
                s.final_weights
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            if let Some(v) = &s.last_val {
                let m: Vec<String> = v
                    .metrics
                    .iter()
                    .map(|(k, x)| format!("{k} {x:.4}"))
                    .collect();
                println!("last validation: {}", m.join(", "));
            }
        }
        Outcome::Interrupted => {
            println!(
                "interrupted after step {}; checkpoint {}; continue with: sralign train --resume {}",
                s.step,
                s.last_checkpoint.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                output.display()
            );
        }
        Outcome::Halted => {}
    }
    Ok(())
}

/// A loss value readable at any size (0.0523, 3.1e-7).
fn short(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

fn fmt_secs(s: f64) -> String {
    let s = s.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

//! Comparing methods (DESIGN.md section 7): `compare` trains each method x seed from one base
//! config (same data order per seed across methods), evaluates every run on the test sets, and
//! `write_report` turns runs into the paper's Table 2 layout with mean +- std over seeds, the
//! difference of each method to the baseline with a 95% confidence interval (paired over
//! images and seeds), the mechanism (the regulariser's gradient share, feature-statistics
//! distances between degraded copies), and figures (PSNR bars, training curves, crops).
//!
//! Report sits above train and eval; it never prints: progress goes through `Event`s.

pub mod plot;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::data::degrade::TestSetting;
use crate::data::{io, Image};
use crate::eval::stats::{mean_std, paired_ci, Interval};
use crate::eval::testset::{evaluate, EvalOpts, EvalResult, ImageScore, TestSet};
use crate::gpu::Gpu;
use crate::models;
use crate::nn::weights::{self, WeightsKey};
use crate::train::regularizer::{DropoutCfg, RegularizerCfg};
use crate::train::{self, checkpoint, RunOptions, TrainConfig};

/// The regulariser of a named method, taking each term's settings from `menu` (the base
/// config's [regularizer] table, which lists the settings of every term a comparison uses).
/// Names: baseline, dropout, align-linear, align-rff, align-pooled, feature-l2, or several
/// joined by '+' (e.g. dropout+align-linear).
pub fn method_regularizer(menu: &RegularizerCfg, method: &str) -> Result<RegularizerCfg> {
    let mut r = RegularizerCfg::default();
    if method == "baseline" {
        return Ok(r);
    }
    let need = |what: &str| {
        anyhow!(
            "method {method}: the base config's [regularizer] has no {what} table (it lists each term's weight for the comparison)"
        )
    };
    for part in method.split('+') {
        match part {
            "dropout" => r.dropout = Some(menu.dropout.clone().unwrap_or(DropoutCfg { p: None })),
            "align-linear" => r.align_linear = Some(menu.align_linear.clone().ok_or_else(|| need("align_linear"))?),
            "align-rff" => {
                r.align_rff = Some(menu.align_rff.clone().ok_or_else(|| need("align_rff"))?);
            }
            "align-pooled" => r.align_pooled = Some(menu.align_pooled.clone().ok_or_else(|| need("align_pooled"))?),
            "feature-l2" => r.feature_l2 = Some(menu.feature_l2.clone().ok_or_else(|| need("feature_l2"))?),
            other => bail!(
                "unknown method {other:?} in {method:?}: baseline, dropout, align-linear, align-rff, align-pooled, feature-l2 (joined by '+')"
            ),
        }
    }
    Ok(r)
}

/// The config of one method x seed of a comparison.
pub fn run_config(base: &TrainConfig, method: &str, seed: u64) -> Result<TrainConfig> {
    let mut c = base.clone();
    c.regularizer = method_regularizer(&base.regularizer, method)?;
    c.manual_seed = seed;
    c.name = Some(format!("{method}_seed{seed}"));
    c.validate()?;
    Ok(c)
}

pub struct CompareOpts {
    pub methods: Vec<String>,
    pub seeds: Vec<u64>,
    /// Folders written by `sralign degrade`.
    pub tests: Vec<PathBuf>,
    pub output: PathBuf,
    pub tile: Option<usize>,
    pub tile_overlap: usize,
    /// Default: the scale.
    pub crop_border: Option<usize>,
    /// LPIPS on the engine (None: not measured; say why in the report).
    pub lpips: Option<crate::eval::lpips::Lpips>,
}

pub enum Event<'a> {
    RunStarted {
        method: &'a str,
        seed: u64,
        index: usize,
        total: usize,
        resumed: bool,
        skipped: bool,
    },
    Train(train::Event<'a>),
    EvalStarted {
        method: &'a str,
        seed: u64,
        images: usize,
    },
    EvalImage {
        done: usize,
        total: usize,
    },
    Wrote(&'a Path),
}

/// One evaluated run, as a report reads it back from its folder.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub method: String,
    pub seed: u64,
    pub dir: PathBuf,
    pub config: TrainConfig,
    pub eval: EvalResult,
    pub log: Vec<Value>,
}

const EVAL_FILE: &str = "eval.json";

/// Train (or resume, or reuse a finished run) and evaluate every method x seed; then write
/// the report. Returns the report's path.
pub fn compare(
    gpu: &Gpu,
    base: &TrainConfig,
    opts: &CompareOpts,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Result<PathBuf> {
    if opts.methods.is_empty() || opts.seeds.is_empty() {
        bail!("compare: give at least one method and one seed");
    }
    if !opts.methods.iter().any(|m| m == "baseline") {
        bail!("compare: the methods must include baseline (every difference is taken to it)");
    }
    let mut sets = Vec::new();
    for t in &opts.tests {
        sets.push(TestSet::open(t)?);
    }
    if sets.is_empty() {
        bail!("compare: no test folder (make one with `sralign degrade`)");
    }
    // Check every method before the first (long) run.
    for m in &opts.methods {
        for s in &opts.seeds {
            run_config(base, m, *s)?;
        }
    }
    std::fs::create_dir_all(&opts.output)
        .with_context(|| format!("creating {}", opts.output.display()))?;
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    checkpoint::write_atomic(
        &opts.output.join("compare.json"),
        serde_json::to_string_pretty(&json!({
            "methods": opts.methods,
            "seeds": opts.seeds,
            "tests": opts.tests.iter().map(|t| abs(t)).collect::<Vec<_>>(),
        }))?
        .as_bytes(),
    )?;
    let total = opts.methods.len() * opts.seeds.len();
    let mut dirs = Vec::new();
    let mut index = 0;
    for &seed in &opts.seeds {
        for method in &opts.methods {
            index += 1;
            let cfg = run_config(base, method, seed)?;
            let dir = opts
                .output
                .join("runs")
                .join(format!("{method}_seed{seed}"));
            let finished = dir.join("model.safetensors").exists();
            let has_run = dir.join("config.toml").exists();
            if has_run {
                let old = TrainConfig::load(&dir.join("config.toml"))?;
                let diff = old.differences(&cfg)?;
                if !diff.is_empty() {
                    bail!(
                        "{} holds a run with another config ({}): remove it or choose another --output",
                        dir.display(),
                        diff.join("; ")
                    );
                }
            }
            let resume = has_run && !finished && checkpoint::latest(&dir)?.is_some();
            on_event(Event::RunStarted {
                method,
                seed,
                index,
                total,
                resumed: resume,
                skipped: finished,
            });
            if !finished {
                let ro = RunOptions {
                    output: dir.clone(),
                    resume,
                    force: has_run && !resume,
                    ..Default::default()
                };
                let s = train::train(gpu, &cfg, &ro, stop, &mut |e| on_event(Event::Train(e)))?;
                if s.outcome != train::Outcome::Finished {
                    bail!("interrupted during {method} seed {seed}; run the same command again to continue");
                }
            }
            if !dir.join(EVAL_FILE).exists() {
                let mcfg = cfg.model_config()?;
                let model = models::build(gpu, &mcfg, 0)?;
                weights::load(
                    &dir.join("model.safetensors"),
                    &model.params(),
                    WeightsKey::Auto,
                    model.arch(),
                )?;
                let images: usize = sets.iter().map(|s| s.len()).sum();
                on_event(Event::EvalStarted {
                    method,
                    seed,
                    images,
                });
                let mut all = EvalResult::default();
                let mut done = 0;
                let perceptual = |x: &Image, y: &Image| -> Result<f64> {
                    opts.lpips.as_ref().expect("checked").distance(x, y)
                };
                for set in &sets {
                    let eo = EvalOpts {
                        tile: opts.tile,
                        overlap: opts.tile_overlap,
                        crop_border: opts.crop_border.unwrap_or(model.scale()),
                        save_dir: Some(dir.join("sr")),
                        features: true,
                        perceptual: opts
                            .lpips
                            .as_ref()
                            .map(|_| &perceptual as crate::eval::testset::Perceptual),
                    };
                    let r = evaluate(gpu, model.as_ref(), set, &eo, &mut |_, _, _| {
                        done += 1;
                        on_event(Event::EvalImage {
                            done,
                            total: images,
                        });
                    })?;
                    all.scores.extend(r.scores);
                    all.features.extend(r.features);
                }
                checkpoint::write_atomic(
                    &dir.join(EVAL_FILE),
                    serde_json::to_string_pretty(&all)?.as_bytes(),
                )?;
            }
            dirs.push(dir);
        }
    }
    let runs = load_runs(&dirs)?;
    let p = write_report(&opts.output, &runs)?;
    on_event(Event::Wrote(&p));
    Ok(p)
}

/// Read runs (config, evaluation, log) from their folders.
pub fn load_runs(dirs: &[PathBuf]) -> Result<Vec<RunResult>> {
    let mut out = Vec::new();
    for d in dirs {
        let config = TrainConfig::load(&d.join("config.toml"))?;
        let ep = d.join(EVAL_FILE);
        let eval: EvalResult =
            serde_json::from_str(&std::fs::read_to_string(&ep).with_context(|| {
                format!(
                    "{}: not evaluated yet (run `sralign compare`, or `sralign eval` into it)",
                    ep.display()
                )
            })?)
            .with_context(|| format!("parsing {}", ep.display()))?;
        let lp = d.join("log.jsonl");
        let log = std::fs::read_to_string(&lp)
            .with_context(|| format!("reading {}", lp.display()))?
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        out.push(RunResult {
            method: config.regularizer.method_name(),
            seed: config.manual_seed,
            dir: d.clone(),
            config,
            eval,
            log,
        });
    }
    Ok(out)
}

fn setting_rank(s: &str) -> usize {
    TestSetting::ALL
        .iter()
        .position(|t| t.name() == s)
        .unwrap_or(99)
}

/// PSNR of one (set, setting, image) per run: key -> value.
fn psnr_map(r: &RunResult) -> BTreeMap<(String, String, String), f64> {
    r.eval
        .scores
        .iter()
        .map(|s| ((s.set.clone(), s.setting.clone(), s.image.clone()), s.psnr))
        .collect()
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Cell {
    pub mean: f64,
    pub std: f64,
    pub seeds: usize,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct MethodRow {
    pub method: String,
    /// Per setting (and "mean"): PSNR mean over images, then mean +- std over seeds.
    pub psnr: BTreeMap<String, Cell>,
    pub ssim: BTreeMap<String, Cell>,
    /// Present when every run measured LPIPS (lower is better).
    pub lpips: Option<BTreeMap<String, Cell>>,
    /// Per setting (and "mean"): the difference to the baseline, paired over images and seeds.
    pub diff: BTreeMap<String, Interval>,
    pub verdict: String,
    /// Mean share of the regulariser's terms in the gradient over the logged steps.
    pub grad_share: Option<f64>,
    /// Training: the relative distance of the halves' feature covariance, mean over the last
    /// quarter of the logged steps.
    pub train_cov_rel: Option<f64>,
    /// Test: ||mu - mu_clean|| / ||mu_clean|| and the same for Sigma, mean over images,
    /// degraded settings and seeds.
    pub test_mu_rel: Option<f64>,
    pub test_cov_rel: Option<f64>,
}

/// Build the report (report.md, report.json, figures) in `out` from evaluated runs.
pub fn write_report(out: &Path, runs: &[RunResult]) -> Result<PathBuf> {
    if runs.is_empty() {
        bail!("report: no runs");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // Every run must hold the same test images.
    let keys0: Vec<_> = psnr_map(&runs[0]).into_keys().collect();
    for r in &runs[1..] {
        let k: Vec<_> = psnr_map(r).into_keys().collect();
        if k != keys0 {
            bail!(
                "{}: evaluated on other test images than {} ({} vs {} image x setting results): runs of different test sets cannot share a report",
                r.dir.join(EVAL_FILE).display(),
                runs[0].dir.join(EVAL_FILE).display(),
                k.len(),
                keys0.len()
            );
        }
    }
    let mut methods: Vec<String> = Vec::new();
    for r in runs {
        if !methods.contains(&r.method) {
            methods.push(r.method.clone());
        }
    }
    let Some(base_name) = methods.iter().find(|m| *m == "baseline").cloned() else {
        bail!("report: no baseline run among {methods:?}");
    };
    let mut sets: Vec<String> = keys0.iter().map(|k| k.0.clone()).collect();
    sets.dedup();
    let mut settings: Vec<String> = keys0.iter().map(|k| k.1.clone()).collect();
    settings.sort_by_key(|s| (setting_rank(s), s.clone()));
    settings.dedup();
    let runs_of = |m: &str| -> Vec<&RunResult> {
        let mut v: Vec<&RunResult> = runs.iter().filter(|r| r.method == m).collect();
        v.sort_by_key(|r| r.seed);
        v
    };
    let base_seeds: Vec<u64> = runs_of(&base_name).iter().map(|r| r.seed).collect();

    let mut md = String::new();
    let c0 = &runs[0].config;
    let _ = writeln!(md, "# Method comparison\n");
    let _ = writeln!(
        md,
        "Network: `{}` ({}), {} steps, GT {} x {}, {} GT crops per step (each degraded twice), {} degradations; seeds {:?}; methods {}.\n",
        c0.network_g.get("type").and_then(|v| v.as_str()).unwrap_or("?"),
        c0.network_g.iter().filter(|(k, _)| *k != "type").map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
        c0.train.total_iter,
        c0.datasets.train.gt_size,
        c0.datasets.train.gt_size,
        c0.datasets.train.batch_size,
        c0.datasets.train.degradation,
        base_seeds,
        methods.join(", ")
    );
    let _ = writeln!(md, "PSNR and SSIM on RGB with crop_border = scale, the EMA weights when the run kept them. A cell is the mean over the test images, then mean +- standard deviation over seeds. A difference to the baseline is paired over images and seeds, with its 95% t-interval.\n");

    let mut json_sets = Vec::new();
    for set in &sets {
        let mut rows: Vec<MethodRow> = Vec::new();
        for m in &methods {
            let rs = runs_of(m);
            let per_seed = |metric: &dyn Fn(&ImageScore) -> f64, setting: &str| -> Vec<f64> {
                rs.iter()
                    .map(|r| {
                        let v: Vec<f64> = r
                            .eval
                            .scores
                            .iter()
                            .filter(|s| {
                                &s.set == set && (setting == "mean" || s.setting == setting)
                            })
                            .map(metric)
                            .collect();
                        v.iter().sum::<f64>() / v.len().max(1) as f64
                    })
                    .collect()
            };
            let mut psnr = BTreeMap::new();
            let mut ssim = BTreeMap::new();
            let has_lpips = rs
                .iter()
                .all(|r| r.eval.scores.iter().all(|s| s.lpips.is_some()));
            let mut lpips = BTreeMap::new();
            let mut diff = BTreeMap::new();
            for st in settings.iter().map(String::as_str).chain(["mean"]) {
                let (pm, ps) = mean_std(&per_seed(&|s| s.psnr, st));
                psnr.insert(
                    st.to_string(),
                    Cell {
                        mean: pm,
                        std: ps,
                        seeds: rs.len(),
                    },
                );
                let (sm, ss) = mean_std(&per_seed(&|s| s.ssim, st));
                ssim.insert(
                    st.to_string(),
                    Cell {
                        mean: sm,
                        std: ss,
                        seeds: rs.len(),
                    },
                );
                if has_lpips {
                    let (lm, ls) = mean_std(&per_seed(&|s| s.lpips.unwrap_or(f64::NAN), st));
                    lpips.insert(
                        st.to_string(),
                        Cell {
                            mean: lm,
                            std: ls,
                            seeds: rs.len(),
                        },
                    );
                }
                // Paired over (image, seed): the baseline run of the same seed.
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for r in &rs {
                    let Some(br) = runs_of(&base_name).into_iter().find(|x| x.seed == r.seed)
                    else {
                        continue;
                    };
                    let (pa, pb) = (psnr_map(r), psnr_map(br));
                    let imgs: Vec<&String> = {
                        let mut v: Vec<&String> =
                            pa.keys().filter(|k| &k.0 == set).map(|k| &k.2).collect();
                        v.sort();
                        v.dedup();
                        v
                    };
                    for img in imgs {
                        let avg = |p: &BTreeMap<(String, String, String), f64>| {
                            let v: Vec<f64> = settings
                                .iter()
                                .filter(|s| st == "mean" || *s == st)
                                .filter_map(|s| {
                                    p.get(&(set.clone(), s.clone(), img.clone())).copied()
                                })
                                .collect();
                            v.iter().sum::<f64>() / v.len().max(1) as f64
                        };
                        a.push(avg(&pa));
                        b.push(avg(&pb));
                    }
                }
                if !a.is_empty() {
                    diff.insert(st.to_string(), paired_ci(&a, &b));
                }
            }
            let d = diff.get("mean").copied();
            let base_std = runs_of(&base_name).len();
            let spread = {
                let own = psnr["mean"].std;
                let b = rows
                    .first()
                    .map(|r: &MethodRow| r.psnr["mean"].std)
                    .unwrap_or(0.0);
                own.max(b)
            };
            let verdict = if *m == base_name {
                "reference".to_string()
            } else {
                match d {
                    Some(i) if i.n >= 2 => {
                        let within_seed = base_std >= 2 && i.mean.abs() <= spread;
                        if i.contains_zero() || within_seed {
                            format!(
                                "within noise: {:+.3} dB, 95% CI [{:+.3}, {:+.3}]{}",
                                i.mean,
                                i.lo,
                                i.hi,
                                if within_seed {
                                    format!(", inside the seed spread {spread:.3} dB")
                                } else {
                                    String::new()
                                }
                            )
                        } else {
                            format!(
                                "{} than the baseline by {:.3} dB (95% CI [{:+.3}, {:+.3}])",
                                if i.mean > 0.0 { "better" } else { "worse" },
                                i.mean.abs(),
                                i.lo,
                                i.hi
                            )
                        }
                    }
                    _ => "too few paired values for an interval".into(),
                }
            };
            // Mechanism.
            let shares: Vec<f64> = rs
                .iter()
                .flat_map(|r| r.log.iter())
                .filter(|v| v["kind"] == "train")
                .filter_map(|v| {
                    let g = v["grad_share"].as_object()?;
                    let s: f64 = g
                        .iter()
                        .filter(|(k, _)| *k != "l1")
                        .filter_map(|(_, x)| x.as_f64())
                        .sum();
                    (!g.is_empty()).then_some(s)
                })
                .collect();
            let cov: Vec<f64> = rs
                .iter()
                .flat_map(|r| {
                    let t: Vec<&Value> = r.log.iter().filter(|v| v["kind"] == "train").collect();
                    let n = t.len();
                    t.into_iter()
                        .skip(n - n.div_ceil(4))
                        .filter_map(|v| v["align_cov_rel"].as_f64())
                        .collect::<Vec<_>>()
                })
                .collect();
            let feats: Vec<(f64, f64)> = rs
                .iter()
                .flat_map(|r| {
                    r.eval
                        .features
                        .iter()
                        .filter(|f| &f.set == set)
                        .map(|f| (f.mu_rel, f.cov_rel))
                })
                .collect();
            let avg = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            let has_reg = m != "baseline" && m != "dropout";
            rows.push(MethodRow {
                method: m.clone(),
                psnr,
                ssim,
                lpips: has_lpips.then_some(lpips),
                diff,
                verdict,
                grad_share: if has_reg { avg(&shares) } else { None },
                train_cov_rel: avg(&cov),
                test_mu_rel: avg(&feats.iter().map(|f| f.0).collect::<Vec<_>>()),
                test_cov_rel: avg(&feats.iter().map(|f| f.1).collect::<Vec<_>>()),
            });
        }
        // Tables.
        let cols: Vec<String> = settings
            .iter()
            .cloned()
            .chain(["mean".to_string()])
            .collect();
        let all_lpips = rows.iter().all(|r| r.lpips.is_some());
        let tables: &[(&str, usize, usize)] = if all_lpips {
            &[
                ("PSNR (dB)", 0, 2),
                ("SSIM", 1, 4),
                ("LPIPS (AlexNet, lower is better)", 2, 4),
            ]
        } else {
            &[("PSNR (dB)", 0, 2), ("SSIM", 1, 4)]
        };
        for &(title, pick, digits) in tables {
            let _ = writeln!(md, "## {set}: {title}\n");
            let _ = writeln!(md, "| method | {} |", cols.join(" | "));
            let _ = writeln!(md, "|---|{}", "---|".repeat(cols.len()));
            for r in &rows {
                let t = match pick {
                    0 => &r.psnr,
                    1 => &r.ssim,
                    _ => r.lpips.as_ref().expect("all rows have LPIPS"),
                };
                let cells: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        let x = &t[c];
                        if x.seeds >= 2 {
                            format!("{:.d$} ± {:.d$}", x.mean, x.std, d = digits)
                        } else {
                            format!("{:.d$}", x.mean, d = digits)
                        }
                    })
                    .collect();
                let _ = writeln!(md, "| {} | {} |", r.method, cells.join(" | "));
            }
            md.push('\n');
        }
        if !all_lpips {
            let _ = writeln!(md, "LPIPS: not measured (its weights were not available when the runs were evaluated; tools/setup.sh fetches them).\n");
        }
        let _ = writeln!(
            md,
            "## {set}: PSNR difference to the baseline (dB, 95% CI paired over images and seeds)\n"
        );
        let _ = writeln!(md, "| method | {} |", cols.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(cols.len()));
        let mut starred = false;
        for r in rows.iter().filter(|r| r.method != base_name) {
            let cells: Vec<String> = cols
                .iter()
                .map(|c| match r.diff.get(c) {
                    Some(i) => format!(
                        "{:+.3} [{:+.3}, {:+.3}]{}",
                        i.mean,
                        i.lo,
                        i.hi,
                        if i.contains_zero() {
                            ""
                        } else {
                            starred = true;
                            " *"
                        }
                    ),
                    None => "n/a".into(),
                })
                .collect();
            let _ = writeln!(md, "| {} | {} |", r.method, cells.join(" | "));
        }
        let _ = writeln!(
            md,
            "\n{}\n",
            if starred {
                "(* the interval excludes zero.)"
            } else {
                "(Every interval contains zero.)"
            }
        );
        let _ = writeln!(md, "### In words\n");
        for r in rows.iter().filter(|r| r.method != base_name) {
            let _ = writeln!(
                md,
                "- **{}**, mean over the degradations: {}.",
                r.method, r.verdict
            );
        }
        let _ = writeln!(md, "\n## {set}: mechanism\n");
        let _ = writeln!(md, "| method | regulariser's gradient share (mean over logged steps) | training: covariance distance of the two halves (last quarter) | test: mean distance to clean (mu) | test: covariance distance to clean |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        let f = |v: Option<f64>, pct: bool| match v {
            Some(x) if pct => format!("{:.2}%", 100.0 * x),
            Some(x) => format!("{x:.4}"),
            None => "n/a".into(),
        };
        for r in &rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                r.method,
                f(r.grad_share, true),
                f(r.train_cov_rel, false),
                f(r.test_mu_rel, false),
                f(r.test_cov_rel, false)
            );
        }
        let _ = writeln!(md, "\nDistances are relative (||difference|| / ||clean statistic||) on the regularised feature; the alignment regulariser is meant to make them small.\n");
        // Figure: PSNR bars.
        let png = format!("psnr_{}.png", sanitize(set));
        let series: Vec<(String, Vec<(f64, f64)>)> = rows
            .iter()
            .map(|r| {
                (
                    r.method.clone(),
                    cols.iter()
                        .map(|c| (r.psnr[c].mean, r.psnr[c].std))
                        .collect(),
                )
            })
            .collect();
        plot::bars(
            &out.join(&png),
            &format!("{set}: PSNR per degradation (mean ± std over seeds)"),
            "PSNR (dB)",
            &cols,
            &series,
        )?;
        let _ = writeln!(md, "![PSNR per degradation]({png})\n");
        json_sets.push(json!({"set": set, "settings": cols, "rows": rows}));
    }

    // Training curves.
    let curve =
        |key: &dyn Fn(&Value) -> Option<f64>, kind: &str| -> Vec<(String, Vec<(f64, f64)>)> {
            runs.iter()
                .map(|r| {
                    let pts = r
                        .log
                        .iter()
                        .filter(|v| v["kind"] == kind)
                        .filter_map(|v| Some((v["step"].as_f64()?, key(v)?)))
                        .collect();
                    (format!("{} s{}", r.method, r.seed), pts)
                })
                .filter(|(_, p): &(String, Vec<(f64, f64)>)| !p.is_empty())
                .collect()
        };
    let loss = curve(&|v| v["losses"]["l1"].as_f64(), "train");
    if !loss.is_empty() {
        plot::lines(
            &out.join("curves_l1.png"),
            "Training L1 loss (logged steps)",
            "step",
            "L1",
            &loss,
        )?;
        let _ = writeln!(md, "## Training curves\n\n![L1](curves_l1.png)\n");
    }
    let val = curve(&|v| v["metrics"]["psnr"].as_f64(), "val");
    if !val.is_empty() {
        plot::lines(
            &out.join("curves_val_psnr.png"),
            "Validation PSNR",
            "step",
            "PSNR (dB)",
            &val,
        )?;
        let _ = writeln!(md, "![validation PSNR](curves_val_psnr.png)\n");
    }
    let share = curve(
        &|v| {
            let g = v["grad_share"].as_object()?;
            (!g.is_empty()).then(|| {
                g.iter()
                    .filter(|(k, _)| *k != "l1")
                    .filter_map(|(_, x)| x.as_f64())
                    .sum::<f64>()
                    * 100.0
            })
        },
        "train",
    );
    let share: Vec<_> = share
        .into_iter()
        .filter(|(n, _)| !n.starts_with("baseline") && !n.starts_with("dropout "))
        .collect();
    if !share.is_empty() {
        plot::lines(
            &out.join("curves_grad_share.png"),
            "Regulariser's share of the gradient",
            "step",
            "share (%)",
            &share,
        )?;
        let _ = writeln!(md, "![gradient share](curves_grad_share.png)\n");
    }

    // Side-by-side crops of the first test image on the hardest setting present.
    if let Some(p) = crops(
        out,
        runs,
        &methods,
        &sets[0],
        settings.last().map(String::as_str).unwrap_or("clean"),
    )? {
        let _ = writeln!(
            md,
            "## Crops ({}, {})\n\n![crops]({p})\n",
            sets[0],
            settings.last().cloned().unwrap_or_default()
        );
    }
    let mdp = out.join("report.md");
    std::fs::write(&mdp, &md).with_context(|| format!("writing {}", mdp.display()))?;
    let js = json!({
        "runs": runs.iter().map(|r| json!({"method": r.method, "seed": r.seed, "dir": r.dir})).collect::<Vec<_>>(),
        "sets": json_sets,
    });
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&js)?)
        .with_context(|| format!("writing {}", out.join("report.json").display()))?;
    Ok(mdp)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// HR, LR (nearest-upscaled) and each method's SR of one image, centre crops, first seed.
fn crops(
    out: &Path,
    runs: &[RunResult],
    methods: &[String],
    set: &str,
    setting: &str,
) -> Result<Option<String>> {
    let first = &runs[0];
    let Some(img) = first
        .eval
        .scores
        .iter()
        .find(|s| s.set == set && s.setting == setting)
        .map(|s| s.image.clone())
    else {
        return Ok(None);
    };
    let test_dir = find_test_dir(runs, set);
    let hr = test_dir
        .as_ref()
        .and_then(|d| io::load_image(d.join("HR").join(format!("{img}.png"))).ok());
    // The most textured 96 x 96 window of the HR image (largest variance on a 16-pixel grid),
    // or the centre when the HR image is not at hand.
    let side = 96usize;
    let window = |h: usize, w: usize| -> (usize, usize, usize) {
        let s = side.min(h).min(w);
        let Some(hr) = hr.as_ref().filter(|x| (x.h, x.w) == (h, w)) else {
            return ((h - s) / 2, (w - s) / 2, s);
        };
        let mut best = (f64::NEG_INFINITY, 0, 0);
        for y in (0..=h - s).step_by(16) {
            for x in (0..=w - s).step_by(16) {
                let c = hr.crop(y, x, s, s);
                let n = c.data.len() as f64;
                let m = c.data.iter().map(|v| *v as f64).sum::<f64>() / n;
                let var = c.data.iter().map(|v| (*v as f64 - m).powi(2)).sum::<f64>() / n;
                if var > best.0 {
                    best = (var, y, x);
                }
            }
        }
        (best.1, best.2, s)
    };
    let mut row = Vec::new();
    let mut hr_size = None;
    for m in methods {
        let Some(r) = runs
            .iter()
            .filter(|r| &r.method == m)
            .min_by_key(|r| r.seed)
        else {
            continue;
        };
        let p = r
            .dir
            .join("sr")
            .join(set)
            .join(setting)
            .join(format!("{img}.png"));
        if !p.exists() {
            return Ok(None);
        }
        let sr = io::load_image(&p)?;
        hr_size = Some((sr.h, sr.w));
        let (y, x, s) = window(sr.h, sr.w);
        let score = r
            .eval
            .scores
            .iter()
            .find(|s| s.set == set && s.setting == setting && s.image == img)
            .map(|s| s.psnr)
            .unwrap_or(f64::NAN);
        row.push((format!("{m}\n{score:.2} dB"), sr.crop(y, x, s, s)));
    }
    let Some((h, w)) = hr_size else {
        return Ok(None);
    };
    let (y0, x0, s) = window(h, w);
    // The LR input, nearest-neighbour upscaled to the SR size, and the HR, for reference.
    let scale = runs[0].config.scale();
    if let (Some(d), Some(hr)) = (&test_dir, &hr) {
        if let Ok(lr) = io::load_image(d.join(setting).join(format!("{img}.png"))) {
            let mut up = Image::zeros(s, s, 3);
            for y in 0..s {
                for x in 0..s {
                    for c in 0..3 {
                        let (sy, sx) = ((y0 + y) / scale, (x0 + x) / scale);
                        up.data[(y * s + x) * 3 + c] = lr.at(sy.min(lr.h - 1), sx.min(lr.w - 1), c);
                    }
                }
            }
            row.insert(0, (format!("LR\n({setting})"), up));
            if (hr.h, hr.w) == (h, w) {
                row.insert(0, ("HR\n".to_string(), hr.crop(y0, x0, s, s)));
            }
        }
    }
    let name = format!("crops_{}.png", sanitize(set));
    plot::grid(&out.join(&name), &[row])?;
    Ok(Some(name))
}

/// The test folder a run was evaluated on, from the comparison's layout (OUT/runs/RUN and the
/// test folders named in OUT/compare.json) when known.
fn find_test_dir(runs: &[RunResult], set: &str) -> Option<PathBuf> {
    let out = runs[0].dir.parent()?.parent()?;
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).ok()?).ok()?;
    v["tests"]
        .as_array()?
        .iter()
        .filter_map(|t| t.as_str())
        .map(PathBuf::from)
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == set))
}

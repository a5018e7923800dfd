//! `sralign demo`: the main job on the bundled images — train a tiny SRResNet with no
//! regulariser, with channel dropout and with the paper's feature alignment, evaluate all
//! three on the eight test degradations of Kong et al., and write the comparison report.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sralign::data::degrade::{test_degrade, TestDegradation, TestSetting};
use sralign::data::{derive_seed, io, name_seed};
use sralign::report::{self, CompareOpts};
use sralign::train::TrainConfig;

use super::compare::{print_summary, stop_on_ctrl_c, Progress};

const CONFIG: &str = include_str!("../../tools/configs/demo.toml");

/// Train baseline, dropout and alignment on the bundled photos and compare them.
#[derive(clap::Args)]
#[command(
    after_help = "Everything goes to --output (default demo_out/): the test degradations \
(test/), the runs (runs/<method>_seed0/), and report.md with its figures. Running it again \
reuses finished runs and resumes interrupted ones; --force starts over.\n\nExamples:\n  \
sralign demo\n  sralign demo --quick --output /tmp/demo_quick"
)]
pub struct Args {
    /// The same path in under 2 minutes: a few steps on small crops (a smoke test, not a result)
    #[arg(long)]
    quick: bool,
    /// Folder with train/ and test/ images (the bundled set)
    #[arg(long, default_value = "data")]
    data: PathBuf,
    #[arg(long, default_value = "demo_out")]
    output: PathBuf,
    /// Remove an earlier demo in --output first
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<()> {
    let t0 = Instant::now();
    let train_dir = a.data.join("train");
    let test_src = a.data.join("test");
    if !train_dir.is_dir() || !test_src.is_dir() {
        bail!(
            "--data {}: needs train/ and test/ folders (run from the repository root, or give --data)",
            a.data.display()
        );
    }
    let mut cfg: TrainConfig = TrainConfig::parse(CONFIG).context("the embedded demo config")?;
    cfg.datasets.train.dataroot_gt = train_dir;
    if a.quick {
        cfg.train.total_iter = 12;
        cfg.datasets.train.gt_size = 32;
        cfg.datasets.train.batch_size = 2;
        cfg.logger.print_freq = 4;
        cfg.logger.save_checkpoint_freq = 6;
        cfg.train.scheduler = None;
        cfg.name = Some("demo-quick".into());
    }
    cfg.validate()?;
    let marker = a.output.join("compare.json");
    if a.output.exists() && std::fs::read_dir(&a.output)?.next().is_some() && !marker.exists() {
        bail!(
            "{} holds something other than a demo: choose another --output",
            a.output.display()
        );
    }
    if a.force && marker.exists() {
        for d in ["runs", "test"] {
            let p = a.output.join(d);
            if p.exists() {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    }
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    super::safety::check_writable_dir(&a.output, "--output")?;
    // The eight test degradations (Kong et al.'s protocol) of the bundled test photos.
    let test_dir = a.output.join("test");
    let (files, _) = io::list_images(&test_src)?;
    let files: Vec<PathBuf> = if a.quick {
        files.into_iter().take(2).collect()
    } else {
        files
    };
    if files.is_empty() {
        bail!("{}: no test images", test_src.display());
    }
    let tcfg = TestDegradation::default();
    let p = Progress::new();
    p.line(format!(
        "demo: {} test photos x 8 degradations -> {}",
        files.len(),
        test_dir.display()
    ));
    for f in &files {
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let hr_path = test_dir.join("HR").join(format!("{name}.png"));
        let mut hr = io::load_image(f)?;
        if a.quick {
            hr = hr.crop(0, 0, hr.h.min(64), hr.w.min(64));
        }
        let hr = sralign::data::degrade::mod_crop(&hr, 4);
        io::save_image(&hr_path, &hr)?;
        let seed = derive_seed(0, name_seed(&name), 0);
        for s in TestSetting::ALL {
            let lr = test_degrade(&hr, 4, s, &tcfg, seed)?;
            io::save_image(test_dir.join(s.name()).join(format!("{name}.png")), &lr)?;
        }
    }
    let opts = CompareOpts {
        methods: vec![
            "baseline".into(),
            "dropout".into(),
            "align-linear+align-rff".into(),
        ],
        seeds: vec![0],
        tests: vec![test_dir],
        output: a.output.clone(),
        tile: None,
        tile_overlap: 16,
        crop_border: None,
        lpips: None,
    };
    let stop = stop_on_ctrl_c();
    let gpu = super::safety::open_gpu()?;
    p.line(format!(
        "adapter: {} ({:?})",
        gpu.summary().name,
        gpu.summary().backend
    ));
    let mut opts = opts;
    opts.lpips = super::compare::load_lpips(&gpu, &p)?;
    let r = report::compare(&gpu, &cfg, &opts, &stop, &mut |e| p.event(e));
    p.finish();
    let path = r?;
    print_summary(&path)?;
    println!(
        "demo took {:.0} s on {}",
        t0.elapsed().as_secs_f64(),
        gpu.summary().name
    );
    Ok(())
}

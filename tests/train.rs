//! Training: the regularisers (zero on identical pairs, f64 references, finite differences
//! through a tiny model), the loop (the loss falls), exact resume after a kill, NaN stops with
//! the last checkpoint intact, bad configs name the key, run folders are never overwritten.
mod common;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use common::gpu;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::models::{self, Arch, ModelConfig, SrModel};
use sralign::ops::{covariance, rff, spatial_mean};
use sralign::train::regularizer::{self, Normalize, RegularizerCfg};
use sralign::train::{self, checkpoint, Event, Outcome, RunOptions, TrainConfig};
use sralign::{autograd, Tensor};

fn rand_vec(seed: u64, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// f64 reference of align_linear on x [2P, C, HW].
fn align_linear_ref(x: &[f64], rows: usize, c: usize, hw: usize, norm: Normalize) -> f64 {
    let mu = spatial_mean::reference::spatial_mean(x, rows, c, hw);
    let cov = covariance::reference::covariance(x, rows, c, hw);
    let p = rows / 2;
    let (fm, fc) = norm.factors(c);
    let mut total = 0.0;
    for i in 0..p {
        let j = p + i;
        let dm: f64 = (0..c)
            .map(|k| (mu[i * c + k] - mu[j * c + k]).powi(2))
            .sum();
        let dc: f64 = (0..c * c)
            .map(|k| (cov[i * c * c + k] - cov[j * c * c + k]).powi(2))
            .sum();
        total += fm * dm + fc * dc;
    }
    total / p as f64
}

const FEAT: [usize; 4] = [4, 5, 6, 7];

#[test]
fn alignment_losses_match_f64_references() {
    let gpu = gpu();
    let [rows, c, h, w] = FEAT;
    let v = rand_vec(1, rows * c * h * w, -1.0, 1.0);
    let x64: Vec<f64> = v.iter().map(|x| *x as f64).collect();
    let f = Tensor::from_slice(&gpu, &FEAT, &v).unwrap();
    for norm in [Normalize::None, Normalize::Mean, Normalize::Coral] {
        let got = regularizer::align_linear(&f, norm)
            .unwrap()
            .to_vec()
            .unwrap()[0] as f64;
        let want = align_linear_ref(&x64, rows, c, h * w, norm);
        assert!(
            (got - want).abs() <= 1e-4 * want.abs() + 1e-7,
            "{norm:?}: {got} vs {want}"
        );
    }
    // RFF: the same statistics of sqrt(2/D) cos(W f + b) with this step's draw.
    let (d, sigma, seed) = (9, 1.5, 77);
    let (wr, br) = regularizer::rff_draw(c, d, sigma, seed);
    let phi = rff::reference::rff(
        &x64,
        &wr.iter().map(|x| *x as f64).collect::<Vec<_>>(),
        &br.iter().map(|x| *x as f64).collect::<Vec<_>>(),
        rows,
        c,
        h * w,
    );
    let want = align_linear_ref(&phi, rows, d, h * w, Normalize::Mean);
    let got = regularizer::align_rff(&f, d, sigma, Normalize::Mean, seed)
        .unwrap()
        .to_vec()
        .unwrap()[0] as f64;
    assert!(
        (got - want).abs() <= 1e-3 * want.abs() + 1e-7,
        "rff: {got} vs {want}"
    );
    // W ~ N(0, 1/sigma^2): the draw's spread (9 x 5 values is too few; use a big draw).
    let (wbig, bbig) = regularizer::rff_draw(64, 256, 2.0, 3);
    let var = wbig.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / wbig.len() as f64;
    assert!(
        (var - 0.25).abs() < 0.02,
        "W variance {var}, want 1/sigma^2 = 0.25"
    );
    assert!(bbig
        .iter()
        .all(|b| (0.0..std::f32::consts::TAU).contains(b)));
    // feature_l2: mean squared difference of the halves.
    let half = rows / 2 * c * h * w;
    let want: f64 = (0..half)
        .map(|i| (x64[i] - x64[half + i]).powi(2))
        .sum::<f64>()
        / half as f64;
    let got = regularizer::feature_l2(&f).unwrap().to_vec().unwrap()[0] as f64;
    assert!(
        (got - want).abs() <= 1e-5 * want,
        "feature_l2: {got} vs {want}"
    );
    // align_pooled: spatial means through the op's reference.
    let u = spatial_mean::reference::spatial_mean(&x64, rows, c, h * w);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let wp =
        rand_distr::Distribution::sample(&rand_distr::Normal::new(0.0f64, 1.0).unwrap(), &mut rng)
            as f32;
    let bp: Vec<f64> = (0..c)
        .map(|_| rng.random_range(0.0..std::f64::consts::TAU) as f32 as f64)
        .collect();
    let want = sralign::ops::pooled_align::reference::pooled_align(&u, c, wp as f64, &bp);
    let got = regularizer::align_pooled(&f, 5).unwrap().to_vec().unwrap()[0] as f64;
    assert!(
        (got - want).abs() <= 1e-3 * want.abs() + 1e-6,
        "pooled: {got} vs {want}"
    );
}

#[test]
fn alignment_losses_are_zero_on_identical_pairs_and_positive_otherwise() {
    let gpu = gpu();
    let [rows, c, h, w] = FEAT;
    let half = rand_vec(2, rows / 2 * c * h * w, -1.0, 1.0);
    let same: Vec<f32> = half.iter().chain(&half).cloned().collect();
    let other = rand_vec(3, rows * c * h * w, -1.0, 1.0);
    let cfg = all_terms();
    for (data, zero) in [(&same, true), (&other, false)] {
        let f = Tensor::from_slice(&gpu, &FEAT, data).unwrap();
        for (term, _) in cfg.terms() {
            let v = cfg.term_loss(term, &f, 11).unwrap().to_vec().unwrap()[0];
            if zero {
                assert_eq!(v, 0.0, "{term:?} on identical halves");
            } else {
                assert!(
                    v > 0.0 && v.is_finite(),
                    "{term:?} on different halves: {v}"
                );
            }
        }
    }
}

fn all_terms() -> RegularizerCfg {
    toml::from_str(
        "align_linear = { weight = 1.0 }\n\
         align_rff = { weight = 1.0, dim = 8, sigma = 1.0 }\n\
         align_pooled = { weight = 1.0 }\n\
         feature_l2 = { weight = 1.0 }",
    )
    .unwrap()
}

#[test]
fn each_regularizer_gradient_matches_finite_differences_through_a_tiny_model() {
    let gpu = gpu();
    let m = models::build(&gpu, &ModelConfig::tiny(Arch::SrResNet), 9).unwrap();
    // Larger weights than the 0.1-scaled init, so the features (and the losses) are O(1) and
    // f32 finite differences resolve them.
    for (_, p) in m.params().named() {
        let v: Vec<f32> = p.to_vec().unwrap().iter().map(|x| x * 6.0).collect();
        p.write(&v).unwrap();
    }
    let shape = [4, 3, 6, 6];
    let cfg = all_terms();
    let params = m.params().named();
    for term in cfg.terms().into_iter().map(|(t, _)| t) {
        // Inputs large enough that every loss is >= 1e-3, each image with its own brightness so
        // that the pooled vectors of a pair differ (similar images make the pooled term a
        // small difference of large numbers, which f32 differences cannot resolve).
        let v: Vec<f32> = rand_vec(4, 4 * 3 * 36, 0.0, 1.0)
            .iter()
            .enumerate()
            .map(|(i, x)| x * 30.0 * (1.0 + (i / 108) as f32))
            .collect();
        let x = Tensor::from_slice(&gpu, &shape, &v).unwrap();
        let l0 = cfg
            .term_loss(term, &m.forward(&x).unwrap().feature, 21)
            .unwrap();
        let base = l0.to_vec().unwrap()[0] as f64;
        let grads = autograd::backward(&l0).unwrap();
        let loss_of = |m: &dyn SrModel| {
            cfg.term_loss(term, &m.forward(&x).unwrap().feature, 21)
                .unwrap()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let _ng = autograd::no_grad();
        let mut checked = 0;
        // Directional derivatives along a random direction over a whole parameter tensor:
        // single entries can have gradients below what f32 differences resolve.
        for k in 0..8 {
            let (name, p) = &params[(k * 5 + 2) % params.len()];
            let Some(g) = grads.get(p) else { continue };
            let g = g.to_vec().unwrap();
            let orig = p.to_vec().unwrap();
            let rms =
                (orig.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / orig.len() as f64).sqrt();
            let r: Vec<f32> = (0..orig.len())
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            let dd: f64 = g.iter().zip(&r).map(|(a, b)| *a as f64 * *b as f64).sum();
            let at = |step: f32| {
                let v: Vec<f32> = orig.iter().zip(&r).map(|(x, d)| x + step * d).collect();
                p.write(&v).unwrap();
                loss_of(m.as_ref()).to_vec().unwrap()[0] as f64
            };
            let fd_at = |h: f32| (at(h) - at(-h)) / (2.0 * h as f64);
            // The smallest step whose loss change is resolved (> 1e-5 of the loss, ~100 f32
            // roundings), starting from 2e-4 of the tensor's RMS.
            let mut h = (2e-4 * rms).max(1e-5) as f32;
            let mut fd = fd_at(h);
            for _ in 0..4 {
                if fd.abs() * 2.0 * h as f64 > 1e-5 * base.abs() {
                    break;
                }
                h *= 4.0;
                fd = fd_at(h);
            }
            let fd2 = fd_at(2.0 * h);
            p.write(&orig).unwrap();
            // The disagreement of two step sizes estimates the differences' own error (f32
            // rounding of the loss, curvature); a tensor where they disagree by > 20% says
            // nothing and is skipped (at least 3 of 8 must be checked).
            let est = (fd - fd2).abs();
            let resolved = fd.abs() * 2.0 * h as f64 > 1e-5 * base.abs();
            if !resolved || est > 0.2 * fd.abs().max(fd2.abs()) {
                eprintln!("{term:?} {name}: finite differences unstable ({fd} vs {fd2}), skipped");
                continue;
            }
            let tol = 3.0 * est + 2e-2 * dd.abs().max(fd.abs()) + 1e-12;
            assert!(
                (fd - dd).abs() <= tol,
                "{term:?} {name}: backward {dd} vs finite difference {fd} (at 2h: {fd2}) along a random direction (loss {base})"
            );
            checked += 1;
        }
        assert!(checked >= 3, "{term:?}: too few parameters with a gradient");
        assert!(
            base > 1e-3,
            "{term:?}: loss {base} too small for a meaningful check"
        );
    }
}

#[test]
fn align_pooled_gradient_from_the_feature_matches_references() {
    for s in [[4usize, 16, 6, 6], [6, 5, 3, 4]] {
        let (n, c, hw) = (s[0], s[1], s[2] * s[3]);
        common::check_op(
            "align_pooled",
            &[common::input_init(&s, common::Init::Uniform(0.0, 3.0))],
            common::F32_LOOSE,
            |t| {
                regularizer::align_pooled(&t[0], 21)
                    .map_err(|e| sralign::Error::Device(e.to_string()))
            },
            |x| {
                let u = spatial_mean::reference::spatial_mean(&x[0], n, c, hw);
                let (w, b) = regularizer::pooled_draw(c, 21);
                let b: Vec<f64> = b.iter().map(|v| *v as f64).collect();
                vec![sralign::ops::pooled_align::reference::pooled_align(
                    &u, c, w as f64, &b,
                )]
            },
        );
    }
}

#[test]
fn dropout_hook_zeroes_whole_channels_with_the_right_scale_and_eval_is_identity() {
    let gpu = gpu();
    let m = models::build(&gpu, &ModelConfig::tiny(Arch::SrResNet), 3).unwrap();
    let x = Tensor::from_slice(&gpu, &[2, 3, 8, 8], &rand_vec(6, 2 * 3 * 64, 0.0, 1.0)).unwrap();
    let _ng = autograd::no_grad();
    let plain = m.forward(&x).unwrap();
    let feat = plain.feature.to_vec().unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    let p = train::run::default_dropout_p(Arch::SrResNet);
    assert_eq!(p, 0.7);
    let hook = |f: &Tensor| {
        let y = sralign::ops::dropout::channel_dropout(f, p, 42, true)?;
        *seen.borrow_mut() = y.to_vec()?;
        Ok(y)
    };
    let dropped = m.forward_hooked(&x, Some(&hook)).unwrap();
    let d = seen.borrow().clone();
    let [n, c, h, w] = plain.feature.dims4("t").unwrap();
    let hw = h * w;
    let mut zeroed = 0;
    for ch in 0..n * c {
        let (a, b) = (&feat[ch * hw..(ch + 1) * hw], &d[ch * hw..(ch + 1) * hw]);
        if b.iter().all(|v| *v == 0.0) {
            zeroed += 1;
        } else {
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (y - x / 0.3).abs() <= 1e-6 * (x / 0.3).abs() + 1e-12,
                    "kept channel not scaled by 1/(1-p)"
                );
            }
        }
    }
    assert!(
        zeroed > 0 && zeroed < n * c,
        "{zeroed} of {} channels zeroed",
        n * c
    );
    assert_ne!(dropped.out.to_vec().unwrap(), plain.out.to_vec().unwrap());
    // Evaluation: not training -> the op is the identity (the very same tensor).
    let id = sralign::ops::dropout::channel_dropout(&plain.feature, p, 42, false).unwrap();
    assert!(id.same_storage(&plain.feature));
}

// ---- the loop ----

fn tiny_config(total: u64, extra: &str) -> String {
    format!(
        r#"
name = "tiny"
manual_seed = 5
[network_g]
type = "srresnet"
num_feat = 16
num_block = 2
upscale = 4
[datasets.train]
dataroot_gt = "../shared/data/train"
gt_size = 32
batch_size = 2
sub_image = [0, 0]
cache = false
num_worker = 2
[train]
total_iter = {total}
optim_g = {{ type = "Adam", lr = 1e-3 }}
[regularizer]
align_linear = {{ weight = 1.0, normalize = "mean" }}
align_rff = {{ weight = 1.0, dim = 8 }}
dropout = {{ p = 0.5 }}
[logger]
print_freq = 4
save_checkpoint_freq = 5
{extra}
"#
    )
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign_train_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(cfg: &TrainConfig, opts: RunOptions) -> anyhow::Result<train::Summary> {
    let gpu = gpu();
    train::train(&gpu, cfg, &opts, &AtomicBool::new(false), &mut |_| {})
}

fn opts(dir: &Path) -> RunOptions {
    RunOptions {
        output: dir.to_path_buf(),
        ..Default::default()
    }
}

#[test]
fn a_short_run_lowers_the_l1_loss() {
    // One 64 x 64 photo, bicubic degradation, no flips: every step sees the same pair, so the
    // loss can only fall if the loop (forward, L1, backward, Adam, schedule) learns.
    let dir = tmpdir("learn");
    let data = dir.join("data");
    let img = sralign::data::io::load_image("data/train/opencv_data_butterfly.png").unwrap();
    sralign::data::io::save_image(data.join("crop.png"), &img.crop(100, 200, 64, 64)).unwrap();
    let text = tiny_config(300, "")
        .replace("lr = 1e-3", "lr = 2e-3")
        .replace("../shared/data/train", data.to_str().unwrap())
        .replace("gt_size = 32", "gt_size = 64\nuse_hflip = false")
        .replace("batch_size = 2", "batch_size = 1")
        .replace(
            "num_worker = 2",
            "num_worker = 1\ndegradation = \"bicubic\"\nusm = false",
        )
        .replace("print_freq = 4", "print_freq = 30\ngrad_share = false")
        .replace("dropout = { p = 0.5 }", "")
        .replace("align_linear = { weight = 1.0, normalize = \"mean\" }", "")
        .replace("align_rff = { weight = 1.0, dim = 8 }", "");
    let cfg = TrainConfig::parse(&text).unwrap();
    assert_eq!(cfg.regularizer.method_name(), "baseline");
    let mut l1 = Vec::new();
    let gpu = gpu();
    train::train(
        &gpu,
        &cfg,
        &opts(&dir.join("run")),
        &AtomicBool::new(false),
        &mut |e| {
            if let Event::Log(r) = e {
                l1.push(r.losses["l1"]);
            }
        },
    )
    .unwrap();
    // Measured: 0.1376 at step 30, 0.0743 at step 300 (BasicSR's 0.1-scaled initialisation
    // makes the first ~100 steps slow).
    eprintln!("L1 at steps 30, 60, ..., 300: {l1:.4?}");
    assert_eq!(l1.len(), 10);
    assert!(
        l1[9] < 0.7 * l1[0],
        "L1 fell only from {} to {}",
        l1[0],
        l1[9]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every tensor (live and EMA) of a run's final weights, as bits.
fn weights_bytes(dir: &Path) -> Vec<(String, Vec<u32>)> {
    use sralign::nn::weights::{read, WeightsKey};
    let f = dir.join("model.safetensors");
    let mut out = Vec::new();
    for key in [WeightsKey::Params, WeightsKey::ParamsEma] {
        for (name, (_, v)) in read(&f, key).unwrap().0 {
            out.push((
                format!("{key:?}/{name}"),
                v.iter().map(|x| x.to_bits()).collect(),
            ));
        }
    }
    out
}

#[test]
fn killed_and_resumed_run_ends_bit_identical_to_an_uninterrupted_one() {
    // 17 images, batch 2: 8 batches per epoch; checkpoint at 5 and 10, killed at 7
    // (mid-epoch, between checkpoints), resumed from 5, through the epoch boundary at 8.
    let cfg = TrainConfig::parse(&tiny_config(12, "")).unwrap();
    let a = tmpdir("uninterrupted");
    run(&cfg, opts(&a)).unwrap();
    let b = tmpdir("killed");
    let s = run(
        &cfg,
        RunOptions {
            halt_after: Some(7),
            ..opts(&b)
        },
    )
    .unwrap();
    assert_eq!(s.outcome, Outcome::Halted);
    assert!(!b.join("model.safetensors").exists());
    assert_eq!(checkpoint::list(&b).unwrap(), vec![5]);
    let s = run(
        &cfg,
        RunOptions {
            resume: true,
            ..opts(&b)
        },
    )
    .unwrap();
    assert_eq!((s.outcome, s.step), (Outcome::Finished, 12));
    assert!(
        weights_bytes(&a) == weights_bytes(&b),
        "resumed weights differ from the uninterrupted run"
    );
    // The log was rewritten from the checkpoint: the same steps, once each.
    let steps = |d: &Path| -> Vec<u64> {
        std::fs::read_to_string(d.join("log.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(steps(&a), steps(&b));
    // Resuming with a different config is refused, naming the keys.
    let other = TrainConfig::parse(&tiny_config(12, "").replace("lr = 1e-3", "lr = 2e-3")).unwrap();
    let e = run(
        &other,
        RunOptions {
            resume: true,
            ..opts(&b)
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("train.optim_g.lr"), "{e}");
    // A fresh run into a folder that holds one is refused; --force starts over.
    let e = run(&cfg, opts(&b)).unwrap_err().to_string();
    assert!(
        e.contains("already holds a run") && e.contains("--resume"),
        "{e}"
    );
    for d in [a, b] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn killed_process_resumes_bit_identical_from_the_command_line() {
    let cfg_text = tiny_config(12, "");
    let dir = tmpdir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("tiny.toml");
    std::fs::write(&cfg_path, &cfg_text).unwrap();
    let exe = env!("CARGO_BIN_EXE_sralign");
    let run_a = dir.join("a");
    let st = std::process::Command::new(exe)
        .args(["train", "--config"])
        .arg(&cfg_path)
        .arg("--output")
        .arg(&run_a)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    // Kill -9 once the first checkpoint exists (the process is then somewhere in steps 5-12).
    let run_b = dir.join("b");
    let mut child = std::process::Command::new(exe)
        .args(["train", "--config"])
        .arg(&cfg_path)
        .arg("--output")
        .arg(&run_b)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while checkpoint::latest(&run_b).ok().flatten().is_none() {
        assert!(t0.elapsed().as_secs() < 120, "no checkpoint after 120 s");
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    let st = std::process::Command::new(exe)
        .args(["train", "--config"])
        .arg(&cfg_path)
        .arg("--output")
        .arg(&run_b)
        .arg("--resume")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(
        weights_bytes(&run_a) == weights_bytes(&run_b),
        "resumed weights differ"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nan_loss_stops_the_run_naming_term_and_step_and_keeps_the_last_checkpoint() {
    let cfg = TrainConfig::parse(&tiny_config(12, "")).unwrap();
    let dir = tmpdir("nan");
    let e = run(
        &cfg,
        RunOptions {
            inject_nan_at: Some(7),
            ..opts(&dir)
        },
    )
    .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("l1") && msg.contains("step 7"), "{msg}");
    assert_eq!(checkpoint::list(&dir).unwrap(), vec![5]);
    let latest = checkpoint::latest(&dir).unwrap().unwrap();
    let l = checkpoint::load(&latest).unwrap();
    assert_eq!(l.state.step, 5);
    assert!(l
        .params
        .values()
        .all(|(_, v)| v.iter().all(|x| x.is_finite())));
    assert!(!dir.join("model.safetensors").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_checkpoint_write_leaves_the_previous_one_valid() {
    let cfg = TrainConfig::parse(&tiny_config(12, "")).unwrap();
    let dir = tmpdir("ckfail");
    // Once checkpoint 5 is written, put a file where checkpoint 10's temporary folder must go
    // (as a full disk would stop its writing): the run fails there, `latest` still names 5.
    let lock = dir.join("checkpoints/.tmp_step_00000010");
    let gpu = gpu();
    let r = train::train(&gpu, &cfg, &opts(&dir), &AtomicBool::new(false), &mut |e| {
        if let Event::Checkpoint { step: 5, .. } = e {
            std::fs::write(&lock, b"in the way").unwrap();
        }
    });
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("checkpoint of step 10 not written"), "{e}");
    let latest = checkpoint::latest(&dir).unwrap().unwrap();
    assert!(latest.ends_with("step_00000005"), "{}", latest.display());
    checkpoint::load(&latest).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configs_name_the_key() {
    let base = tiny_config(12, "");
    let cases: Vec<(String, &str)> = vec![
        (base.replace("batch_size = 2", "batchsize = 2"), "batchsize"),
        (
            base.replace("batch_size = 2", "batch_size = \"two\""),
            "batch_size",
        ),
        (
            base.replace("batch_size = 2", "batch_size = 0"),
            "datasets.train.batch_size",
        ),
        (
            base.replace("gt_size = 32", "gt_size = 30"),
            "datasets.train.gt_size",
        ),
        (base.replace("type = \"Adam\"", "type = \"Adamm\""), "Adamm"),
        (base.replace("lr = 1e-3", "lr = -1"), "train.optim_g.lr"),
        (
            base.replace("dropout = { p = 0.5 }", "dropout = { p = 1.5 }"),
            "regularizer.dropout.p",
        ),
        (
            base.replace(
                "align_rff = { weight = 1.0, dim = 8 }",
                "align_rff = { weight = 1.0, dim = 0 }",
            ),
            "regularizer.align_rff.dim",
        ),
        (
            base.replace("normalize = \"mean\"", "normalize = \"avg\""),
            "avg",
        ),
        (
            base.replace(
                "[regularizer]",
                "[regularizer]\nalign_cubic = { weight = 1 }",
            ),
            "align_cubic",
        ),
        (
            base.replace("type = \"srresnet\"", "type = \"srnet\""),
            "network_g.type",
        ),
        (base.replace("num_feat = 16", "num_feats = 16"), "num_feats"),
        (
            base.replace("total_iter = 12", "total_iter = 0"),
            "train.total_iter",
        ),
        (
            base.replace("print_freq = 4", "print_freq = 0"),
            "logger.print_freq",
        ),
        (base.clone() + "\n[val]\nval_freq = 5\n", "datasets.val"),
    ];
    for (text, key) in cases {
        let e = format!("{:#}", TrainConfig::parse(&text).unwrap_err());
        assert!(e.contains(key), "expected {key:?} in: {e}");
    }
}

#[test]
fn missing_or_empty_data_and_foreign_weights_are_clear_errors() {
    let empty = tmpdir("empty_data");
    std::fs::create_dir_all(&empty).unwrap();
    for root in [empty.clone(), empty.join("missing")] {
        let text = tiny_config(3, "").replace("../shared/data/train", root.to_str().unwrap());
        let cfg = TrainConfig::parse(&text).unwrap();
        let e = format!("{:#}", run(&cfg, opts(&tmpdir("empty_run"))).unwrap_err());
        assert!(e.contains("dataroot_gt"), "{e}");
    }
    // Weights of another architecture.
    let gpu = gpu();
    let other = models::build(&gpu, &ModelConfig::tiny(Arch::Msrn), 0).unwrap();
    let w = empty.join("msrn.safetensors");
    sralign::nn::weights::save(&w, &other.params(), None, "msrn").unwrap();
    let text = tiny_config(
        3,
        &format!("[path]\npretrain_network_g = {:?}\n", w.to_str().unwrap()),
    );
    let cfg = TrainConfig::parse(&text).unwrap();
    let e = format!("{:#}", run(&cfg, opts(&tmpdir("foreign"))).unwrap_err());
    assert!(
        e.contains("pretrain_network_g") && e.contains("msrn"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn configs_round_trip_and_list_their_differences() {
    let cfg = TrainConfig::parse(&tiny_config(12, "")).unwrap();
    let back = TrainConfig::parse(&cfg.to_toml().unwrap()).unwrap();
    assert_eq!(cfg, back);
    assert!(cfg.differences(&back).unwrap().is_empty());
    let other = TrainConfig::parse(&tiny_config(13, "")).unwrap();
    let d = cfg.differences(&other).unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("train.total_iter"), "{d:?}");
}

#[test]
fn bundled_configs_parse() {
    let dir = Path::new("tools/configs");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        if p.extension().is_some_and(|x| x == "toml") && text.contains("[train]") {
            TrainConfig::load(&p).unwrap_or_else(|e| panic!("{}: {e:#}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} training configs in tools/configs");
}

#[test]
fn schedules_follow_basicsr() {
    use sralign::train::config::Scheduler;
    use sralign::train::schedule::lr_at;
    let cos = Scheduler::CosineAnnealingRestartLR {
        periods: vec![10, 20],
        restart_weights: vec![1.0, 0.5],
        eta_min: 0.0,
    };
    let lr = |s| lr_at(1.0, Some(&cos), -1, s) as f64;
    assert!((lr(5) - 0.5).abs() < 1e-6);
    assert!(lr(10).abs() < 1e-6);
    // Restart at step 11 with weight 0.5: 0.5 * 0.5 * (1 + cos(pi / 20)).
    let want = 0.25 * (1.0 + (std::f64::consts::PI / 20.0).cos());
    assert!((lr(11) - want).abs() < 1e-6, "{} vs {want}", lr(11));
    let ms = Scheduler::MultiStepLR {
        milestones: vec![3, 6],
        gamma: 0.5,
    };
    assert_eq!(lr_at(1.0, Some(&ms), -1, 2), 1.0);
    assert_eq!(lr_at(1.0, Some(&ms), -1, 3), 0.5);
    assert_eq!(lr_at(1.0, Some(&ms), -1, 7), 0.25);
    // Warm-up: linear over the first warmup_iter steps.
    assert_eq!(lr_at(1.0, None, 4, 1), 0.25);
    assert_eq!(lr_at(1.0, None, 4, 4), 1.0);
}

#[test]
fn ctrl_c_checkpoints_the_last_step_and_the_run_resumes_exactly() {
    let cfg = TrainConfig::parse(&tiny_config(12, "")).unwrap();
    let a = tmpdir("ctrlc_ref");
    run(&cfg, opts(&a)).unwrap();
    let b = tmpdir("ctrlc");
    let stop = AtomicBool::new(false);
    let gpu = gpu();
    let s = train::train(&gpu, &cfg, &opts(&b), &stop, &mut |e| {
        if let Event::Step { step: 7 } = e {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    assert_eq!((s.outcome, s.step), (Outcome::Interrupted, 7));
    assert!(checkpoint::latest(&b)
        .unwrap()
        .unwrap()
        .ends_with("step_00000007"));
    run(
        &cfg,
        RunOptions {
            resume: true,
            ..opts(&b)
        },
    )
    .unwrap();
    assert!(
        weights_bytes(&a) == weights_bytes(&b),
        "resumed after Ctrl-C: weights differ"
    );
    for d in [a, b] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn training_allocates_nothing_after_step_two() {
    let cfg = TrainConfig::parse(
        &tiny_config(12, "").replace("save_checkpoint_freq = 5", "save_checkpoint_freq = 100"),
    )
    .unwrap();
    let dir = tmpdir("pool");
    let gpu = gpu();
    let mut at = Vec::new();
    train::train(&gpu, &cfg, &opts(&dir), &AtomicBool::new(false), &mut |e| {
        if let Event::Step { step } = e {
            at.push((step, gpu.pool_stats()));
        }
    })
    .unwrap();
    // The first logged step (4) runs extra passes for the gradient shares and reads back (its
    // Step event comes before that): compare plain steps 2-3, then from step 5 to the end.
    let (s2, s3) = (&at[1].1, &at[2].1);
    assert_eq!(
        (s2.created, s2.bytes),
        (s3.created, s3.bytes),
        "pool grew between steps 2 and 3"
    );
    let (s5, s12) = (&at[4].1, &at[11].1);
    assert_eq!(
        (s5.created, s5.bytes),
        (s12.created, s12.bytes),
        "pool grew between steps 5 and 12"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validation_runs_on_a_paired_folder_and_is_logged() {
    use sralign::data::degrade::{test_degrade, TestDegradation, TestSetting};
    use sralign::data::io;
    let dir = tmpdir("val");
    let (hr_dir, lr_dir) = (dir.join("val/HR"), dir.join("val/LR"));
    for name in ["skimage_chelsea", "skimage_rocket"] {
        let img = io::load_image(format!("data/test/{name}.png"))
            .unwrap()
            .crop(0, 0, 64, 64);
        io::save_image(hr_dir.join(format!("{name}.png")), &img).unwrap();
        let lr = test_degrade(&img, 4, TestSetting::Clean, &TestDegradation::default(), 0).unwrap();
        io::save_image(lr_dir.join(format!("{name}.png")), &lr).unwrap();
    }
    let extra = format!(
        "[datasets.val]\ndataroot_gt = {:?}\ndataroot_lq = {:?}\n[val]\nval_freq = 6\ntile = 8\ntile_overlap = 4\n",
        hr_dir.to_str().unwrap(),
        lr_dir.to_str().unwrap()
    );
    let cfg = TrainConfig::parse(&tiny_config(12, &extra)).unwrap();
    let s = run(&cfg, opts(&dir.join("run"))).unwrap();
    let v = s.last_val.expect("a validation");
    assert_eq!((v.step, v.images, v.ema), (12, 2, true));
    assert!(
        v.metrics["psnr"] > 15.0 && v.metrics["ssim"] > 0.2,
        "{:?}",
        v.metrics
    );
    let log = std::fs::read_to_string(dir.join("run/log.jsonl")).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"kind\":\"val\""))
            .count(),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

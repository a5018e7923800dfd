//! Evaluation of a network on test sets: a folder written by `sralign degrade` (HR/ plus one
//! folder per test degradation: clean, blur, noise, jpeg, b+n, b+j, n+j, b+n+j) or a pair of
//! LR/HR folders. Per image and setting: PSNR and SSIM on RGB and on Y (BasicSR's
//! conventions: the SR output rounded to 8-bit, crop_border pixels removed), optionally a
//! perceptual score from a caller-given metric (LPIPS), and optionally the distance between
//! the regularised feature's statistics on each degraded copy and on the clean one (the
//! mechanism the alignment regulariser acts on).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::autograd;
use crate::data::degrade::TestSetting;
use crate::data::{io, metrics, Image};
use crate::eval::tile::{self, Chw};
use crate::gpu::Gpu;
use crate::models::SrModel;
use crate::ops::{covariance, spatial_mean};

/// One test set: HR images and, per setting, the LR image of each (same file stems).
#[derive(Clone, Debug)]
pub struct TestSet {
    pub name: String,
    /// (stem, HR path), sorted by stem.
    pub hr: Vec<(String, PathBuf)>,
    /// (setting, LR paths in the order of `hr`).
    pub settings: Vec<(String, Vec<PathBuf>)>,
}

fn by_stem(dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let (files, _) = io::list_images(dir)?;
    let mut out = BTreeMap::new();
    let mut dups = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(prev) = out.insert(stem.clone(), f.clone()) {
            dups.push(format!("{} and {}", prev.display(), f.display()));
        }
    }
    if !dups.is_empty() {
        bail!(
            "{}: several images share a name: {}",
            dir.display(),
            dups.join("; ")
        );
    }
    Ok(out)
}

fn pair_up(lr_dir: &Path, hr: &BTreeMap<String, PathBuf>) -> Result<Vec<PathBuf>> {
    let lr = by_stem(lr_dir)?;
    let missing: Vec<&String> = hr.keys().filter(|k| !lr.contains_key(*k)).collect();
    let extra: Vec<&String> = lr.keys().filter(|k| !hr.contains_key(*k)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        bail!(
            "{}: names do not pair with the HR images (missing: {:?}; without an HR image: {:?})",
            lr_dir.display(),
            missing,
            extra
        );
    }
    Ok(hr.keys().map(|k| lr[k].clone()).collect())
}

impl TestSet {
    /// A folder made by `sralign degrade`: HR/ and any of the eight setting folders.
    pub fn open(dir: &Path) -> Result<TestSet> {
        let hr_dir = dir.join("HR");
        if !hr_dir.is_dir() {
            bail!(
                "{}: no HR/ folder: expected a folder written by `sralign degrade` (HR/, clean/, blur/, ...) or --lr/--hr folders",
                dir.display()
            );
        }
        let hr = by_stem(&hr_dir)?;
        if hr.is_empty() {
            bail!("{}: no images", hr_dir.display());
        }
        let mut settings = Vec::new();
        for s in TestSetting::ALL {
            let d = dir.join(s.name());
            if d.is_dir() {
                settings.push((s.name().to_string(), pair_up(&d, &hr)?));
            }
        }
        if settings.is_empty() {
            bail!(
                "{}: none of the setting folders (clean, blur, noise, jpeg, b+n, b+j, n+j, b+n+j)",
                dir.display()
            );
        }
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "test".into());
        Ok(TestSet {
            name,
            hr: hr.into_iter().collect(),
            settings,
        })
    }

    /// Paired LR/HR folders, as one setting named after the LR folder.
    pub fn paired(lr: &Path, hr: &Path) -> Result<TestSet> {
        let h = by_stem(hr)?;
        if h.is_empty() {
            bail!("{}: no images", hr.display());
        }
        let l = pair_up(lr, &h)?;
        let setting = lr
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "lr".into());
        Ok(TestSet {
            name: setting.clone(),
            hr: h.into_iter().collect(),
            settings: vec![(setting, l)],
        })
    }

    pub fn len(&self) -> usize {
        self.hr.len() * self.settings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Scores of one SR image.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ImageScore {
    pub set: String,
    pub setting: String,
    pub image: String,
    pub psnr: f64,
    pub ssim: f64,
    pub psnr_y: f64,
    pub ssim_y: f64,
    /// None when no perceptual metric was given.
    pub lpips: Option<f64>,
}

/// Distance of the regularised feature's statistics on a degraded copy from the clean one's.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeatureDistance {
    pub set: String,
    pub setting: String,
    pub image: String,
    /// ||mu - mu_clean|| / ||mu_clean||
    pub mu_rel: f64,
    /// ||Sigma - Sigma_clean||_F / ||Sigma_clean||_F
    pub cov_rel: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EvalResult {
    pub scores: Vec<ImageScore>,
    pub features: Vec<FeatureDistance>,
}

/// A perceptual metric between an SR image and its reference (both 8-bit-rounded, [0, 1]).
pub type Perceptual<'a> = &'a dyn Fn(&Image, &Image) -> Result<f64>;

pub struct EvalOpts<'a> {
    pub tile: Option<usize>,
    pub overlap: usize,
    /// Pixels removed at each border for PSNR/SSIM (the paper's tables: the scale).
    pub crop_border: usize,
    /// Write each SR image as <dir>/<set>/<setting>/<name>.png.
    pub save_dir: Option<PathBuf>,
    /// Also measure feature-statistics distances to the clean copy (whole-image forward).
    pub features: bool,
    pub perceptual: Option<Perceptual<'a>>,
}

fn to_chw(img: &Image) -> Chw {
    let mut data = vec![0f32; img.c * img.h * img.w];
    img.write_chw(&mut data);
    Chw {
        c: img.c,
        h: img.h,
        w: img.w,
        data,
    }
}

/// (mu [C], Sigma [C*C]) of the model's regularised feature on one LR image.
fn feature_stats(gpu: &Gpu, model: &dyn SrModel, lr: &Image) -> Result<(Vec<f32>, Vec<f32>)> {
    let _ng = autograd::no_grad();
    let c = to_chw(lr);
    let x = crate::tensor::Tensor::from_slice(gpu, &[1, c.c, c.h, c.w], &c.data)?;
    let f = model.forward(&x)?.feature;
    let mu = spatial_mean::spatial_mean(&f)?.to_vec()?;
    let cov = covariance::covariance(&f)?.to_vec()?;
    Ok((mu, cov))
}

fn rel(a: &[f32], b: &[f32]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let n: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    if n > 0.0 {
        (d / n).sqrt()
    } else {
        0.0
    }
}

/// Evaluate `model` on every image of every setting. `progress(done, total, what)`.
pub fn evaluate(
    gpu: &Gpu,
    model: &dyn SrModel,
    ts: &TestSet,
    opts: &EvalOpts,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<EvalResult> {
    let scale = model.scale();
    let total = ts.len();
    let mut out = EvalResult::default();
    let mut clean_stats: BTreeMap<String, (Vec<f32>, Vec<f32>)> = BTreeMap::new();
    let mut done = 0;
    // Clean first, so every degraded copy finds its reference statistics.
    let mut order: Vec<&(String, Vec<PathBuf>)> = ts.settings.iter().collect();
    order.sort_by_key(|(s, _)| s != "clean");
    for (setting, lrs) in order {
        for ((stem, hr_path), lr_path) in ts.hr.iter().zip(lrs) {
            let hr = io::load_image(hr_path)?;
            let lr = io::load_image(lr_path)?;
            if lr.h * scale != hr.h || lr.w * scale != hr.w {
                bail!(
                    "{}: LR {}x{} times the scale {scale} is not the HR size {}x{} of {}",
                    lr_path.display(),
                    lr.w,
                    lr.h,
                    hr.w,
                    hr.h,
                    hr_path.display()
                );
            }
            let sr = tile::upscale(
                gpu,
                model,
                &to_chw(&lr),
                opts.tile,
                opts.overlap,
                &mut |_, _| {},
            )
            .with_context(|| format!("upscaling {}", lr_path.display()))?;
            let mut sr = Image::from_chw(sr.c, sr.h, sr.w, &sr.data);
            sr.clamp01();
            sr.quantize();
            let cb = opts.crop_border;
            let lpips = match opts.perceptual {
                Some(f) => Some(
                    f(&sr, &hr)
                        .with_context(|| format!("perceptual metric on {}", lr_path.display()))?,
                ),
                None => None,
            };
            out.scores.push(ImageScore {
                set: ts.name.clone(),
                setting: setting.clone(),
                image: stem.clone(),
                psnr: metrics::psnr(&sr, &hr, cb)?,
                ssim: metrics::ssim(&sr, &hr, cb)?,
                psnr_y: metrics::psnr_y(&sr, &hr, cb)?,
                ssim_y: metrics::ssim_y(&sr, &hr, cb)?,
                lpips,
            });
            if let Some(dir) = &opts.save_dir {
                let p = dir.join(&ts.name).join(setting).join(format!("{stem}.png"));
                io::save_image(&p, &sr)?;
            }
            if opts.features {
                let st = feature_stats(gpu, model, &lr)?;
                if setting == "clean" {
                    clean_stats.insert(stem.clone(), st);
                } else if let Some((mu0, cov0)) = clean_stats.get(stem) {
                    out.features.push(FeatureDistance {
                        set: ts.name.clone(),
                        setting: setting.clone(),
                        image: stem.clone(),
                        mu_rel: rel(&st.0, mu0),
                        cov_rel: rel(&st.1, cov0),
                    });
                }
            }
            done += 1;
            progress(done, total, setting);
        }
    }
    Ok(out)
}

/// (set, setting, images, [PSNR, SSIM, PSNR-Y, SSIM-Y], LPIPS) means of one row.
pub type MeanRow = (String, String, usize, [f64; 4], Option<f64>);

/// Mean of each metric per (set, setting), in the settings' canonical order.
pub fn means(scores: &[ImageScore]) -> Vec<MeanRow> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in scores {
        let k = (s.set.clone(), s.setting.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let rank = |s: &str| {
        TestSetting::ALL
            .iter()
            .position(|t| t.name() == s)
            .unwrap_or(99)
    };
    keys.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(rank(&a.1).cmp(&rank(&b.1)))
            .then(a.1.cmp(&b.1))
    });
    keys.into_iter()
        .map(|(set, setting)| {
            let v: Vec<&ImageScore> = scores
                .iter()
                .filter(|s| s.set == set && s.setting == setting)
                .collect();
            let n = v.len() as f64;
            let m = |f: &dyn Fn(&ImageScore) -> f64| v.iter().map(|s| f(s)).sum::<f64>() / n;
            let lp = if v.iter().all(|s| s.lpips.is_some()) {
                Some(m(&|s| s.lpips.unwrap_or(0.0)))
            } else {
                None
            };
            (
                set,
                setting,
                v.len(),
                [
                    m(&|s| s.psnr),
                    m(&|s| s.ssim),
                    m(&|s| s.psnr_y),
                    m(&|s| s.ssim_y),
                ],
                lp,
            )
        })
        .collect()
}

//! Degradations: the training pipelines (Real-ESRGAN second order, one-stage blur + noise +
//! JPEG, bicubic only) and the fixed test degradations of Kong et al.
//!
//! Every pipeline works in two steps: `sample_params` draws all random choices from a seeded
//! generator into an explicit, serialisable `Params` (noise fields get their own seeds), and
//! `apply` runs them. So a degradation can be logged, replayed and tested, and one seed gives
//! the same LR image on any machine and any thread count.

use super::filter::{filter2d, gaussian_blur_u8_cv2};
use super::kernels::{sample_final_sinc, sample_kernel, KernelSpec, KernelStage};
use super::noise::{add_gaussian_noise, add_gaussian_noise_u8_truncated, add_poisson_noise};
use super::resize::{imresize, resize, resize_by, ResizeMode};
use super::{derive_seed, jpeg::jpeg, rng, Image, Rng};
use anyhow::{bail, Result};
use rand::Rng as _;
use serde::Serialize;

/// Which training degradation produces the LR input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pipeline {
    /// Real-ESRGAN's second-order pipeline (DESIGN.md section 5 table).
    RealEsrgan,
    /// One stage of blur (stage-1 kernels) -> bicubic down -> noise (stage-1 ranges) -> JPEG.
    OneStage,
    /// MATLAB-style bicubic downsampling only.
    Bicubic,
}

impl Pipeline {
    pub fn parse(s: &str) -> Result<Pipeline> {
        Ok(match s {
            "realesrgan" | "real-esrgan" | "second-order" => Pipeline::RealEsrgan,
            "onestage" | "one-stage" | "bnj" | "b+n+j" => Pipeline::OneStage,
            "bicubic" => Pipeline::Bicubic,
            _ => bail!("unknown degradation pipeline '{s}' (realesrgan, onestage, bicubic)"),
        })
    }
}

/// One noise draw, explicit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoiseSpec {
    /// sigma on the [0, 1] scale.
    Gaussian {
        sigma: f32,
        gray: bool,
        seed: u64,
    },
    Poisson {
        scale: f32,
        gray: bool,
        seed: u64,
    },
}

impl NoiseSpec {
    pub fn apply(&self, img: &mut Image) {
        match *self {
            NoiseSpec::Gaussian { sigma, gray, seed } => {
                add_gaussian_noise(img, sigma, gray, &mut rng(seed))
            }
            NoiseSpec::Poisson { scale, gray, seed } => {
                add_poisson_noise(img, scale, gray, &mut rng(seed))
            }
        }
    }
}

/// Noise ranges of one stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoiseStage {
    pub gaussian_prob: f64,
    /// Gaussian sigma range on the 0..255 scale.
    pub sigma: (f64, f64),
    pub poisson_scale: (f64, f64),
    pub gray_prob: f64,
}

impl NoiseStage {
    pub fn stage1() -> NoiseStage {
        NoiseStage {
            gaussian_prob: 0.5,
            sigma: (1.0, 30.0),
            poisson_scale: (0.05, 3.0),
            gray_prob: 0.4,
        }
    }
    pub fn stage2() -> NoiseStage {
        NoiseStage {
            gaussian_prob: 0.5,
            sigma: (1.0, 25.0),
            poisson_scale: (0.05, 2.5),
            gray_prob: 0.4,
        }
    }
    pub fn sample(&self, rng: &mut Rng) -> NoiseSpec {
        let gaussian = rng.random::<f64>() < self.gaussian_prob;
        let gray = rng.random::<f64>() < self.gray_prob;
        let seed = rng.random::<u64>();
        if gaussian {
            NoiseSpec::Gaussian {
                sigma: (rng.random_range(self.sigma.0..self.sigma.1) / 255.0) as f32,
                gray,
                seed,
            }
        } else {
            let s = rng.random_range(self.poisson_scale.0..self.poisson_scale.1);
            NoiseSpec::Poisson {
                scale: s as f32,
                gray,
                seed,
            }
        }
    }
}

/// Random resize of one stage: up/down/keep probabilities, factor range (lo < 1 < hi), mode
/// uniform among area, bilinear, bicubic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResizeStage {
    pub probs: [f64; 3],
    pub range: (f64, f64),
}

impl ResizeStage {
    pub fn stage1() -> ResizeStage {
        ResizeStage {
            probs: [0.2, 0.7, 0.1],
            range: (0.15, 1.5),
        }
    }
    pub fn stage2() -> ResizeStage {
        ResizeStage {
            probs: [0.3, 0.4, 0.3],
            range: (0.3, 1.2),
        }
    }
    pub fn sample(&self, rng: &mut Rng) -> (ResizeMode, f64) {
        let u = rng.random::<f64>();
        let factor = if u < self.probs[0] {
            rng.random_range(1.0..self.range.1)
        } else if u < self.probs[0] + self.probs[1] {
            rng.random_range(self.range.0..1.0)
        } else {
            1.0
        };
        (random_mode(rng), factor)
    }
}

fn random_mode(rng: &mut Rng) -> ResizeMode {
    [ResizeMode::Area, ResizeMode::Bilinear, ResizeMode::Bicubic][rng.random_range(0..3)]
}

/// JPEG quality range of the pipeline.
pub const JPEG_RANGE: (u8, u8) = (30, 95);

fn sample_quality(rng: &mut Rng) -> u8 {
    rng.random_range(JPEG_RANGE.0..=JPEG_RANGE.1)
}

/// All random choices of one stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageParams {
    /// `None`: no blur (stage 2 blurs with p 0.8).
    pub blur: Option<KernelSpec>,
    pub resize_mode: ResizeMode,
    pub resize_factor: f64,
    pub noise: NoiseSpec,
    pub jpeg_quality: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RealEsrganParams {
    pub stage1: StageParams,
    pub stage2: StageParams,
    /// Mode of the final resize to the LR size.
    pub final_resize_mode: ResizeMode,
    /// Final sinc (p 0.8) or the identity (`Pulse`).
    pub final_sinc: KernelSpec,
    pub final_jpeg_quality: u8,
    /// true: resize -> sinc -> JPEG; false: JPEG -> resize -> sinc (p 0.5 each).
    pub resize_first: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OneStageParams {
    pub blur: KernelSpec,
    pub noise: NoiseSpec,
    pub jpeg_quality: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "pipeline", rename_all = "snake_case")]
pub enum Params {
    RealEsrgan(RealEsrganParams),
    OneStage(OneStageParams),
    Bicubic,
}

/// Draw every random choice of a pipeline. The order of draws is fixed (changing it changes
/// every seeded result, so don't).
pub fn sample_params(pipeline: Pipeline, rng: &mut Rng) -> Params {
    match pipeline {
        Pipeline::Bicubic => Params::Bicubic,
        Pipeline::OneStage => Params::OneStage(OneStageParams {
            blur: sample_kernel(&KernelStage::stage1(), rng),
            noise: NoiseStage::stage1().sample(rng),
            jpeg_quality: sample_quality(rng),
        }),
        Pipeline::RealEsrgan => {
            let k1 = sample_kernel(&KernelStage::stage1(), rng);
            let k2 = sample_kernel(&KernelStage::stage2(), rng);
            let blur2 = rng.random::<f64>() < 0.8;
            let final_sinc = sample_final_sinc(0.8, rng);
            let (m1, f1) = ResizeStage::stage1().sample(rng);
            let n1 = NoiseStage::stage1().sample(rng);
            let q1 = sample_quality(rng);
            let (m2, f2) = ResizeStage::stage2().sample(rng);
            let n2 = NoiseStage::stage2().sample(rng);
            let q2 = sample_quality(rng);
            let resize_first = rng.random::<f64>() < 0.5;
            let final_resize_mode = random_mode(rng);
            let final_jpeg_quality = sample_quality(rng);
            Params::RealEsrgan(RealEsrganParams {
                stage1: StageParams {
                    blur: Some(k1),
                    resize_mode: m1,
                    resize_factor: f1,
                    noise: n1,
                    jpeg_quality: q1,
                },
                stage2: StageParams {
                    blur: blur2.then_some(k2),
                    resize_mode: m2,
                    resize_factor: f2,
                    noise: n2,
                    jpeg_quality: q2,
                },
                final_resize_mode,
                final_sinc,
                final_jpeg_quality,
                resize_first,
            })
        }
    }
}

fn check_scale(gt: &Image, scale: usize) -> Result<()> {
    if scale == 0
        || !gt.h.is_multiple_of(scale)
        || !gt.w.is_multiple_of(scale)
        || gt.h < scale
        || gt.w < scale
    {
        bail!(
            "degrade: GT {}x{} is not a positive multiple of the scale {scale}",
            gt.h,
            gt.w
        );
    }
    Ok(())
}

/// Run sampled parameters on a GT image (already sharpened if wanted). The LR result is
/// `gt.h / scale` x `gt.w / scale`, rounded to 8-bit.
pub fn apply(params: &Params, gt: &Image, scale: usize) -> Result<Image> {
    check_scale(gt, scale)?;
    let (lh, lw) = (gt.h / scale, gt.w / scale);
    let mut out = match params {
        Params::Bicubic => imresize(gt, 1.0 / scale as f64),
        Params::OneStage(p) => {
            let mut x = filter2d(gt, &p.blur.build());
            x = resize(&x, lh, lw, ResizeMode::Bicubic);
            p.noise.apply(&mut x);
            jpeg(&x, p.jpeg_quality)?
        }
        Params::RealEsrgan(p) => {
            let s1 = &p.stage1;
            let mut x = match &s1.blur {
                Some(k) => filter2d(gt, &k.build()),
                None => gt.clone(),
            };
            x = resize_by(&x, s1.resize_factor, s1.resize_mode);
            s1.noise.apply(&mut x);
            x = jpeg(&x, s1.jpeg_quality)?;
            let s2 = &p.stage2;
            if let Some(k) = &s2.blur {
                x = filter2d(&x, &k.build());
            }
            let size = |n: usize| ((n as f64 / scale as f64 * s2.resize_factor) as usize).max(1);
            x = resize(&x, size(gt.h), size(gt.w), s2.resize_mode);
            s2.noise.apply(&mut x);
            let sinc = p.final_sinc.build();
            if p.resize_first {
                x = resize(&x, lh, lw, p.final_resize_mode);
                x = filter2d(&x, &sinc);
                x = jpeg(&x, p.final_jpeg_quality)?;
            } else {
                x.clamp01();
                x = jpeg(&x, p.final_jpeg_quality)?;
                x = resize(&x, lh, lw, p.final_resize_mode);
                x = filter2d(&x, &sinc);
            }
            x
        }
    };
    out.quantize();
    Ok(out)
}

/// Degrade a GT image with a pipeline and a seed.
pub fn degrade(gt: &Image, scale: usize, pipeline: Pipeline, seed: u64) -> Result<Image> {
    apply(&sample_params(pipeline, &mut rng(seed)), gt, scale)
}

/// Two independent degradations of the same GT (seeds derived from `seed` with indices 0
/// and 1): the same-content pair of the alignment regulariser.
pub fn degrade_pair(
    gt: &Image,
    scale: usize,
    pipeline: Pipeline,
    seed: u64,
) -> Result<(Image, Image)> {
    let a = degrade(gt, scale, pipeline, derive_seed(seed, 0, 0))?;
    let b = degrade(gt, scale, pipeline, derive_seed(seed, 1, 0))?;
    Ok((a, b))
}

/// Crop to a multiple of the scale (top-left kept), as BasicSR `mod_crop`.
pub fn mod_crop(img: &Image, scale: usize) -> Image {
    img.crop(0, 0, img.h - img.h % scale, img.w - img.w % scale)
}

/// The eight test settings of Kong et al.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TestSetting {
    Clean,
    Blur,
    Noise,
    Jpeg,
    BlurNoise,
    BlurJpeg,
    NoiseJpeg,
    BlurNoiseJpeg,
}

impl TestSetting {
    pub const ALL: [TestSetting; 8] = [
        TestSetting::Clean,
        TestSetting::Blur,
        TestSetting::Noise,
        TestSetting::Jpeg,
        TestSetting::BlurNoise,
        TestSetting::BlurJpeg,
        TestSetting::NoiseJpeg,
        TestSetting::BlurNoiseJpeg,
    ];
    /// Folder name: clean, blur, noise, jpeg, b+n, b+j, n+j, b+n+j.
    pub fn name(self) -> &'static str {
        [
            "clean", "blur", "noise", "jpeg", "b+n", "b+j", "n+j", "b+n+j",
        ][self as usize]
    }
    fn has(self) -> (bool, bool, bool) {
        use TestSetting::*;
        (
            matches!(self, Blur | BlurNoise | BlurJpeg | BlurNoiseJpeg),
            matches!(self, Noise | BlurNoise | NoiseJpeg | BlurNoiseJpeg),
            matches!(self, Jpeg | BlurJpeg | NoiseJpeg | BlurNoiseJpeg),
        )
    }
}

/// How the noisy LR is brought back to 8 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseTo8Bit {
    /// Round to nearest (as every other intermediate here).
    Round,
    /// Truncate: numpy's `(clip(x, 0, 1) * 255).astype(np.uint8)` in Kong et al.'s script.
    Truncate,
}

/// Parameters of the fixed test degradations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDegradation {
    pub blur_size: usize,
    pub blur_sigma: f64,
    /// On the 0..255 scale.
    pub noise_sigma: f64,
    pub jpeg_quality: u8,
    /// `Matlab` (BasicSR imresize; the HR must be a multiple of the scale) or `Pil` (Pillow
    /// bicubic to (w / scale, h / scale) rounded down, from any size).
    pub resize: ResizeMode,
    pub noise_to_8bit: NoiseTo8Bit,
}

impl TestDegradation {
    /// Kong et al.'s test-set script as "Navigating Beyond Dropout" used it: OpenCV Gaussian
    /// blur 21x21 sigma 2 on the HR, Pillow bicubic down to (w // 4, h // 4), Gaussian noise
    /// sigma 20/255 on the LR in floats, clipped, truncated to 8-bit, Pillow JPEG quality 50
    /// (libjpeg-turbo, 4:2:0) decoded by Pillow. Numpy's generator cannot be matched: the noise
    /// is N(0, (20/255)^2) per value from our seeded generator.
    pub fn kong() -> TestDegradation {
        TestDegradation {
            blur_size: 21,
            blur_sigma: 2.0,
            noise_sigma: 20.0,
            jpeg_quality: 50,
            resize: ResizeMode::Pil,
            noise_to_8bit: NoiseTo8Bit::Truncate,
        }
    }

    /// The same steps with BasicSR's MATLAB-style imresize and the noise rounded.
    pub fn basicsr() -> TestDegradation {
        TestDegradation {
            resize: ResizeMode::Matlab,
            noise_to_8bit: NoiseTo8Bit::Round,
            ..TestDegradation::kong()
        }
    }
}

/// Kong et al.'s protocol is the default for the comparison.
impl Default for TestDegradation {
    fn default() -> Self {
        TestDegradation::kong()
    }
}

/// One test setting on an HR image: blur -> downsample -> noise -> JPEG, each step present or
/// not, every intermediate on the 8-bit grid (as images stored between steps; the blur is
/// OpenCV's bit-exact 8-bit GaussianBlur, the JPEG Pillow's bit-exact libjpeg-turbo round
/// trip). The LR is (h / scale) x (w / scale); with `Matlab` resizing the HR must be a
/// multiple of the scale. The noise field comes from `noise_seed` (use the same seed for all
/// settings of one image so that they share it).
pub fn test_degrade(
    hr: &Image,
    scale: usize,
    setting: TestSetting,
    cfg: &TestDegradation,
    noise_seed: u64,
) -> Result<Image> {
    match cfg.resize {
        ResizeMode::Matlab => check_scale(hr, scale)?,
        ResizeMode::Pil => {
            if scale == 0 || hr.h < scale || hr.w < scale {
                bail!(
                    "degrade: HR {}x{} is smaller than the scale {scale}",
                    hr.h,
                    hr.w
                );
            }
        }
        m => bail!(
            "test degradations use matlab or pil resizing, not {}",
            m.name()
        ),
    }
    let (b, n, j) = setting.has();
    let mut x = hr.clone();
    x.quantize();
    if b {
        let u = gaussian_blur_u8_cv2(&x.to_u8(), x.h, x.w, x.c, cfg.blur_size, cfg.blur_sigma);
        x = Image::from_u8(x.h, x.w, x.c, &u);
    }
    x = if cfg.resize == ResizeMode::Pil {
        resize(&x, hr.h / scale, hr.w / scale, ResizeMode::Pil)
    } else {
        imresize(&x, 1.0 / scale as f64)
    };
    x.quantize();
    if n {
        let sigma = cfg.noise_sigma / 255.0;
        match cfg.noise_to_8bit {
            NoiseTo8Bit::Round => {
                add_gaussian_noise(&mut x, sigma as f32, false, &mut rng(noise_seed));
                x.quantize();
            }
            NoiseTo8Bit::Truncate => {
                let mut u = x.to_u8();
                add_gaussian_noise_u8_truncated(&mut u, sigma, &mut rng(noise_seed));
                x = Image::from_u8(x.h, x.w, x.c, &u);
            }
        }
    }
    if j {
        x = jpeg(&x, cfg.jpeg_quality)?;
    }
    Ok(x)
}

//! The regularisers compared in "Navigating Beyond Dropout" (CVPR 2024), on the regularised
//! feature F [2P, C, H, W] of a batch of same-content pairs: rows i and P + i are two
//! degradations of one GT crop (the loader keeps them so).
//!
//! - `dropout`: Dropout2d on F before the layers after it (Kong et al., CVPR 2022); applied
//!   by the trainer through the model's feature hook, not a loss term.
//! - `align_linear` (the paper's form): per pair, mu = mean over positions, Sigma = centred
//!   covariance over positions; ||mu1 - mu2||^2 + ||Sigma1 - Sigma2||_F^2 with a selectable
//!   normalisation, averaged over pairs.
//! - `align_rff`: the same on phi(F) = sqrt(2/D) cos(W f + b) at every position, W ~ N(0,
//!   1/sigma^2) [D, C], b ~ U[0, 2 pi), redrawn every step from the run's seed.
//! - `align_pooled` (the published code's form): F average-pooled to one C-vector per image,
//!   each half centred over the batch, ops::pooled_align (linear + one-feature RFF map).
//! - `feature_l2`: ||F1 - F2||^2 / (C H W) per pair, averaged over pairs: forcing equal
//!   features (the paper's "too harsh" ablation).
//!
//! Every term is built from differentiable ops, so its gradient is the tape's. The loss of two
//! identical halves is exactly zero (the differences are exact zeros in f32).
//!
//! Train knows models, nn, ops and data; it never prints or parses arguments.

use anyhow::{bail, Result};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::autograd;
use crate::gpu::Gpu;
use crate::ops::binary::add;
use crate::ops::{
    concat, covariance, loss, pooled_align, reshape, rff, scale::scale, spatial_mean,
};
use crate::tensor::Tensor;

/// Scale of the two alignment terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalize {
    /// ||dmu||^2 + ||dSigma||^2 (the paper's formula as written).
    #[default]
    None,
    /// ||dmu||^2 / C + ||dSigma||^2 / C^2 (per-entry means).
    Mean,
    /// Deep CORAL: both terms / (4 C^2).
    Coral,
}

impl Normalize {
    /// Factors on (||dmu||^2, ||dSigma||_F^2) for C channels.
    pub fn factors(self, c: usize) -> (f64, f64) {
        let c = c as f64;
        match self {
            Normalize::None => (1.0, 1.0),
            Normalize::Mean => (1.0 / c, 1.0 / (c * c)),
            Normalize::Coral => (1.0 / (4.0 * c * c), 1.0 / (4.0 * c * c)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutCfg {
    /// Channel drop probability; default 0.7 for SRResNet, 0.5 otherwise (Kong et al.).
    pub p: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinearCfg {
    pub weight: f32,
    #[serde(default)]
    pub normalize: Normalize,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RffCfg {
    pub weight: f32,
    /// Number of random features D.
    #[serde(default = "default_rff_dim")]
    pub dim: usize,
    /// Kernel bandwidth: W ~ N(0, 1 / sigma^2).
    #[serde(default = "default_sigma")]
    pub sigma: f32,
    #[serde(default)]
    pub normalize: Normalize,
}

fn default_rff_dim() -> usize {
    128
}
fn default_sigma() -> f32 {
    1.0
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WeightCfg {
    pub weight: f32,
}

/// The `[regularizer]` table: any combination of the terms (dropout with alignment too).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegularizerCfg {
    pub dropout: Option<DropoutCfg>,
    pub align_linear: Option<LinearCfg>,
    pub align_rff: Option<RffCfg>,
    pub align_pooled: Option<WeightCfg>,
    pub feature_l2: Option<WeightCfg>,
}

/// A term's random draws of one step, on the device.
pub enum Draw {
    /// W [D, C], b [D] of the RFF map.
    Rff { w: Tensor, b: Tensor },
    /// The pooled form's scalar w and b [C].
    Pooled { w: f32, b: Tensor },
}

/// One loss term of the regulariser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    AlignLinear,
    AlignRff,
    AlignPooled,
    FeatureL2,
}

impl Term {
    pub fn name(self) -> &'static str {
        match self {
            Term::AlignLinear => "align_linear",
            Term::AlignRff => "align_rff",
            Term::AlignPooled => "align_pooled",
            Term::FeatureL2 => "feature_l2",
        }
    }
}

impl RegularizerCfg {
    /// A short name of the method: "baseline", "dropout", "align-linear", "dropout+align-rff", ...
    pub fn method_name(&self) -> String {
        let mut parts = Vec::new();
        if self.dropout.is_some() {
            parts.push("dropout");
        }
        for (t, _) in self.terms() {
            parts.push(match t {
                Term::AlignLinear => "align-linear",
                Term::AlignRff => "align-rff",
                Term::AlignPooled => "align-pooled",
                Term::FeatureL2 => "feature-l2",
            });
        }
        if parts.is_empty() {
            "baseline".into()
        } else {
            parts.join("+")
        }
    }

    /// The loss terms in use with their weights, in a fixed order.
    pub fn terms(&self) -> Vec<(Term, f32)> {
        let mut v = Vec::new();
        if let Some(c) = &self.align_linear {
            v.push((Term::AlignLinear, c.weight));
        }
        if let Some(c) = &self.align_rff {
            v.push((Term::AlignRff, c.weight));
        }
        if let Some(c) = &self.align_pooled {
            v.push((Term::AlignPooled, c.weight));
        }
        if let Some(c) = &self.feature_l2 {
            v.push((Term::FeatureL2, c.weight));
        }
        v
    }

    /// Error naming the key of the first bad value.
    pub fn validate(&self) -> Result<()> {
        if let Some(d) = &self.dropout {
            if let Some(p) = d.p {
                if !(0.0..1.0).contains(&p) {
                    bail!("regularizer.dropout.p = {p}: must be in [0, 1)");
                }
            }
        }
        for (t, w) in self.terms() {
            if !w.is_finite() || w < 0.0 {
                bail!(
                    "regularizer.{}.weight = {w}: must be finite and >= 0",
                    t.name()
                );
            }
        }
        if let Some(r) = &self.align_rff {
            if r.dim == 0 || r.dim > 4096 {
                bail!("regularizer.align_rff.dim = {}: must be in 1..=4096", r.dim);
            }
            if !(r.sigma.is_finite() && r.sigma > 0.0) {
                bail!(
                    "regularizer.align_rff.sigma = {}: must be finite and > 0",
                    r.sigma
                );
            }
        }
        Ok(())
    }

    /// The value of `term` on the feature of a pair batch (differentiable). `seed` fixes the
    /// term's random draws (RFF weights) for this step.
    pub fn term_loss(&self, term: Term, f: &Tensor, seed: u64) -> Result<Tensor> {
        let [_, c, _, _] = f.dims4(term.name())?;
        let draw = self.draw(term, f.gpu(), c, seed)?;
        self.term_loss_with(term, f, draw.as_ref())
    }

    /// The random draws of `term` for a feature of `c` channels, uploaded: a trainer makes them
    /// before recording the step, so that no upload (which submits) falls inside it.
    pub fn draw(&self, term: Term, gpu: &Gpu, c: usize, seed: u64) -> Result<Option<Draw>> {
        Ok(match term {
            Term::AlignRff => {
                let r = self.align_rff.as_ref().expect("term in use");
                let (w, b) = rff_draw(c, r.dim, r.sigma, seed);
                Some(Draw::Rff {
                    w: Tensor::from_slice(gpu, &[r.dim, c], &w)?,
                    b: Tensor::from_slice(gpu, &[r.dim], &b)?,
                })
            }
            Term::AlignPooled => {
                let (w, b) = pooled_draw(c, seed);
                Some(Draw::Pooled {
                    w,
                    b: Tensor::from_slice(gpu, &[c], &b)?,
                })
            }
            Term::AlignLinear | Term::FeatureL2 => None,
        })
    }

    /// `term_loss` with the term's draws made beforehand (see `draw`).
    pub fn term_loss_with(&self, term: Term, f: &Tensor, draw: Option<&Draw>) -> Result<Tensor> {
        Ok(match (term, draw) {
            (Term::AlignLinear, _) => {
                let c = self.align_linear.as_ref().expect("term in use");
                align_linear(f, c.normalize)?
            }
            (Term::AlignRff, Some(Draw::Rff { w, b })) => {
                let c = self.align_rff.as_ref().expect("term in use");
                align_linear(&rff::rff(f, w, b)?, c.normalize)?
            }
            (Term::AlignPooled, Some(Draw::Pooled { w, b })) => pooled_loss(f, *w, b)?,
            (Term::FeatureL2, _) => feature_l2(f)?,
            (t, _) => bail!(
                "{}: its random draw is missing or of another term",
                t.name()
            ),
        })
    }
}

/// The two halves (rows 0..P and P..2P) of a tensor whose first dimension is 2P, as
/// differentiable flat views [1, P * rest, 1, 1].
pub fn halves(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let rows = x.shape()[0];
    if !rows.is_multiple_of(2) || rows == 0 {
        bail!(
            "pair batch: the first dimension of {:?} must be even (two degradations per GT crop)",
            x.shape()
        );
    }
    let n = x.numel();
    let flat = reshape(x, &[1, n, 1, 1])?;
    let mut parts = concat::split(&flat, &[n / 2, n / 2])?;
    let second = parts.pop().expect("two parts");
    let first = parts.pop().expect("two parts");
    Ok((first, second))
}

/// Mean over pairs of the squared Frobenius distance between the halves, times `s`:
/// mse(x1, x2) * (elements per pair) * s.
fn pair_sq_dist(x: &Tensor, s: f64) -> Result<Tensor> {
    let per_pair = x.numel() / (x.shape()[0] / 2) / 2;
    let (a, b) = halves(x)?;
    let d = loss::mse(&a, &b)?;
    Ok(scale(&d, (per_pair as f64 * s) as f32)?)
}

/// The paper's alignment of first and second moments over positions.
pub fn align_linear(f: &Tensor, norm: Normalize) -> Result<Tensor> {
    let [_, c, _, _] = f.dims4("align_linear")?;
    let (fm, fc) = norm.factors(c);
    let mu = spatial_mean::spatial_mean(f)?;
    let cov = covariance::covariance(f)?;
    Ok(add(&pair_sq_dist(&mu, fm)?, &pair_sq_dist(&cov, fc)?)?)
}

/// RFF weights of one step: W [D, C] ~ N(0, 1/sigma^2), b [D] ~ U[0, 2 pi).
pub fn rff_draw(c: usize, dim: usize, sigma: f32, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0f64, 1.0 / sigma as f64).expect("sigma > 0");
    let w: Vec<f32> = (0..dim * c)
        .map(|_| normal.sample(&mut rng) as f32)
        .collect();
    let b: Vec<f32> = (0..dim)
        .map(|_| rng.random_range(0.0..std::f64::consts::TAU) as f32)
        .collect();
    (w, b)
}

/// Alignment of the moments of random Fourier features of F.
pub fn align_rff(f: &Tensor, dim: usize, sigma: f32, norm: Normalize, seed: u64) -> Result<Tensor> {
    let [_, c, _, _] = f.dims4("align_rff")?;
    let (w, b) = rff_draw(c, dim, sigma, seed);
    let w = Tensor::from_slice(f.gpu(), &[dim, c], &w)?;
    let b = Tensor::from_slice(f.gpu(), &[dim], &b)?;
    align_linear(&rff::rff(f, &w, &b)?, norm)
}

/// The pooled form's random feature of one step: w ~ N(0, 1), b [C] ~ U(0, 2 pi).
pub fn pooled_draw(c: usize, seed: u64) -> (f32, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w = Normal::new(0.0f64, 1.0)
        .expect("unit normal")
        .sample(&mut rng) as f32;
    let b = (0..c)
        .map(|_| rng.random_range(0.0..std::f64::consts::TAU) as f32)
        .collect();
    (w, b)
}

/// The published code's pooled form (see ops::pooled_align); w ~ N(0, 1), b ~ U(0, 2 pi) per
/// channel, redrawn every step.
pub fn align_pooled(f: &Tensor, seed: u64) -> Result<Tensor> {
    let [_, c, _, _] = f.dims4("align_pooled")?;
    let (w, b) = pooled_draw(c, seed);
    pooled_loss(f, w, &Tensor::from_slice(f.gpu(), &[c], &b)?)
}

fn pooled_loss(f: &Tensor, w: f32, b: &Tensor) -> Result<Tensor> {
    let [n, c, _, _] = f.dims4("align_pooled")?;
    let u = reshape(&spatial_mean::spatial_mean(f)?, &[n, c])?;
    Ok(pooled_align::pooled_align(&u, w, b)?)
}

/// ||F1 - F2||^2 / (C H W) per pair, averaged over pairs.
pub fn feature_l2(f: &Tensor) -> Result<Tensor> {
    let (a, b) = halves(f)?;
    Ok(loss::mse(&a, &b)?)
}

/// How far apart the two halves' statistics are, relative to their size (not differentiated):
/// [||mu1 - mu2|| / mean(||mu1||, ||mu2||), ||Sigma1 - Sigma2||_F / mean(||Sigma1||_F,
/// ||Sigma2||_F)] over the whole half-batches, as squared pieces [d_mu^2, |mu1|^2, |mu2|^2,
/// d_cov^2, |cov1|^2, |cov2|^2] on the GPU (read back with the loss values).
pub fn alignment_pieces(f: &Tensor) -> Result<Tensor> {
    let _ng = autograd::no_grad();
    let gpu = f.gpu();
    let mu = spatial_mean::spatial_mean(f)?;
    let cov = covariance::covariance(f)?;
    let out = Tensor::empty(gpu, "alignment_pieces", &[6])?;
    for (k, x) in [mu, cov].iter().enumerate() {
        let (a, b) = halves(x)?;
        let d = scale(&loss::mse(&a, &b)?, a.numel() as f32)?;
        let na = crate::ops::reduce::sum_squares(&a)?;
        let nb = crate::ops::reduce::sum_squares(&b)?;
        for (j, t) in [d, na, nb].iter().enumerate() {
            gpu.copy(t.buffer(), 0, out.buffer(), (k * 3 + j) as u64 * 4, 4);
        }
    }
    Ok(out)
}

/// The relative distances (mu, Sigma) from `alignment_pieces` read back.
pub fn alignment_distances(p: &[f32]) -> (f64, f64) {
    let rel = |d: f32, a: f32, b: f32| {
        let m = 0.5 * ((a as f64).sqrt() + (b as f64).sqrt());
        if m > 0.0 {
            (d as f64).sqrt() / m
        } else {
            0.0
        }
    };
    (rel(p[0], p[1], p[2]), rel(p[3], p[4], p[5]))
}

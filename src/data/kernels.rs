//! Blur kernels and their Real-ESRGAN sampling (BasicSR `degradations.py` formulas).
//!
//! Grid: for an odd size k, coordinates -(k/2)..=k/2 on both axes, x along columns.
//! Gaussian family: Sigma = R(theta) diag(sx^2, sy^2) R(theta)^T, q = [x y] Sigma^-1 [x y]^T;
//! Gaussian exp(-q/2), generalized Gaussian exp(-q^beta/2), plateau 1/(q^beta + 1); sinc is
//! the circular low-pass cutoff*J1(cutoff r)/(2 pi r) (centre cutoff^2/(4 pi)). All
//! normalised to sum 1.

use super::Rng;
use rand::Rng as _;
use serde::Serialize;
use std::f64::consts::PI;

/// Size every Real-ESRGAN kernel is zero-padded to.
pub const PAD_SIZE: usize = 21;

/// A square kernel, row-major, `data.len() == size * size`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    pub size: usize,
    pub data: Vec<f64>,
}

impl Kernel {
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }
    pub fn at(&self, y: usize, x: usize) -> f64 {
        self.data[y * self.size + x]
    }
    /// Zero-pad to `size` (odd, >= the kernel's), centred.
    pub fn pad_to(&self, size: usize) -> Kernel {
        if size <= self.size {
            return self.clone();
        }
        let p = (size - self.size) / 2;
        let mut data = vec![0.0; size * size];
        for y in 0..self.size {
            for x in 0..self.size {
                data[(y + p) * size + x + p] = self.at(y, x);
            }
        }
        Kernel { size, data }
    }
    /// The identity filter (a 1 at the centre).
    pub fn pulse(size: usize) -> Kernel {
        let mut data = vec![0.0; size * size];
        data[(size / 2) * size + size / 2] = 1.0;
        Kernel { size, data }
    }
}

/// A kernel's parameters, explicit (so a degradation can be logged and replayed).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KernelSpec {
    Gaussian {
        size: usize,
        sigma_x: f64,
        sigma_y: f64,
        theta: f64,
    },
    Generalized {
        size: usize,
        sigma_x: f64,
        sigma_y: f64,
        theta: f64,
        beta: f64,
    },
    Plateau {
        size: usize,
        sigma_x: f64,
        sigma_y: f64,
        theta: f64,
        beta: f64,
    },
    Sinc {
        size: usize,
        cutoff: f64,
    },
    Pulse {
        size: usize,
    },
}

impl KernelSpec {
    /// The kernel at its own size (not padded).
    pub fn build(&self) -> Kernel {
        match *self {
            KernelSpec::Gaussian {
                size,
                sigma_x,
                sigma_y,
                theta,
            } => quadratic_kernel(size, sigma_x, sigma_y, theta, |q| (-0.5 * q).exp()),
            KernelSpec::Generalized {
                size,
                sigma_x,
                sigma_y,
                theta,
                beta,
            } => quadratic_kernel(size, sigma_x, sigma_y, theta, |q| {
                (-0.5 * q.powf(beta)).exp()
            }),
            KernelSpec::Plateau {
                size,
                sigma_x,
                sigma_y,
                theta,
                beta,
            } => quadratic_kernel(size, sigma_x, sigma_y, theta, |q| {
                1.0 / (q.powf(beta) + 1.0)
            }),
            KernelSpec::Sinc { size, cutoff } => sinc(size, cutoff),
            KernelSpec::Pulse { size } => Kernel::pulse(size),
        }
    }
}

fn quadratic_kernel(size: usize, sx: f64, sy: f64, theta: f64, f: impl Fn(f64) -> f64) -> Kernel {
    let (s, c) = theta.sin_cos();
    // Sigma = R D R^T; its inverse is R D^-1 R^T.
    let (a, b) = (1.0 / (sx * sx), 1.0 / (sy * sy));
    let i00 = c * c * a + s * s * b;
    let i01 = c * s * (a - b);
    let i11 = s * s * a + c * c * b;
    let r = (size / 2) as f64;
    let mut data = Vec::with_capacity(size * size);
    for yi in 0..size {
        for xi in 0..size {
            let (x, y) = (xi as f64 - r, yi as f64 - r);
            data.push(f(x * x * i00 + 2.0 * x * y * i01 + y * y * i11));
        }
    }
    normalise(Kernel { size, data })
}

fn normalise(mut k: Kernel) -> Kernel {
    let s = k.sum();
    for v in &mut k.data {
        *v /= s;
    }
    k
}

/// Bessel J1 by the trapezoidal rule on Bessel's integral over a full period, which
/// converges geometrically for a periodic smooth integrand (exact to ~1e-15 for |x| < 100).
pub fn bessel_j1(x: f64) -> f64 {
    const N: usize = 512;
    let mut s = 0.0;
    for i in 0..N {
        let t = 2.0 * PI * i as f64 / N as f64;
        s += (t - x * t.sin()).cos();
    }
    s / N as f64
}

/// Circular low-pass (sinc) kernel of an odd size with cutoff frequency in radians.
pub fn sinc(size: usize, cutoff: f64) -> Kernel {
    let r = (size - 1) as f64 / 2.0;
    let mut data = Vec::with_capacity(size * size);
    for yi in 0..size {
        for xi in 0..size {
            let d = ((xi as f64 - r).powi(2) + (yi as f64 - r).powi(2)).sqrt();
            data.push(if d == 0.0 {
                cutoff * cutoff / (4.0 * PI)
            } else {
                cutoff * bessel_j1(cutoff * d) / (2.0 * PI * d)
            });
        }
    }
    normalise(Kernel { size, data })
}

/// Gaussian kernel family names, in the order of `KernelStage::family_probs`.
pub const FAMILIES: [&str; 6] = [
    "iso",
    "aniso",
    "generalized_iso",
    "generalized_aniso",
    "plateau_iso",
    "plateau_aniso",
];

/// Ranges and probabilities of one Real-ESRGAN blur stage (BasicSR realesrgan x4 options).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KernelStage {
    /// Odd sizes drawn uniformly from this inclusive range.
    pub size_range: (usize, usize),
    pub sinc_prob: f64,
    pub family_probs: [f64; 6],
    pub sigma: (f64, f64),
    pub betag: (f64, f64),
    pub betap: (f64, f64),
}

impl KernelStage {
    pub fn stage1() -> KernelStage {
        KernelStage {
            size_range: (7, 21),
            sinc_prob: 0.1,
            family_probs: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03],
            sigma: (0.2, 3.0),
            betag: (0.5, 4.0),
            betap: (1.0, 2.0),
        }
    }
    pub fn stage2() -> KernelStage {
        KernelStage {
            sigma: (0.2, 1.5),
            ..KernelStage::stage1()
        }
    }
}

/// An odd size uniform in `range` (inclusive).
pub fn sample_size(range: (usize, usize), rng: &mut Rng) -> usize {
    let n = (range.1 - range.0) / 2 + 1;
    range.0 + 2 * rng.random_range(0..n)
}

fn uniform(rng: &mut Rng, r: (f64, f64)) -> f64 {
    if r.1 > r.0 {
        rng.random_range(r.0..r.1)
    } else {
        r.0
    }
}

/// Beta drawn as BasicSR does: with p 0.5 from [lo, 1), else from [1, hi).
fn sample_beta(rng: &mut Rng, r: (f64, f64)) -> f64 {
    if rng.random::<f64>() < 0.5 {
        uniform(rng, (r.0, 1.0f64.max(r.0)))
    } else {
        uniform(rng, (1.0f64.min(r.1), r.1))
    }
}

/// One blur kernel of a Real-ESRGAN stage: size, then sinc (cutoff U[pi/3, pi] below size
/// 13, else U[pi/5, pi]) with `sinc_prob`, else a Gaussian-family kernel.
pub fn sample_kernel(stage: &KernelStage, rng: &mut Rng) -> KernelSpec {
    let size = sample_size(stage.size_range, rng);
    if rng.random::<f64>() < stage.sinc_prob {
        let lo = if size < 13 { PI / 3.0 } else { PI / 5.0 };
        return KernelSpec::Sinc {
            size,
            cutoff: rng.random_range(lo..PI),
        };
    }
    let u = rng.random::<f64>() * stage.family_probs.iter().sum::<f64>();
    let mut acc = 0.0;
    let mut family = 5;
    for (i, p) in stage.family_probs.iter().enumerate() {
        acc += p;
        if u < acc {
            family = i;
            break;
        }
    }
    let iso = family % 2 == 0;
    let sigma_x = uniform(rng, stage.sigma);
    let (sigma_y, theta) = if iso {
        (sigma_x, 0.0)
    } else {
        (uniform(rng, stage.sigma), rng.random_range(-PI..PI))
    };
    match family / 2 {
        0 => KernelSpec::Gaussian {
            size,
            sigma_x,
            sigma_y,
            theta,
        },
        1 => KernelSpec::Generalized {
            size,
            sigma_x,
            sigma_y,
            theta,
            beta: sample_beta(rng, stage.betag),
        },
        _ => KernelSpec::Plateau {
            size,
            sigma_x,
            sigma_y,
            theta,
            beta: sample_beta(rng, stage.betap),
        },
    }
}

/// The final sinc of Real-ESRGAN: with `prob` a sinc of random odd size 7..21 and cutoff
/// U[pi/3, pi], else the identity.
pub fn sample_final_sinc(prob: f64, rng: &mut Rng) -> KernelSpec {
    if rng.random::<f64>() < prob {
        let size = sample_size((7, 21), rng);
        KernelSpec::Sinc {
            size,
            cutoff: rng.random_range(PI / 3.0..PI),
        }
    } else {
        KernelSpec::Pulse { size: PAD_SIZE }
    }
}

//! Parameter initialisations, as PyTorch / BasicSR / SwinIR perform them.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

#[derive(Clone, Copy, Debug)]
pub enum Init {
    Const(f32),
    /// PyTorch's default for conv/linear weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    /// (kaiming_uniform with a = sqrt 5 reduces to this bound).
    TorchUniform {
        fan_in: usize,
    },
    /// kaiming_normal_(mode='fan_in', a=0) times `scale` (BasicSR default_init_weights).
    KaimingNormal {
        fan_in: usize,
        scale: f64,
    },
    /// timm's trunc_normal_(std) with cut-offs at +-2 (absolute, as SwinIR calls it).
    TruncNormal {
        std: f64,
    },
}

impl Init {
    pub fn sample(&self, rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
        match *self {
            Init::Const(v) => vec![v; n],
            Init::TorchUniform { fan_in } => {
                let b = 1.0 / (fan_in.max(1) as f64).sqrt();
                (0..n).map(|_| rng.random_range(-b..b) as f32).collect()
            }
            Init::KaimingNormal { fan_in, scale } => {
                let std = (2.0 / fan_in.max(1) as f64).sqrt();
                let d = Normal::new(0.0, std).unwrap();
                (0..n).map(|_| (d.sample(rng) * scale) as f32).collect()
            }
            Init::TruncNormal { std } => {
                let d = Normal::new(0.0, std).unwrap();
                (0..n)
                    .map(|_| loop {
                        let v: f64 = d.sample(rng);
                        if (-2.0..=2.0).contains(&v) {
                            break v as f32;
                        }
                    })
                    .collect()
            }
        }
    }
}

//! Layers with parameters (Conv2d, Linear, LayerNorm) and the `Builder` that creates and
//! names parameters as BasicSR's state dicts do (`body.0.conv1.weight`), initialised as the
//! reference implementations initialise them. `weights` reads and writes safetensors.
//!
//! nn knows ops, autograd and tensors; it never names a model or training.

pub mod init;
pub mod weights;

use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops;
use crate::ops::conv2d::ConvImpl;
use crate::ops::conv2d_multi::{Epilogue, FeatureStack};
use crate::tensor::Tensor;
pub use init::Init;

/// Every parameter of a model in creation order, with its state-dict name.
#[derive(Clone, Default)]
pub struct ParamStore(Rc<RefCell<Vec<(String, Tensor)>>>);

impl ParamStore {
    pub fn named(&self) -> Vec<(String, Tensor)> {
        self.0.borrow().clone()
    }
    pub fn tensors(&self) -> Vec<Tensor> {
        self.0.borrow().iter().map(|(_, t)| t.clone()).collect()
    }
    pub fn get(&self, name: &str) -> Option<Tensor> {
        self.0
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }
    /// Total number of scalar parameters.
    pub fn count(&self) -> usize {
        self.0.borrow().iter().map(|(_, t)| t.numel()).sum()
    }
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
    fn push(&self, name: String, t: Tensor) {
        self.0.borrow_mut().push((name, t));
    }
}

/// Creates parameters under a name prefix, from one seeded generator.
#[derive(Clone)]
pub struct Builder {
    gpu: Gpu,
    prefix: String,
    store: ParamStore,
    rng: Rc<RefCell<ChaCha8Rng>>,
}

impl Builder {
    pub fn new(gpu: &Gpu, seed: u64) -> Builder {
        Builder {
            gpu: gpu.clone(),
            prefix: String::new(),
            store: ParamStore::default(),
            rng: Rc::new(RefCell::new(ChaCha8Rng::seed_from_u64(seed))),
        }
    }
    /// A builder whose parameters are named `<prefix>.<name>.…`.
    pub fn pp(&self, name: impl Display) -> Builder {
        let prefix = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        };
        Builder {
            prefix,
            ..self.clone()
        }
    }
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }
    pub fn store(&self) -> ParamStore {
        self.store.clone()
    }
    /// Create, initialise and register a parameter.
    pub fn param(&self, name: &str, shape: &[usize], init: Init) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let data = init.sample(&mut self.rng.borrow_mut(), n);
        let t = Tensor::from_slice(&self.gpu, shape, &data)?;
        t.set_requires_grad(true);
        let full = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        };
        self.store.push(full, t.clone());
        Ok(t)
    }
}

/// How a convolution's weights start.
#[derive(Clone, Copy, Debug)]
pub enum ConvInit {
    /// PyTorch's default (kaiming-uniform with a = sqrt 5 for weights, uniform bias).
    Torch,
    /// BasicSR's `default_init_weights(scale)`: kaiming-normal (fan in) times `scale`, bias 0.
    KaimingScaled(f64),
}

/// 2-D convolution, stride 1, zero padding k/2, with bias; weight OIHW.
pub struct Conv2d {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Conv2d {
    pub fn new(b: &Builder, cin: usize, cout: usize, k: usize, init: ConvInit) -> Result<Conv2d> {
        let fan_in = cin * k * k;
        let (wi, bi) = match init {
            ConvInit::Torch => (Init::TorchUniform { fan_in }, Init::TorchUniform { fan_in }),
            ConvInit::KaimingScaled(s) => {
                (Init::KaimingNormal { fan_in, scale: s }, Init::Const(0.0))
            }
        };
        Ok(Conv2d {
            weight: b.param("weight", &[cout, cin, k, k], wi)?,
            bias: b.param("bias", &[cout], bi)?,
        })
    }
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::conv2d::conv2d(x, &self.weight, Some(&self.bias))
    }
    /// The convolution of the channel concatenation of `xs`, never written out
    /// (ops/conv2d_multi.rs).
    pub fn forward_multi(&self, xs: &[&Tensor]) -> Result<Tensor> {
        ops::conv2d_multi::conv2d_multi(xs, &self.weight, Some(&self.bias))
    }
    /// `ep`(`forward_multi`), the epilogue fused where the op allows
    /// (ops::conv2d_multi::Epilogue).
    pub fn forward_multi_fused(&self, xs: &[&Tensor], ep: Epilogue) -> Result<Tensor> {
        let b = Some(&self.bias);
        ops::conv2d_multi::conv2d_multi_fused(xs, &self.weight, b, ep, ConvImpl::Auto)
    }
    /// `forward_multi` followed by LeakyReLU(`slope`), fused where the op allows.
    pub fn forward_multi_lrelu(&self, xs: &[&Tensor], slope: f32) -> Result<Tensor> {
        self.forward_multi_fused(xs, Epilogue::lrelu(slope))
    }
    /// pixel_shuffle(`ep`(`forward_multi`), r): an upsampler's conv; a shuffle by 2 is fused
    /// into the conv where the op allows, others run after it.
    pub fn forward_multi_shuffle(&self, xs: &[&Tensor], ep: Epilogue, r: usize) -> Result<Tensor> {
        match r {
            2 => self.forward_multi_fused(xs, ep.shuffled()),
            _ => ops::pixel_shuffle::pixel_shuffle(&self.forward_multi_fused(xs, ep)?, r),
        }
    }
    /// `ep`(`forward_multi`) of a dense block's features, sharing their Winograd input
    /// transforms with the block's other convs where that path runs
    /// (ops::conv2d_multi::conv2d_stack).
    pub fn forward_stack(&self, stack: &mut FeatureStack, ep: Epilogue) -> Result<Tensor> {
        ops::conv2d_multi::conv2d_stack(stack, &self.weight, Some(&self.bias), ep)
    }
    /// `forward_multi_fused` on the fused texture kernels where the fused Winograd path would
    /// cost a dispatch more (RRDBNet's budget; ops::conv2d_multi::conv2d_multi_texture_only).
    pub fn forward_multi_texture_only(&self, xs: &[&Tensor], ep: Epilogue) -> Result<Tensor> {
        ops::conv2d_multi::conv2d_multi_texture_only(xs, &self.weight, Some(&self.bias), ep)
    }
}

/// Fully connected layer, weight [out, in] as PyTorch.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Linear {
    /// SwinIR's initialisation: trunc-normal(0.02) weights, zero bias.
    pub fn new_trunc_normal(b: &Builder, inp: usize, out: usize) -> Result<Linear> {
        Ok(Linear {
            weight: b.param("weight", &[out, inp], Init::TruncNormal { std: 0.02 })?,
            bias: b.param("bias", &[out], Init::Const(0.0))?,
        })
    }
    /// x [M, in] -> [M, out]
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::matmul::linear(x, &self.weight, Some(&self.bias))
    }
}

/// LayerNorm over the last dimension (weight 1, bias 0 at start), eps 1e-5.
pub struct LayerNorm {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl LayerNorm {
    pub fn new(b: &Builder, c: usize) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: b.param("weight", &[c], Init::Const(1.0))?,
            bias: b.param("bias", &[c], Init::Const(0.0))?,
        })
    }
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::layernorm::layernorm(x, &self.weight, &self.bias, 1e-5)
    }
}

//! MSRN (Li et al., ECCV 2018 — the multi-scale residual network, not BasicSR's MSRResNet):
//! a fixed mean shift (not a parameter), head conv, `num_block` multi-scale residual blocks
//! (3x3 and 5x5 branches with ReLU, concatenated, a second 3x3/5x5 stage on 2F channels, a 1x1
//! fusion 4F -> F, and a skip), the fusion of the head output and every block output
//! (1x1 over (num_block + 1) F channels, then 3x3), an upsampler (conv F -> 4F + pixel_shuffle,
//! twice for x4; conv F -> 9F + pixel_shuffle(3) for x3) and a final conv, PyTorch-default
//! initialisation. Parameter names follow the reference code (`head.0`, `body.i.conv_3_1`,
//! `tail.0`, `tail.1`, `tail.2.0`, `tail.2.2`, `tail.3`).
//!
//! Regularised feature: the HR feature after the upsampler, the input of the last conv (MSRN
//! has no conv_hr).

use serde::Deserialize;

use super::{check_scale, hooked, FeatureHook, SrModel, SrOutput};
use crate::error::Result;
use crate::nn::{Builder, Conv2d, ConvInit, ParamStore};
use crate::ops::conv2d_multi::Epilogue;
use crate::ops::{bias, binary};
use crate::tensor::Tensor;

/// DIV2K RGB mean, in [0, 1], subtracted at the input and added back at the output.
pub const RGB_MEAN: [f32; 3] = [0.4488, 0.4371, 0.4040];

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub num_in_ch: usize,
    pub num_out_ch: usize,
    pub num_feat: usize,
    pub num_block: usize,
    pub upscale: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            num_in_ch: 3,
            num_out_ch: 3,
            num_feat: 64,
            num_block: 8,
            upscale: 4,
        }
    }
}

struct Msrb {
    conv_3_1: Conv2d,
    conv_5_1: Conv2d,
    conv_3_2: Conv2d,
    conv_5_2: Conv2d,
    confusion: Conv2d,
}

impl Msrb {
    fn new(b: &Builder, f: usize) -> Result<Msrb> {
        let t = ConvInit::Torch;
        Ok(Msrb {
            conv_3_1: Conv2d::new(&b.pp("conv_3_1"), f, f, 3, t)?,
            conv_5_1: Conv2d::new(&b.pp("conv_5_1"), f, f, 5, t)?,
            conv_3_2: Conv2d::new(&b.pp("conv_3_2"), 2 * f, 2 * f, 3, t)?,
            conv_5_2: Conv2d::new(&b.pp("conv_5_2"), 2 * f, 2 * f, 5, t)?,
            confusion: Conv2d::new(&b.pp("confusion"), 4 * f, f, 1, t)?,
        })
    }
    /// The concatenations are never written: each conv reads its two parts directly, and
    /// applies its ReLU (LeakyReLU with slope 0) as it stores (ops/conv2d_multi.rs).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let o31 = self.conv_3_1.forward_multi_lrelu(&[x], 0.0)?;
        let o51 = self.conv_5_1.forward_multi_lrelu(&[x], 0.0)?;
        let i2 = [&o31, &o51];
        let o32 = self.conv_3_2.forward_multi_lrelu(&i2, 0.0)?;
        let o52 = self.conv_5_2.forward_multi_lrelu(&i2, 0.0)?;
        binary::add(&self.confusion.forward_multi(&[&o32, &o52])?, x)
    }
}

pub struct Msrn {
    cfg: Config,
    head: Conv2d,
    body: Vec<Msrb>,
    fuse1: Conv2d,
    fuse2: Conv2d,
    up: Vec<Conv2d>,
    last: Conv2d,
    mean_neg: Tensor,
    mean_pos: Tensor,
    store: ParamStore,
}

impl Msrn {
    pub fn new(b: &Builder, cfg: &Config) -> Result<Msrn> {
        check_scale("msrn", cfg.upscale, &[2, 3, 4])?;
        let f = cfg.num_feat;
        let t = ConvInit::Torch;
        let head = Conv2d::new(&b.pp("head").pp(0), cfg.num_in_ch, f, 3, t)?;
        let body = (0..cfg.num_block)
            .map(|i| Msrb::new(&b.pp("body").pp(i), f))
            .collect::<Result<Vec<_>>>()?;
        let fuse1 = Conv2d::new(&b.pp("tail").pp(0), f * (cfg.num_block + 1), f, 1, t)?;
        let fuse2 = Conv2d::new(&b.pp("tail").pp(1), f, f, 3, t)?;
        let up = match cfg.upscale {
            4 => vec![
                Conv2d::new(&b.pp("tail").pp(2).pp(0), f, 4 * f, 3, t)?,
                Conv2d::new(&b.pp("tail").pp(2).pp(2), f, 4 * f, 3, t)?,
            ],
            s => vec![Conv2d::new(&b.pp("tail").pp(2).pp(0), f, s * s * f, 3, t)?],
        };
        let last = Conv2d::new(&b.pp("tail").pp(3), f, cfg.num_out_ch, 3, t)?;
        let gpu = b.gpu();
        let c = cfg.num_in_ch.min(3);
        let mean: Vec<f32> = (0..cfg.num_in_ch)
            .map(|i| if i < c { RGB_MEAN[i] } else { 0.0 })
            .collect();
        let mean_neg = Tensor::from_slice(
            gpu,
            &[mean.len()],
            &mean.iter().map(|m| -m).collect::<Vec<_>>(),
        )?;
        let mean_pos = Tensor::from_slice(gpu, &[mean.len()], &mean)?;
        Ok(Msrn {
            cfg: cfg.clone(),
            head,
            body,
            fuse1,
            fuse2,
            up,
            last,
            mean_neg,
            mean_pos,
            store: b.store(),
        })
    }
}

impl SrModel for Msrn {
    fn arch(&self) -> &'static str {
        "msrn"
    }
    fn scale(&self) -> usize {
        self.cfg.upscale
    }
    fn params(&self) -> ParamStore {
        self.store.clone()
    }
    fn receptive_radius(&self) -> usize {
        4 * self.cfg.num_block + 2 + 4
    }
    fn forward_hooked(&self, x: &Tensor, hook: Option<FeatureHook>) -> Result<SrOutput> {
        let x = bias::bias(x, &self.mean_neg)?;
        let res = self.head.forward_multi(&[&x])?;
        let mut outs = Vec::with_capacity(self.body.len() + 1);
        let mut h = res.clone();
        for blk in &self.body {
            h = blk.forward(&h)?;
            outs.push(h.clone());
        }
        outs.push(res);
        let fused = self.fuse1.forward_multi(&outs.iter().collect::<Vec<_>>())?;
        let mut y = self.fuse2.forward_multi(&[&fused])?;
        // x2 shuffles fused into the conv where the op allows (ops/conv2d_multi.rs).
        let r = if self.cfg.upscale == 3 { 3 } else { 2 };
        for c in &self.up {
            y = c.forward_multi_shuffle(&[&y], Epilogue::default(), r)?;
        }
        let feature = y;
        let out = self.last.forward_multi(&[&hooked(&feature, hook)?])?;
        Ok(SrOutput {
            out: bias::bias(&out, &self.mean_pos)?,
            feature,
        })
    }
}

//! SRResNet as BasicSR's MSRResNet: conv_first + LReLU(0.1), `num_block` residual blocks
//! (conv-ReLU-conv, no BN, res_scale 1), an upsampler of conv + pixel_shuffle + LReLU (two x2
//! stages for x4, one x2 or x3 stage otherwise), conv_hr + LReLU, conv_last, plus a bilinear
//! upsampling of the input added to the output. Every conv is initialised by BasicSR's
//! default_init_weights with scale 0.1.
//!
//! Regularised feature: the HR feature LReLU(conv_hr(.)), the input of conv_last.

use serde::Deserialize;

use super::{check_scale, hooked, FeatureHook, SrModel, SrOutput};
use crate::error::Result;
use crate::nn::{Builder, Conv2d, ConvInit, ParamStore};
use crate::ops::conv2d_multi::Epilogue;
use crate::ops::{binary, upsample};
use crate::tensor::Tensor;

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
            num_block: 16,
            upscale: 4,
        }
    }
}

struct Block {
    conv1: Conv2d,
    conv2: Conv2d,
}

pub struct SrResNet {
    cfg: Config,
    conv_first: Conv2d,
    body: Vec<Block>,
    upconvs: Vec<Conv2d>,
    conv_hr: Conv2d,
    conv_last: Conv2d,
    store: ParamStore,
}

const INIT: ConvInit = ConvInit::KaimingScaled(0.1);

impl SrResNet {
    pub fn new(b: &Builder, cfg: &Config) -> Result<SrResNet> {
        check_scale("srresnet", cfg.upscale, &[2, 3, 4])?;
        let f = cfg.num_feat;
        let conv_first = Conv2d::new(&b.pp("conv_first"), cfg.num_in_ch, f, 3, INIT)?;
        let body = (0..cfg.num_block)
            .map(|i| {
                let bb = b.pp("body").pp(i);
                Ok(Block {
                    conv1: Conv2d::new(&bb.pp("conv1"), f, f, 3, INIT)?,
                    conv2: Conv2d::new(&bb.pp("conv2"), f, f, 3, INIT)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let upconvs = match cfg.upscale {
            4 => vec![
                Conv2d::new(&b.pp("upconv1"), f, f * 4, 3, INIT)?,
                Conv2d::new(&b.pp("upconv2"), f, f * 4, 3, INIT)?,
            ],
            s => vec![Conv2d::new(&b.pp("upconv1"), f, f * s * s, 3, INIT)?],
        };
        let conv_hr = Conv2d::new(&b.pp("conv_hr"), f, f, 3, INIT)?;
        let conv_last = Conv2d::new(&b.pp("conv_last"), f, cfg.num_out_ch, 3, INIT)?;
        Ok(SrResNet {
            cfg: cfg.clone(),
            conv_first,
            body,
            upconvs,
            conv_hr,
            conv_last,
            store: b.store(),
        })
    }
}

impl SrModel for SrResNet {
    fn arch(&self) -> &'static str {
        "srresnet"
    }
    fn scale(&self) -> usize {
        self.cfg.upscale
    }
    fn params(&self) -> ParamStore {
        self.store.clone()
    }
    fn receptive_radius(&self) -> usize {
        2 * self.cfg.num_block + 2 + 3
    }
    fn forward_hooked(&self, x: &Tensor, hook: Option<FeatureHook>) -> Result<SrOutput> {
        // Every conv goes through conv2d_multi with one part, which applies the activation
        // as it stores the result and its backward as it packs dout (ops/conv2d_multi.rs), so
        // no activation costs a dispatch of its own. LeakyReLU commutes with pixel_shuffle (a
        // permutation), so the upsampler's activation moves onto its conv.
        let feat = self.conv_first.forward_multi_lrelu(&[x], 0.1)?;
        let mut out = feat;
        for blk in &self.body {
            let h = blk.conv1.forward_multi_lrelu(&[&out], 0.0)?;
            out = binary::add(&out, &blk.conv2.forward_multi(&[&h])?)?;
        }
        // The x2 shuffles are fused into the upsampler's conv too (ops/conv2d_multi.rs).
        let r = if self.cfg.upscale == 3 { 3 } else { 2 };
        for up in &self.upconvs {
            out = up.forward_multi_shuffle(&[&out], Epilogue::lrelu(0.1), r)?;
        }
        let feature = self.conv_hr.forward_multi_lrelu(&[&out], 0.1)?;
        let tail_in = hooked(&feature, hook)?;
        let out = self.conv_last.forward_multi(&[&tail_in])?;
        let base = upsample::bilinear(x, self.cfg.upscale)?;
        Ok(SrOutput {
            out: binary::add(&out, &base)?,
            feature,
        })
    }
}

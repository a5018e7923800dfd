//! RRDBNet (ESRGAN / Real-ESRGAN generator) as BasicSR's: conv_first, `num_block` RRDBs (three
//! residual dense blocks of five convs with growth `num_grow_ch`, LReLU 0.2, residual scaling
//! 0.2), conv_body + skip, two stages of nearest x2 + conv + LReLU, conv_hr + LReLU, conv_last.
//! The dense convs are initialised by default_init_weights(0.1), the rest as PyTorch does.
//! The body always upsamples x4; as in BasicSR, x2 and x1 pixel-unshuffle the input by 2 or 4
//! first (conv_first then takes 4 or 16 times the channels), so input sides must be multiples
//! of that factor. x3 has no reference form and is refused.
//!
//! Regularised feature: LReLU(conv_hr(.)), the input of conv_last.

use serde::Deserialize;

use super::{check_scale, hooked, FeatureHook, SrModel, SrOutput};
use crate::error::{shape_err, Result};
use crate::nn::{Builder, Conv2d, ConvInit, ParamStore};
use crate::ops::conv2d_multi::{Epilogue, FeatureStack};
use crate::ops::{binary, pixel_shuffle, scale, upsample};
use crate::tensor::Tensor;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub num_in_ch: usize,
    pub num_out_ch: usize,
    pub num_feat: usize,
    pub num_block: usize,
    pub num_grow_ch: usize,
    pub upscale: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            num_in_ch: 3,
            num_out_ch: 3,
            num_feat: 64,
            num_block: 23,
            num_grow_ch: 32,
            upscale: 4,
        }
    }
}

struct Rdb {
    convs: Vec<Conv2d>,
}

impl Rdb {
    fn new(b: &Builder, f: usize, g: usize) -> Result<Rdb> {
        let init = ConvInit::KaimingScaled(0.1);
        let convs = (0..5)
            .map(|i| {
                Conv2d::new(
                    &b.pp(format!("conv{}", i + 1)),
                    f + i * g,
                    if i == 4 { f } else { g },
                    3,
                    init,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Rdb { convs })
    }
    /// 0.2 * conv5(..) + x; with `outer` = h (the last block of an RRDB, whose output only
    /// feeds the RRDB's residual 0.2 * out + h) the RRDB's output instead, with both sums in
    /// one pass: 0.04 * conv5(..) + 0.2 * x + h (the 0.04 applied by conv5 as it stores).
    fn forward(&self, x: &Tensor, outer: Option<&Tensor>) -> Result<Tensor> {
        // The features as a stack: on the Winograd forward each is transformed once for all
        // the convs that read it (ops::conv2d_multi::FeatureStack).
        let cap = x.shape()[1] + 4 * self.convs[0].weight.shape()[0];
        let mut feats = FeatureStack::new(x, cap);
        for (i, c) in self.convs.iter().enumerate() {
            if i == 4 {
                return match outer {
                    None => binary::add(&c.forward_stack(&mut feats, Epilogue::scaled(0.2))?, x),
                    Some(h) => {
                        let y = c.forward_stack(&mut feats, Epilogue::scaled(0.2 * 0.2))?;
                        scale::add_scale_add(&y, 0.2, x, h)
                    }
                };
            }
            let f = c.forward_stack(&mut feats, Epilogue::lrelu(0.2))?;
            feats.push(&f);
        }
        unreachable!("five convs")
    }
}

pub struct RrdbNet {
    cfg: Config,
    conv_first: Conv2d,
    body: Vec<[Rdb; 3]>,
    conv_body: Conv2d,
    conv_up1: Conv2d,
    conv_up2: Conv2d,
    conv_hr: Conv2d,
    conv_last: Conv2d,
    store: ParamStore,
}

impl RrdbNet {
    pub fn new(b: &Builder, cfg: &Config) -> Result<RrdbNet> {
        check_scale("rrdbnet", cfg.upscale, &[1, 2, 4])?;
        let (f, g) = (cfg.num_feat, cfg.num_grow_ch);
        let t = ConvInit::Torch;
        let unshuffle = 4 / cfg.upscale;
        let conv_first = Conv2d::new(
            &b.pp("conv_first"),
            cfg.num_in_ch * unshuffle * unshuffle,
            f,
            3,
            t,
        )?;
        let body = (0..cfg.num_block)
            .map(|i| {
                let bb = b.pp("body").pp(i);
                Ok([
                    Rdb::new(&bb.pp("rdb1"), f, g)?,
                    Rdb::new(&bb.pp("rdb2"), f, g)?,
                    Rdb::new(&bb.pp("rdb3"), f, g)?,
                ])
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RrdbNet {
            cfg: cfg.clone(),
            conv_first,
            body,
            conv_body: Conv2d::new(&b.pp("conv_body"), f, f, 3, t)?,
            conv_up1: Conv2d::new(&b.pp("conv_up1"), f, f, 3, t)?,
            conv_up2: Conv2d::new(&b.pp("conv_up2"), f, f, 3, t)?,
            conv_hr: Conv2d::new(&b.pp("conv_hr"), f, f, 3, t)?,
            conv_last: Conv2d::new(&b.pp("conv_last"), f, cfg.num_out_ch, 3, t)?,
            store: b.store(),
        })
    }
}

impl SrModel for RrdbNet {
    fn arch(&self) -> &'static str {
        "rrdbnet"
    }
    fn scale(&self) -> usize {
        self.cfg.upscale
    }
    fn params(&self) -> ParamStore {
        self.store.clone()
    }
    fn receptive_radius(&self) -> usize {
        15 * self.cfg.num_block + 2 + 4
    }
    fn window(&self) -> usize {
        4 / self.cfg.upscale
    }
    fn forward_hooked(&self, x: &Tensor, hook: Option<FeatureHook>) -> Result<SrOutput> {
        let r = 4 / self.cfg.upscale;
        let sh = x.shape();
        let (h, w) = (sh[sh.len() - 2], sh[sh.len() - 1]);
        if h % r != 0 || w % r != 0 {
            return Err(shape_err(
                "rrdbnet",
                &[sh],
                format!(
                    "at x{} the image width and height must be multiples of {r} (got {w}x{h});                      crop or pad the input",
                    self.cfg.upscale
                ),
            ));
        }
        let x = if r > 1 {
            pixel_shuffle::pixel_unshuffle(x, r)?
        } else {
            x.clone()
        };
        // Every conv through conv2d_multi (one part here): its backward reuses the packed
        // input, and the LeakyReLUs after conv_up1, conv_up2 and conv_hr are fused into it.
        // The 64 -> 64 convs stay on its texture kernels: the fused Winograd path would add a
        // dispatch each (the input gradient's V transform) to a step at 2,995 of its budget of
        // 3,000 (tests/dispatch.rs); tried, two of them took it and steps stayed within noise.
        let feat = self.conv_first.forward_multi(&[&x])?;
        let mut h = feat.clone();
        for [rdb1, rdb2, rdb3] in &self.body {
            let y = rdb2.forward(&rdb1.forward(&h, None)?, None)?;
            h = rdb3.forward(&y, Some(&h))?;
        }
        let feat = binary::add(
            &feat,
            &self
                .conv_body
                .forward_multi_texture_only(&[&h], Epilogue::default())?,
        )?;
        let up1 = self
            .conv_up1
            .forward_multi_texture_only(&[&upsample::nearest2x(&feat)?], Epilogue::lrelu(0.2))?;
        let up2 = self
            .conv_up2
            .forward_multi_texture_only(&[&upsample::nearest2x(&up1)?], Epilogue::lrelu(0.2))?;
        let feature = self
            .conv_hr
            .forward_multi_texture_only(&[&up2], Epilogue::lrelu(0.2))?;
        let out = self.conv_last.forward_multi(&[&hooked(&feature, hook)?])?;
        Ok(SrOutput { out, feature })
    }
}

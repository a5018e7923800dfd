//! SwinIR (Liang et al., 2021) as the reference implementation: mean shift, reflect padding to
//! a multiple of the window, conv_first, residual Swin transformer groups (RSTB: `depths[i]`
//! Swin blocks + conv3x3 + skip; blocks alternate shift 0 and window/2, with the 3x3-region
//! shift mask), final LayerNorm, conv_after_body + skip, then one of three upsamplers:
//! `pixelshuffle` (classical: conv + LReLU(0.01), conv + pixel_shuffle stages, conv_last),
//! `nearest+conv` (real-world: conv + LReLU(0.01), nearest x2 + conv + LReLU(0.2) stages,
//! conv_hr + LReLU(0.2), conv_last), `pixelshuffledirect` (lightweight: one conv to 3 s^2
//! channels + pixel_shuffle). Linear layers and the bias table: trunc-normal(0.02); LayerNorm:
//! 1 / 0; convs: PyTorch default. Stochastic depth (drop_path) is not applied (identity).
//!
//! Regularised feature: `nearest+conv`: LReLU(conv_hr(.)), the input of conv_last;
//! `pixelshuffle`: the HR feature out of the pixel-shuffle stages, the input of conv_last;
//! `pixelshuffledirect`: the LR feature entering the one-step upsampler (no HR feature exists).

use serde::Deserialize;

use super::{check_scale, hooked, FeatureHook, SrModel, SrOutput};
use crate::error::{unsupported, Result};
use crate::nn::{Builder, Conv2d, ConvInit, Init, LayerNorm, Linear, ParamStore};
use crate::ops::conv2d_multi::Epilogue;
use crate::ops::{self, activation, attention, bias, binary, pad, pixel_shuffle, upsample, window};
use crate::tensor::Tensor;

pub const RGB_MEAN: [f32; 3] = [0.4488, 0.4371, 0.4040];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Upsampler {
    #[serde(rename = "pixelshuffle")]
    PixelShuffle,
    #[serde(rename = "nearest+conv")]
    NearestConv,
    #[serde(rename = "pixelshuffledirect")]
    PixelShuffleDirect,
}

impl std::str::FromStr for Upsampler {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "pixelshuffle" => Ok(Upsampler::PixelShuffle),
            "nearest+conv" => Ok(Upsampler::NearestConv),
            "pixelshuffledirect" => Ok(Upsampler::PixelShuffleDirect),
            _ => Err(format!(
                "unknown upsampler {s:?}: pixelshuffle, nearest+conv or pixelshuffledirect"
            )),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub in_chans: usize,
    pub embed_dim: usize,
    pub depths: Vec<usize>,
    pub num_heads: Vec<usize>,
    pub window_size: usize,
    pub mlp_ratio: f64,
    pub upscale: usize,
    pub img_range: f32,
    pub upsampler: Upsampler,
    /// Width of the upsampler (64 in the reference).
    pub num_feat: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            in_chans: 3,
            embed_dim: 180,
            depths: vec![6; 6],
            num_heads: vec![6; 6],
            window_size: 8,
            mlp_ratio: 2.0,
            upscale: 4,
            img_range: 1.0,
            upsampler: Upsampler::PixelShuffle,
            num_feat: 64,
        }
    }
}

impl Config {
    /// The real-world "M" variant (nearest+conv upsampler).
    pub fn real_world_m() -> Config {
        Config {
            upsampler: Upsampler::NearestConv,
            ..Default::default()
        }
    }
}

struct Block {
    norm1: LayerNorm,
    qkv: Linear,
    table: Tensor,
    proj: Linear,
    norm2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
    heads: usize,
    shift: usize,
}

struct Rstb {
    blocks: Vec<Block>,
    conv: Conv2d,
}

pub struct SwinIr {
    cfg: Config,
    conv_first: Conv2d,
    patch_norm: LayerNorm,
    layers: Vec<Rstb>,
    norm: LayerNorm,
    conv_after_body: Conv2d,
    before_up: Option<Conv2d>,
    up: Vec<Conv2d>,
    conv_hr: Option<Conv2d>,
    conv_last: Option<Conv2d>,
    mean_neg: Tensor,
    mean_pos: Tensor,
    store: ParamStore,
}

impl SwinIr {
    pub fn new(b: &Builder, cfg: &Config) -> Result<SwinIr> {
        check_scale("swinir", cfg.upscale, &[2, 3, 4])?;
        if cfg.depths.len() != cfg.num_heads.len() || cfg.depths.is_empty() {
            return Err(unsupported(
                "swinir",
                "depths and num_heads must be non-empty and of equal length",
            ));
        }
        let (c, w) = (cfg.embed_dim, cfg.window_size);
        if let Some(h) = cfg.num_heads.iter().find(|h| **h == 0 || c % **h != 0) {
            return Err(unsupported(
                "swinir",
                format!("embed_dim {c} is not divisible by {h} heads"),
            ));
        }
        if w < 2 {
            return Err(unsupported(
                "swinir",
                format!("window_size {w} (must be >= 2)"),
            ));
        }
        let t = ConvInit::Torch;
        let conv_first = Conv2d::new(&b.pp("conv_first"), cfg.in_chans, c, 3, t)?;
        let patch_norm = LayerNorm::new(&b.pp("patch_embed").pp("norm"), c)?;
        let hidden = (c as f64 * cfg.mlp_ratio) as usize;
        let mut layers = Vec::new();
        for (i, (&depth, &heads)) in cfg.depths.iter().zip(&cfg.num_heads).enumerate() {
            let lb = b.pp("layers").pp(i);
            let mut blocks = Vec::new();
            for j in 0..depth {
                let bb = lb.pp("residual_group").pp("blocks").pp(j);
                let ab = bb.pp("attn");
                blocks.push(Block {
                    norm1: LayerNorm::new(&bb.pp("norm1"), c)?,
                    table: ab.param(
                        "relative_position_bias_table",
                        &[(2 * w - 1) * (2 * w - 1), heads],
                        Init::TruncNormal { std: 0.02 },
                    )?,
                    qkv: Linear::new_trunc_normal(&ab.pp("qkv"), c, 3 * c)?,
                    proj: Linear::new_trunc_normal(&ab.pp("proj"), c, c)?,
                    norm2: LayerNorm::new(&bb.pp("norm2"), c)?,
                    fc1: Linear::new_trunc_normal(&bb.pp("mlp").pp("fc1"), c, hidden)?,
                    fc2: Linear::new_trunc_normal(&bb.pp("mlp").pp("fc2"), hidden, c)?,
                    heads,
                    shift: if j % 2 == 0 { 0 } else { w / 2 },
                });
            }
            layers.push(Rstb {
                blocks,
                conv: Conv2d::new(&lb.pp("conv"), c, c, 3, t)?,
            });
        }
        let norm = LayerNorm::new(&b.pp("norm"), c)?;
        let conv_after_body = Conv2d::new(&b.pp("conv_after_body"), c, c, 3, t)?;
        let (f, s) = (cfg.num_feat, cfg.upscale);
        let (mut before_up, mut up, mut conv_hr, mut conv_last) = (None, Vec::new(), None, None);
        match cfg.upsampler {
            Upsampler::PixelShuffle => {
                before_up = Some(Conv2d::new(
                    &b.pp("conv_before_upsample").pp(0),
                    c,
                    f,
                    3,
                    t,
                )?);
                if s == 3 {
                    up.push(Conv2d::new(&b.pp("upsample").pp(0), f, 9 * f, 3, t)?);
                } else {
                    for k in 0..(s.trailing_zeros() as usize) {
                        up.push(Conv2d::new(&b.pp("upsample").pp(2 * k), f, 4 * f, 3, t)?);
                    }
                }
                conv_last = Some(Conv2d::new(&b.pp("conv_last"), f, cfg.in_chans, 3, t)?);
            }
            Upsampler::NearestConv => {
                if s != 4 && s != 2 {
                    return Err(unsupported("swinir", "nearest+conv builds x2 and x4 only"));
                }
                before_up = Some(Conv2d::new(
                    &b.pp("conv_before_upsample").pp(0),
                    c,
                    f,
                    3,
                    t,
                )?);
                up.push(Conv2d::new(&b.pp("conv_up1"), f, f, 3, t)?);
                if s == 4 {
                    up.push(Conv2d::new(&b.pp("conv_up2"), f, f, 3, t)?);
                }
                conv_hr = Some(Conv2d::new(&b.pp("conv_hr"), f, f, 3, t)?);
                conv_last = Some(Conv2d::new(&b.pp("conv_last"), f, cfg.in_chans, 3, t)?);
            }
            Upsampler::PixelShuffleDirect => {
                up.push(Conv2d::new(
                    &b.pp("upsample").pp(0),
                    c,
                    s * s * cfg.in_chans,
                    3,
                    t,
                )?);
            }
        }
        let gpu = b.gpu();
        let mean: Vec<f32> = (0..cfg.in_chans)
            .map(|i| if i < 3 { RGB_MEAN[i] } else { 0.0 })
            .collect();
        let mean_neg = Tensor::from_slice(
            gpu,
            &[mean.len()],
            &mean.iter().map(|m| -m).collect::<Vec<_>>(),
        )?;
        let mean_pos = Tensor::from_slice(gpu, &[mean.len()], &mean)?;
        Ok(SwinIr {
            cfg: cfg.clone(),
            conv_first,
            patch_norm,
            layers,
            norm,
            conv_after_body,
            before_up,
            up,
            conv_hr,
            conv_last,
            mean_neg,
            mean_pos,
            store: b.store(),
        })
    }

    /// LayerNorm on tokens [N, L, C].
    fn ln(norm: &LayerNorm, t: &Tensor) -> Result<Tensor> {
        let s = t.shape().to_vec();
        ops::reshape(&norm.forward(&ops::reshape(t, &[s[0] * s[1], s[2]])?)?, &s)
    }
    fn lin(l: &Linear, t: &Tensor) -> Result<Tensor> {
        let s = t.shape().to_vec();
        let y = l.forward(&ops::reshape(t, &[s[0] * s[1], s[2]])?)?;
        let out = y.shape()[1];
        ops::reshape(&y, &[s[0], s[1], out])
    }

    fn block(&self, blk: &Block, x: &Tensor, h: usize, w: usize) -> Result<Tensor> {
        let win = self.cfg.window_size;
        let xn = Self::ln(&blk.norm1, x)?;
        let windows = window::window_partition(&xn, h, w, win, blk.shift)?;
        let qkv = Self::lin(&blk.qkv, &windows)?;
        let att = attention::window_attention(&qkv, &blk.table, blk.heads, win, blk.shift, h, w)?;
        let att = Self::lin(&blk.proj, &att)?;
        let merged = window::window_reverse(&att, h, w, win, blk.shift)?;
        let x = binary::add(x, &merged)?;
        let m = Self::lin(
            &blk.fc2,
            &activation::gelu(&Self::lin(&blk.fc1, &Self::ln(&blk.norm2, &x)?)?)?,
        )?;
        binary::add(&x, &m)
    }

    fn features(&self, x: &Tensor) -> Result<Tensor> {
        let [_, _, h, w] = x.dims4("swinir")?;
        let mut t = Self::ln(&self.patch_norm, &window::nchw_to_tokens(x)?)?;
        for layer in &self.layers {
            let mut y = t.clone();
            for blk in &layer.blocks {
                y = self.block(blk, &y, h, w)?;
            }
            let conv = layer
                .conv
                .forward_multi(&[&window::tokens_to_nchw(&y, h, w)?])?;
            t = binary::add(&window::nchw_to_tokens(&conv)?, &t)?;
        }
        window::tokens_to_nchw(&Self::ln(&self.norm, &t)?, h, w)
    }
}

impl SrModel for SwinIr {
    fn arch(&self) -> &'static str {
        "swinir"
    }
    fn scale(&self) -> usize {
        self.cfg.upscale
    }
    fn params(&self) -> ParamStore {
        self.store.clone()
    }
    fn window(&self) -> usize {
        self.cfg.window_size
    }
    fn receptive_radius(&self) -> usize {
        // Every block mixes a whole window; convolutions add one pixel each.
        let blocks: usize = self.cfg.depths.iter().sum();
        blocks * self.cfg.window_size / 2 + self.cfg.depths.len() + 6
    }
    fn forward_hooked(&self, x: &Tensor, hook: Option<FeatureHook>) -> Result<SrOutput> {
        let [_, _, h, w] = x.dims4("swinir")?;
        let win = self.cfg.window_size;
        let (ph, pw) = ((win - h % win) % win, (win - w % win) % win);
        if ph >= h || pw >= w {
            return Err(crate::error::shape_err(
                "swinir",
                &[x.shape()],
                format!("input smaller than the window ({win}) cannot be reflect-padded"),
            ));
        }
        let xp = if ph + pw > 0 {
            pad::reflect_pad(x, ph, pw)?
        } else {
            x.clone()
        };
        let xp = bias::bias(&xp, &self.mean_neg)?;
        let xp = if self.cfg.img_range != 1.0 {
            ops::scale::scale(&xp, self.cfg.img_range)?
        } else {
            xp
        };
        // Convs go through conv2d_multi with one part: its backward packs dout with the
        // activation's backward and reuses the packed input (ops/conv2d_multi.rs), and an
        // activation after a conv is applied as the conv stores, so it costs no dispatch.
        let f0 = self.conv_first.forward_multi(&[&xp])?;
        let body = binary::add(
            &self
                .conv_after_body
                .forward_multi(&[&self.features(&f0)?])?,
            &f0,
        )?;
        let s = self.cfg.upscale;
        let (feature, out) = match self.cfg.upsampler {
            Upsampler::PixelShuffle => {
                let mut y = self
                    .before_up
                    .as_ref()
                    .unwrap()
                    .forward_multi_lrelu(&[&body], 0.01)?;
                // x2 shuffles fused into their conv where the op allows (ops/conv2d_multi.rs).
                let r = if s == 3 { 3 } else { 2 };
                for c in &self.up {
                    y = c.forward_multi_shuffle(&[&y], Epilogue::default(), r)?;
                }
                let out = self
                    .conv_last
                    .as_ref()
                    .unwrap()
                    .forward_multi(&[&hooked(&y, hook)?])?;
                (y, out)
            }
            Upsampler::NearestConv => {
                let mut y = self
                    .before_up
                    .as_ref()
                    .unwrap()
                    .forward_multi_lrelu(&[&body], 0.01)?;
                for c in &self.up {
                    y = c.forward_multi_lrelu(&[&upsample::nearest2x(&y)?], 0.2)?;
                }
                let feat = self
                    .conv_hr
                    .as_ref()
                    .unwrap()
                    .forward_multi_lrelu(&[&y], 0.2)?;
                let out = self
                    .conv_last
                    .as_ref()
                    .unwrap()
                    .forward_multi(&[&hooked(&feat, hook)?])?;
                (feat, out)
            }
            Upsampler::PixelShuffleDirect => {
                let out = pixel_shuffle::pixel_shuffle(
                    &self.up[0].forward_multi(&[&hooked(&body, hook)?])?,
                    s,
                )?;
                (body, out)
            }
        };
        let out = if self.cfg.img_range != 1.0 {
            ops::scale::scale(&out, 1.0 / self.cfg.img_range)?
        } else {
            out
        };
        let out = bias::bias(&out, &self.mean_pos)?;
        let out = if ph + pw > 0 {
            pad::crop(&out, h * s, w * s)?
        } else {
            out
        };
        Ok(SrOutput { out, feature })
    }
}

//! Resizing. Every mode is separable: a weight table per axis (output index -> taps).
//!
//! - `Area`, `Bilinear`, `Bicubic`: PyTorch `F.interpolate` conventions as Real-ESRGAN uses
//!   them (align_corners = false, no antialiasing; bicubic a = -0.75, taps clamped to the
//!   edge; area = adaptive average pooling).
//! - `Matlab`: BasicSR `imresize` (MATLAB's antialiased bicubic: a = -0.5, kernel width
//!   scaled by 1/scale when downscaling, weights normalised, symmetric (mirror) padding,
//!   rows then columns).
//! - `Pil`: Pillow's BICUBIC (a = -0.5, support scaled when downscaling, columns then rows);
//!   on 8-bit data `pil_bicubic_u8` reproduces Pillow's fixed-point arithmetic exactly, and
//!   `resize(.., Pil)` goes through it (the input is rounded to 8-bit first).

use super::Image;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    Area,
    Bilinear,
    Bicubic,
    Matlab,
    Pil,
}

impl ResizeMode {
    pub fn name(self) -> &'static str {
        match self {
            ResizeMode::Area => "area",
            ResizeMode::Bilinear => "bilinear",
            ResizeMode::Bicubic => "bicubic",
            ResizeMode::Matlab => "matlab",
            ResizeMode::Pil => "pil",
        }
    }
}

/// Taps of one output index: (input index, weight).
type Table = Vec<Vec<(usize, f64)>>;

fn cubic_torch(x: f64) -> f64 {
    const A: f64 = -0.75;
    let x = x.abs();
    if x <= 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

/// Keys' cubic with a = -0.5 (MATLAB and Pillow).
fn cubic_half(x: f64) -> f64 {
    let x = x.abs();
    if x <= 1.0 {
        (1.5 * x - 2.5) * x * x + 1.0
    } else if x <= 2.0 {
        ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    } else {
        0.0
    }
}

/// `ratio` = input length per output pixel used for the coordinate map.
fn table(mode: ResizeMode, n_in: usize, n_out: usize, ratio: f64) -> Table {
    let last = n_in as isize - 1;
    let clamp = |i: isize| i.clamp(0, last) as usize;
    (0..n_out)
        .map(|i| match mode {
            ResizeMode::Area => {
                let s = i * n_in / n_out;
                let e = ((i + 1) * n_in).div_ceil(n_out);
                let w = 1.0 / (e - s) as f64;
                (s..e).map(|j| (j, w)).collect()
            }
            ResizeMode::Bilinear => {
                let x = ((i as f64 + 0.5) * ratio - 0.5).max(0.0);
                let x0 = (x.floor() as isize).min(last);
                let x1 = (x0 + 1).min(last);
                let l = x - x0 as f64;
                vec![(x0 as usize, 1.0 - l), (x1 as usize, l)]
            }
            ResizeMode::Bicubic => {
                let x = (i as f64 + 0.5) * ratio - 0.5;
                let x0 = x.floor();
                let t = x - x0;
                (-1..=2)
                    .map(|d| (clamp(x0 as isize + d), cubic_torch(t - d as f64)))
                    .collect()
            }
            ResizeMode::Matlab => matlab_taps(i, n_in, 1.0 / ratio),
            ResizeMode::Pil => pil_taps(i, n_in, ratio),
        })
        .collect()
}

/// BasicSR `calculate_weights_indices` for one output index (1-based maths as MATLAB),
/// with symmetric padding folded into the indices.
fn matlab_taps(i: usize, n_in: usize, scale: f64) -> Vec<(usize, f64)> {
    let aa = scale < 1.0;
    let width = if aa { 4.0 / scale } else { 4.0 };
    let x = i as f64 + 1.0;
    let u = x / scale + 0.5 * (1.0 - 1.0 / scale);
    let left = (u - width / 2.0).floor();
    let p = width.ceil() as usize + 2;
    let mut taps: Vec<(isize, f64)> = (0..p)
        .map(|j| {
            let idx = left + j as f64;
            let d = u - idx;
            (
                idx as isize,
                if aa {
                    scale * cubic_half(d * scale)
                } else {
                    cubic_half(d)
                },
            )
        })
        .collect();
    let s: f64 = taps.iter().map(|t| t.1).sum();
    let n = n_in as isize;
    taps.iter_mut().for_each(|t| t.1 /= s);
    taps.into_iter()
        .filter(|t| t.1 != 0.0)
        .map(|(idx, w)| {
            // 1-based idx; mirror: 0 -> 1, -1 -> 2, n+1 -> n, ...; then to 0-based.
            let mut k = idx;
            loop {
                if k < 1 {
                    k = 1 - k;
                } else if k > n {
                    k = 2 * n + 1 - k;
                } else {
                    break;
                }
            }
            ((k - 1) as usize, w)
        })
        .collect()
}

/// Pillow `precompute_coeffs` for one output index, BICUBIC filter (support 2).
fn pil_taps(i: usize, n_in: usize, scale: f64) -> Vec<(usize, f64)> {
    let fscale = scale.max(1.0);
    let support = 2.0 * fscale;
    let center = (i as f64 + 0.5) * scale;
    let ss = 1.0 / fscale;
    let xmin = ((center - support + 0.5) as i64).max(0) as usize;
    let xmax = ((center + support + 0.5) as i64).min(n_in as i64) as usize;
    let mut taps: Vec<(usize, f64)> = (xmin..xmax)
        .map(|x| (x, cubic_half((x as f64 - center + 0.5) * ss)))
        .collect();
    let ww: f64 = taps.iter().map(|t| t.1).sum();
    if ww != 0.0 {
        taps.iter_mut().for_each(|t| t.1 /= ww);
    }
    taps
}

fn apply_rows(img: &Image, t: &Table) -> Image {
    let (w, c) = (img.w, img.c);
    let mut out = Image::zeros(t.len(), w, c);
    out.data
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(y, orow)| {
            for (i, o) in orow.iter_mut().enumerate() {
                let mut a = 0f64;
                for &(j, wt) in &t[y] {
                    a += wt * img.data[j * w * c + i] as f64;
                }
                *o = a as f32;
            }
        });
    out
}

fn apply_cols(img: &Image, t: &Table) -> Image {
    let (w, c) = (img.w, img.c);
    let ow = t.len();
    let mut out = Image::zeros(img.h, ow, c);
    out.data
        .par_chunks_mut(ow * c)
        .enumerate()
        .for_each(|(y, orow)| {
            let irow = &img.data[y * w * c..(y + 1) * w * c];
            for x in 0..ow {
                for ch in 0..c {
                    let mut a = 0f64;
                    for &(j, wt) in &t[x] {
                        a += wt * irow[j * c + ch] as f64;
                    }
                    orow[x * c + ch] = a as f32;
                }
            }
        });
    out
}

fn resize_ratio(img: &Image, oh: usize, ow: usize, mode: ResizeMode, ry: f64, rx: f64) -> Image {
    assert!(oh > 0 && ow > 0, "resize to an empty image");
    if mode == ResizeMode::Pil {
        let u = pil_bicubic_u8(&img.to_u8(), img.h, img.w, img.c, oh, ow);
        return Image::from_u8(oh, ow, img.c, &u);
    }
    let th = table(mode, img.h, oh, ry);
    let tw = table(mode, img.w, ow, rx);
    if mode == ResizeMode::Matlab {
        apply_cols(&apply_rows(img, &th), &tw)
    } else {
        apply_rows(&apply_cols(img, &tw), &th)
    }
}

/// Resize to `oh` x `ow` (coordinate scale = input size / output size).
pub fn resize(img: &Image, oh: usize, ow: usize, mode: ResizeMode) -> Image {
    resize_ratio(
        img,
        oh,
        ow,
        mode,
        img.h as f64 / oh as f64,
        img.w as f64 / ow as f64,
    )
}

/// Resize by a factor: output floor(size * factor) (at least 1) and coordinates mapped with
/// 1/factor, as `F.interpolate(scale_factor=..)`; for `Matlab` the output is
/// ceil(size * factor), as `imresize`.
pub fn resize_by(img: &Image, factor: f64, mode: ResizeMode) -> Image {
    let size = |n: usize| {
        let v = n as f64 * factor;
        (if mode == ResizeMode::Matlab {
            (v - 1e-9).ceil()
        } else {
            (v + 1e-9).floor()
        } as usize)
            .max(1)
    };
    let (oh, ow) = (size(img.h), size(img.w));
    if mode == ResizeMode::Pil {
        return resize(img, oh, ow, mode);
    }
    resize_ratio(img, oh, ow, mode, 1.0 / factor, 1.0 / factor)
}

/// BasicSR / MATLAB `imresize(img, scale)` with antialiasing.
pub fn imresize(img: &Image, scale: f64) -> Image {
    resize_by(img, scale, ResizeMode::Matlab)
}

const PIL_BITS: u32 = 22;

fn pil_fixed(t: &Table) -> Vec<Vec<(usize, i64)>> {
    let one = (1i64 << PIL_BITS) as f64;
    t.iter()
        .map(|taps| {
            taps.iter()
                .map(|&(j, w)| {
                    (
                        j,
                        if w < 0.0 {
                            (-0.5 + w * one) as i64
                        } else {
                            (0.5 + w * one) as i64
                        },
                    )
                })
                .collect()
        })
        .collect()
}

fn pil_clip(v: i64) -> u8 {
    (v >> PIL_BITS).clamp(0, 255) as u8
}

/// Pillow `Image.resize((ow, oh), BICUBIC)` on 8-bit HWC data, bit-exact: horizontal pass to
/// an 8-bit intermediate, then vertical, both in 22-bit fixed point.
pub fn pil_bicubic_u8(src: &[u8], h: usize, w: usize, c: usize, oh: usize, ow: usize) -> Vec<u8> {
    let tw = pil_fixed(&table(ResizeMode::Pil, w, ow, w as f64 / ow as f64));
    let th = pil_fixed(&table(ResizeMode::Pil, h, oh, h as f64 / oh as f64));
    let half = 1i64 << (PIL_BITS - 1);
    let mut mid = vec![0u8; h * ow * c];
    if ow == w {
        mid.copy_from_slice(src);
    } else {
        for y in 0..h {
            for x in 0..ow {
                for ch in 0..c {
                    let mut a = half;
                    for &(j, k) in &tw[x] {
                        a += src[(y * w + j) * c + ch] as i64 * k;
                    }
                    mid[(y * ow + x) * c + ch] = pil_clip(a);
                }
            }
        }
    }
    if oh == h {
        return mid;
    }
    let mut out = vec![0u8; oh * ow * c];
    for y in 0..oh {
        for i in 0..ow * c {
            let mut a = half;
            for &(j, k) in &th[y] {
                a += mid[j * ow * c + i] as i64 * k;
            }
            out[y * ow * c + i] = pil_clip(a);
        }
    }
    out
}

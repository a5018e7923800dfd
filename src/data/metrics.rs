//! PSNR and SSIM with BasicSR's conventions (`basicsr/metrics/psnr_ssim.py`): inputs rounded
//! to 8-bit (0..255, f64), `crop_border` pixels removed on each side, PSNR = 10 log10(255^2 /
//! MSE) (infinite when identical), SSIM with an 11x11 Gaussian window (sigma 1.5) on the valid
//! region, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, averaged over channels. The `_y`
//! variants use BT.601 luma Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 (R, G, B in 0..255).

use super::filter::gaussian_1d;
use super::Image;
use anyhow::{bail, Result};

/// Planes (one per channel) of the cropped image on the 0..255 scale.
fn planes(img: &Image, crop: usize, y_only: bool) -> Result<(usize, usize, Vec<Vec<f64>>)> {
    if crop.checked_mul(2).is_none_or(|c| img.h <= c || img.w <= c) {
        bail!(
            "metrics: image {}x{} too small for crop_border {crop}",
            img.w,
            img.h
        );
    }
    let (h, w) = (img.h - 2 * crop, img.w - 2 * crop);
    let u = img.to_u8();
    let c = img.c;
    let px = |y: usize, x: usize, ch: usize| u[((y + crop) * img.w + x + crop) * c + ch] as f64;
    if y_only {
        if c != 3 {
            bail!("metrics: Y channel needs an RGB image, got {c} channels");
        }
        let mut p = Vec::with_capacity(h * w);
        for y in 0..h {
            for x in 0..w {
                p.push(
                    16.0 + (65.481 * px(y, x, 0) + 128.553 * px(y, x, 1) + 24.966 * px(y, x, 2))
                        / 255.0,
                );
            }
        }
        return Ok((h, w, vec![p]));
    }
    let ps = (0..c)
        .map(|ch| {
            (0..h)
                .flat_map(|y| (0..w).map(move |x| (y, x)))
                .map(|(y, x)| px(y, x, ch))
                .collect()
        })
        .collect();
    Ok((h, w, ps))
}

fn same_shape(a: &Image, b: &Image) -> Result<()> {
    if (a.h, a.w, a.c) != (b.h, b.w, b.c) {
        bail!(
            "metrics: image shapes differ: {}x{}x{} vs {}x{}x{} (width x height x channels)",
            a.w,
            a.h,
            a.c,
            b.w,
            b.h,
            b.c
        );
    }
    Ok(())
}

fn psnr_impl(a: &Image, b: &Image, crop: usize, y: bool) -> Result<f64> {
    same_shape(a, b)?;
    let (_, _, pa) = planes(a, crop, y)?;
    let (_, _, pb) = planes(b, crop, y)?;
    let (mut se, mut n) = (0.0, 0usize);
    for (qa, qb) in pa.iter().zip(&pb) {
        for (x, z) in qa.iter().zip(qb) {
            se += (x - z) * (x - z);
        }
        n += qa.len();
    }
    let mse = se / n as f64;
    Ok(if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    })
}

/// 2-D Gaussian filtering (separable, same taps as cv2's 11x11 sigma 1.5 outer product) on
/// the valid region: output (h - 10) x (w - 10).
fn filter_valid(p: &[f64], h: usize, w: usize, k: &[f64]) -> Vec<f64> {
    let n = k.len();
    let (oh, ow) = (h + 1 - n, w + 1 - n);
    let mut tmp = vec![0.0; h * ow];
    for y in 0..h {
        for x in 0..ow {
            tmp[y * ow + x] = (0..n).map(|j| k[j] * p[y * w + x + j]).sum();
        }
    }
    let mut out = vec![0.0; oh * ow];
    for y in 0..oh {
        for x in 0..ow {
            out[y * ow + x] = (0..n).map(|j| k[j] * tmp[(y + j) * ow + x]).sum();
        }
    }
    out
}

fn ssim_plane(a: &[f64], b: &[f64], h: usize, w: usize) -> f64 {
    let k = gaussian_1d(11, 1.5);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let prod = |f: &dyn Fn(f64, f64) -> f64| {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f(x, y))
            .collect::<Vec<f64>>()
    };
    let mu1 = filter_valid(a, h, w, &k);
    let mu2 = filter_valid(b, h, w, &k);
    let s11 = filter_valid(&prod(&|x, _| x * x), h, w, &k);
    let s22 = filter_valid(&prod(&|_, y| y * y), h, w, &k);
    let s12 = filter_valid(&prod(&|x, y| x * y), h, w, &k);
    let mut sum = 0.0;
    for i in 0..mu1.len() {
        let (m1, m2) = (mu1[i], mu2[i]);
        let (v1, v2, cv) = (s11[i] - m1 * m1, s22[i] - m2 * m2, s12[i] - m1 * m2);
        sum +=
            ((2.0 * m1 * m2 + c1) * (2.0 * cv + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
    }
    sum / mu1.len() as f64
}

fn ssim_impl(a: &Image, b: &Image, crop: usize, y: bool) -> Result<f64> {
    same_shape(a, b)?;
    let (h, w, pa) = planes(a, crop, y)?;
    let (_, _, pb) = planes(b, crop, y)?;
    if h < 11 || w < 11 {
        bail!("ssim: {w}x{h} (width x height) after cropping is smaller than the 11x11 window");
    }
    Ok(pa
        .iter()
        .zip(&pb)
        .map(|(x, z)| ssim_plane(x, z, h, w))
        .sum::<f64>()
        / pa.len() as f64)
}

/// PSNR in dB over all channels (infinite for identical images).
pub fn psnr(a: &Image, b: &Image, crop_border: usize) -> Result<f64> {
    psnr_impl(a, b, crop_border, false)
}
/// PSNR in dB on the Y channel.
pub fn psnr_y(a: &Image, b: &Image, crop_border: usize) -> Result<f64> {
    psnr_impl(a, b, crop_border, true)
}
/// SSIM averaged over channels.
pub fn ssim(a: &Image, b: &Image, crop_border: usize) -> Result<f64> {
    ssim_impl(a, b, crop_border, false)
}
/// SSIM on the Y channel.
pub fn ssim_y(a: &Image, b: &Image, crop_border: usize) -> Result<f64> {
    ssim_impl(a, b, crop_border, true)
}

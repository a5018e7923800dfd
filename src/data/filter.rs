//! 2-D filtering (correlation, as cv2.filter2D and torch conv2d) with reflect padding
//! (reflect-101: `dcb|abcd|cba`, torch 'reflect' and OpenCV's default border), Gaussian blur
//! and USM sharpening. Parallel over rows; each output value is summed in a fixed order.

use super::kernels::Kernel;
use super::Image;
use rayon::prelude::*;

/// Reflect-101 index for any `i`, also when the padding exceeds the size (periodic unfolding).
pub fn reflect101(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let p = 2 * (n as isize - 1);
    let m = i.rem_euclid(p);
    (if m >= n as isize { p - m } else { m }) as usize
}

fn indices(n: usize, r: usize) -> Vec<usize> {
    (0..n + 2 * r)
        .map(|i| reflect101(i as isize - r as isize, n))
        .collect()
}

/// Filter with a square kernel (odd size), output the same size as the input.
pub fn filter2d(img: &Image, k: &Kernel) -> Image {
    let (h, w, c, ks) = (img.h, img.w, img.c, k.size);
    let r = ks / 2;
    let rows = indices(h, r);
    let cols = indices(w, r);
    let kf: Vec<f32> = k.data.iter().map(|&v| v as f32).collect();
    // Skip all-zero kernel rows/columns (padded kernels are mostly zeros).
    let live: Vec<(usize, usize)> = (0..ks * ks)
        .filter(|&i| kf[i] != 0.0)
        .map(|i| (i / ks, i % ks))
        .collect();
    let mut out = Image::zeros(h, w, c);
    out.data
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(y, orow)| {
            let mut acc = vec![0f32; c];
            for x in 0..w {
                acc.iter_mut().for_each(|a| *a = 0.0);
                for &(ky, kx) in &live {
                    let kv = kf[ky * ks + kx];
                    let s = (rows[y + ky] * w + cols[x + kx]) * c;
                    for (a, v) in acc.iter_mut().zip(&img.data[s..s + c]) {
                        *a += kv * v;
                    }
                }
                orow[x * c..x * c + c].copy_from_slice(&acc);
            }
        });
    out
}

/// Separable filtering: `kx` along rows, then `ky` along columns, reflect-101 borders.
/// Equals `filter2d` with the outer product kernel up to float rounding.
pub fn filter_separable(img: &Image, kx: &[f64], ky: &[f64]) -> Image {
    let (h, w, c) = (img.h, img.w, img.c);
    let (rx, ry) = (kx.len() / 2, ky.len() / 2);
    let cols = indices(w, rx);
    let rows = indices(h, ry);
    let mut tmp = Image::zeros(h, w, c);
    tmp.data
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(y, orow)| {
            let irow = &img.data[y * w * c..(y + 1) * w * c];
            for x in 0..w {
                for ch in 0..c {
                    let mut a = 0f64;
                    for (j, &kv) in kx.iter().enumerate() {
                        a += kv * irow[cols[x + j] * c + ch] as f64;
                    }
                    orow[x * c + ch] = a as f32;
                }
            }
        });
    let mut out = Image::zeros(h, w, c);
    out.data
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(y, orow)| {
            for (i, o) in orow.iter_mut().enumerate() {
                let mut a = 0f64;
                for (j, &kv) in ky.iter().enumerate() {
                    a += kv * tmp.data[rows[y + j] * w * c + i] as f64;
                }
                *o = a as f32;
            }
        });
    out
}

/// OpenCV `getGaussianKernel(size, sigma)`: sampled Gaussian normalised to sum 1; sigma <= 0
/// means `0.3 * ((size - 1) / 2 - 1) + 0.8`.
pub fn gaussian_1d(size: usize, sigma: f64) -> Vec<f64> {
    let sigma = if sigma > 0.0 {
        sigma
    } else {
        0.3 * ((size as f64 - 1.0) * 0.5 - 1.0) + 0.8
    };
    let r = (size as f64 - 1.0) / 2.0;
    let k: Vec<f64> = (0..size)
        .map(|i| (-((i as f64 - r).powi(2)) / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f64 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Gaussian blur as cv2.GaussianBlur(img, (size, size), sigma) with the default border.
pub fn gaussian_blur(img: &Image, size: usize, sigma: f64) -> Image {
    let k = gaussian_1d(size, sigma);
    filter_separable(img, &k, &k)
}

/// USM sharpening of the GT as BasicSR's `USMSharp` (Real-ESRGAN): blur with a Gaussian of
/// size `radius` (made odd; sigma from the size as OpenCV), residual = img - blur; mask of
/// |residual| * 255 > threshold, softened by the same blur; output
/// soft * clip(img + weight * residual) + (1 - soft) * img.
pub fn usm_sharpen(img: &Image, radius: usize, weight: f32, threshold: f32) -> Image {
    let radius = if radius.is_multiple_of(2) {
        radius + 1
    } else {
        radius
    };
    let k = gaussian_1d(radius, 0.0);
    let blur = filter_separable(img, &k, &k);
    let mut mask = img.clone();
    for (m, (&a, &b)) in mask.data.iter_mut().zip(img.data.iter().zip(&blur.data)) {
        *m = if ((a - b) * 255.0).abs() > threshold {
            1.0
        } else {
            0.0
        };
    }
    let soft = filter_separable(&mask, &k, &k);
    let mut out = img.clone();
    for i in 0..out.data.len() {
        let x = img.data[i];
        let sharp = (x + weight * (x - blur.data[i])).clamp(0.0, 1.0);
        out.data[i] = soft.data[i] * sharp + (1.0 - soft.data[i]) * x;
    }
    out
}

/// USM with Real-ESRGAN's settings: radius 51, weight 0.5, threshold 10.
pub fn usm_default(img: &Image) -> Image {
    usm_sharpen(img, 51, 0.5, 10.0)
}

/// The taps of OpenCV's 8-bit Gaussian in 8 fractional bits: rounded from the outside in with
/// error diffusion, the centre tap taking the rest so that they sum to exactly 256.
fn cv2_fixed_taps(size: usize, sigma: f64) -> Vec<u32> {
    let k = gaussian_1d(size, sigma);
    let mut q = vec![0u32; size];
    let (mut err, mut sum) = (0.0f64, 0i64);
    for i in 0..size / 2 {
        let v = k[i] * 256.0 + err;
        let r = v.round_ties_even() as i64;
        err = v - r as f64;
        q[i] = r as u32;
        q[size - 1 - i] = r as u32;
        sum += 2 * r;
    }
    q[size / 2] = (256 - sum) as u32;
    q
}

/// OpenCV's bit-exact GaussianBlur of 8-bit data (HWC), reflect-101 borders, odd sizes: taps
/// in 8 fractional bits, a row pass kept at 8 fractional bits, a column pass at 16, rounded.
/// This is what `cv2.GaussianBlur` does to uint8 images (the test sets' blur).
pub fn gaussian_blur_u8_cv2(
    src: &[u8],
    h: usize,
    w: usize,
    c: usize,
    size: usize,
    sigma: f64,
) -> Vec<u8> {
    let k = cv2_fixed_taps(size, sigma);
    let r = size / 2;
    let cols = indices(w, r);
    let rows = indices(h, r);
    let mut mid = vec![0u32; h * w * c];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                let mut a = 0u32;
                for (j, &kv) in k.iter().enumerate() {
                    a += kv * src[(y * w + cols[x + j]) * c + ch] as u32;
                }
                mid[(y * w + x) * c + ch] = a.min(u16::MAX as u32);
            }
        }
    }
    let mut out = vec![0u8; h * w * c];
    for y in 0..h {
        for i in 0..w * c {
            let mut a = 0u64;
            for (j, &kv) in k.iter().enumerate() {
                a += kv as u64 * mid[rows[y + j] * w * c + i] as u64;
            }
            out[y * w * c + i] = ((a + (1 << 15)) >> 16).min(255) as u8;
        }
    }
    out
}

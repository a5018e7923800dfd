//! Additive noise as BasicSR's `add_gaussian_noise_pt` / `add_poisson_noise_pt` (clip to
//! [0, 1], no rounding). Draws come from the given generator in raster order (pixel, then
//! channel), so a seed fixes the noise field.

use super::{Image, Rng};
use rand::Rng as _;
use rand_distr::{Distribution, Poisson, StandardNormal};

/// Add N(0, sigma^2) noise (sigma on the [0, 1] scale); `gray` draws one value per pixel
/// shared by all channels. Clamps to [0, 1].
pub fn add_gaussian_noise(img: &mut Image, sigma: f32, gray: bool, rng: &mut Rng) {
    let c = img.c;
    for px in img.data.chunks_exact_mut(c) {
        if gray {
            let n: f32 = rng.sample::<f32, _>(StandardNormal) * sigma;
            px.iter_mut().for_each(|v| *v = (*v + n).clamp(0.0, 1.0));
        } else {
            for v in px.iter_mut() {
                let n: f32 = rng.sample::<f32, _>(StandardNormal) * sigma;
                *v = (*v + n).clamp(0.0, 1.0);
            }
        }
    }
}

/// Kong et al.'s test noise on 8-bit values: each value v becomes
/// `truncate(clip(v / 255 + n, 0, 1) * 255)`, n ~ N(0, sigma^2) (sigma on the [0, 1] scale),
/// in f64 as numpy computes it; one draw per value in raster order.
pub fn add_gaussian_noise_u8_truncated(px: &mut [u8], sigma: f64, rng: &mut Rng) {
    for v in px.iter_mut() {
        let n: f64 = rng.sample::<f64, _>(StandardNormal) * sigma;
        *v = noisy_u8_truncated(*v, n);
    }
}

/// One value of `add_gaussian_noise_u8_truncated` for a given noise draw `n`.
pub fn noisy_u8_truncated(v: u8, n: f64) -> u8 {
    // `as u8` truncates towards zero, like numpy's astype(np.uint8) on [0, 255].
    ((v as f64 / 255.0 + n).clamp(0.0, 1.0) * 255.0) as u8
}

/// Poisson noise as BasicSR: the signal rounded to 8-bit, `vals` = 2^ceil(log2(number of
/// distinct 8-bit levels)), noise = Poisson(x * vals) / vals - x, scaled by `scale` and added
/// to the (unrounded) image, clamped. `gray` computes it on the luma
/// (0.2989 R + 0.587 G + 0.114 B, torchvision) and adds the same noise to every channel.
pub fn add_poisson_noise(img: &mut Image, scale: f32, gray: bool, rng: &mut Rng) {
    let c = img.c;
    let levels: Vec<u8> = if gray && c == 3 {
        img.data
            .chunks_exact(3)
            .map(|p| super::image::to_u8(0.2989 * p[0] + 0.587 * p[1] + 0.114 * p[2]))
            .collect()
    } else {
        img.to_u8()
    };
    let mut seen = [false; 256];
    levels.iter().for_each(|&l| seen[l as usize] = true);
    let distinct = seen.iter().filter(|&&s| s).count().max(1);
    let vals = 2f64.powi((distinct as f64).log2().ceil() as i32);
    // 256 possible means; build each Poisson once.
    let dists: Vec<Option<Poisson<f64>>> = (0..256)
        .map(|l| Poisson::new(l as f64 / 255.0 * vals).ok())
        .collect();
    let noise = |l: u8, rng: &mut Rng| -> f32 {
        let k = dists[l as usize].as_ref().map_or(0.0, |d| d.sample(rng));
        ((k / vals - l as f64 / 255.0) * scale as f64) as f32
    };
    if gray && c == 3 {
        for (px, &l) in img.data.chunks_exact_mut(3).zip(&levels) {
            let n = noise(l, rng);
            px.iter_mut().for_each(|v| *v = (*v + n).clamp(0.0, 1.0));
        }
    } else {
        for (v, &l) in img.data.iter_mut().zip(&levels) {
            *v = (*v + noise(l, rng)).clamp(0.0, 1.0);
        }
    }
}

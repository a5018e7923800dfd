//! Data: image IO, datasets, degradations and metrics (DESIGN.md section 5).
//!
//! CPU only, plain Rust. This module never names the GPU layers (`gpu`, `tensor`, `ops`, ...):
//! it hands the trainer plain `Vec<f32>` batches in NCHW order.
//!
//! Determinism: every random draw comes from a ChaCha8 stream seeded per image or per sample
//! (`derive_seed`), never per thread, so results are bit-identical across runs and across
//! thread counts. Rayon parallelises over rows or images where it helps; every output
//! element is computed by one thread in a fixed order.
//!
//! - `image`: the `Image` type (HWC f32 in [0, 1]);
//! - `io`: load/save PNG, JPEG, BMP, TIFF (8/16-bit, gray/RGB/RGBA), folder listing;
//! - `npy`: a minimal `.npy` reader (reference fixtures) and f32 writer;
//! - `kernels`: blur kernels (Gaussian, generalized Gaussian, plateau, sinc) and the
//!   Real-ESRGAN kernel sampling;
//! - `filter`: 2-D filtering with reflect padding, Gaussian blur, USM sharpening;
//! - `resize`: area, bilinear, bicubic (PyTorch conventions), MATLAB imresize, PIL bicubic;
//! - `noise`: Gaussian/Poisson noise (and Kong et al.'s truncated test noise);
//! - `jpeg`: baseline JPEG encoder/decoder bit-exact with libjpeg-turbo as Pillow uses it;
//! - `degrade`: the training pipelines and the fixed test degradations of Kong et al.;
//! - `dataset`: HR folder, paired folder, prefetching loader, batches of same-content pairs;
//! - `metrics`: PSNR and SSIM with BasicSR's conventions.

pub mod dataset;
pub mod degrade;
pub mod filter;
mod image;
pub mod io;
pub mod jpeg;
pub mod kernels;
pub mod metrics;
pub mod noise;
pub mod npy;
pub mod resize;

pub use image::Image;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator used everywhere in `data`.
pub type Rng = ChaCha8Rng;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A child seed from a parent seed and two indices (e.g. epoch and sample position).
/// Distinct inputs give unrelated streams; the mapping is fixed forever (reproducibility).
pub fn derive_seed(seed: u64, a: u64, b: u64) -> u64 {
    splitmix(splitmix(splitmix(seed) ^ a) ^ b.rotate_left(17))
}

/// A seed from a name (e.g. an image file name), stable across platforms (FNV-1a).
pub fn name_seed(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// A generator from a seed.
pub fn rng(seed: u64) -> Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

//! Resizing: constants stay constant, ramps stay ramps (away from the borders), output sizes.

use sralign::data::resize::{imresize, resize, resize_by, ResizeMode};
use sralign::data::Image;

/// f32 storage of f64 sums of a handful of taps.
const F32_TOL: f32 = 2e-6;
const MODES: [ResizeMode; 5] = [
    ResizeMode::Area,
    ResizeMode::Bilinear,
    ResizeMode::Bicubic,
    ResizeMode::Matlab,
    ResizeMode::Pil,
];

fn constant(h: usize, w: usize, v: [f32; 3]) -> Image {
    Image {
        h,
        w,
        c: 3,
        data: (0..h * w).flat_map(|_| v).collect(),
    }
}

#[test]
fn constant_stays_constant() {
    // 0.4 etc. are on the 8-bit grid so the PIL path (8-bit) is exact too
    let v = [102.0 / 255.0, 0.0, 1.0];
    for mode in MODES {
        for (oh, ow) in [(9, 7), (40, 52), (20, 26)] {
            let out = resize(&constant(20, 26, v), oh, ow, mode);
            assert_eq!((out.h, out.w), (oh, ow));
            for px in out.data.chunks(3) {
                for ch in 0..3 {
                    assert!(
                        (px[ch] - v[ch]).abs() < F32_TOL,
                        "{mode:?} {oh}x{ow}: {} vs {}",
                        px[ch],
                        v[ch]
                    );
                }
            }
        }
    }
}

/// A horizontal ramp f(x) = a + b x (pixel centres at integers).
fn ramp(h: usize, w: usize, a: f32, b: f32) -> Image {
    Image {
        h,
        w,
        c: 3,
        data: (0..h * w)
            .flat_map(|i| [a + b * (i % w) as f32; 3])
            .collect(),
    }
}

#[test]
fn ramp_stays_ramp_in_the_interior() {
    let (a, b) = (0.1f32, 0.01f32);
    for mode in MODES {
        for (w, ow) in [(64usize, 16usize), (16, 32), (48, 16)] {
            if mode == ResizeMode::Area && ow > w {
                continue; // area is defined for downscaling
            }
            let out = resize(&ramp(8, w, a, b), 8, ow, mode);
            let ratio = w as f32 / ow as f32;
            let margin = (3.0 * ratio.max(1.0) / ratio).ceil() as usize + 1;
            let tol = match mode {
                // 8-bit in (input rounded) and out: half a level each
                ResizeMode::Pil => 1.0 / 255.0 + F32_TOL,
                // Keys' cubic with a = -0.75 reproduces constants but not ramps at phases
                // other than 0 and 1/2 (a = -0.5 does): up to 0.05 pixel off at phase 1/4.
                ResizeMode::Bicubic if ow > w => 0.05 * b,
                _ => F32_TOL,
            };
            for x in margin..ow - margin {
                let want = a + b * ((x as f32 + 0.5) * ratio - 0.5);
                let got = out.at(4, x, 1);
                assert!(
                    (got - want).abs() < tol,
                    "{mode:?} {w}->{ow} x={x}: {got} vs {want}"
                );
                assert!(
                    got > out.at(4, x - 1, 1) || mode == ResizeMode::Pil,
                    "{mode:?}: not increasing at {x}"
                );
            }
        }
    }
}

#[test]
fn output_sizes() {
    let img = constant(30, 45, [0.5; 3]);
    assert_eq!((imresize(&img, 0.25).h, imresize(&img, 0.25).w), (8, 12)); // ceil, as MATLAB
    let r = resize_by(&img, 0.3, ResizeMode::Bilinear);
    assert_eq!((r.h, r.w), (9, 13)); // floor, as F.interpolate
    let r = resize_by(&img, 1.5, ResizeMode::Bicubic);
    assert_eq!((r.h, r.w), (45, 67));
}

#[test]
fn identity_resize_is_exact_for_interpolating_modes() {
    let img = ramp(6, 10, 0.2, 0.05);
    for mode in [
        ResizeMode::Area,
        ResizeMode::Bilinear,
        ResizeMode::Bicubic,
        ResizeMode::Matlab,
    ] {
        let out = resize(&img, 6, 10, mode);
        let d = out
            .data
            .iter()
            .zip(&img.data)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(d < F32_TOL, "{mode:?}: {d}");
    }
}

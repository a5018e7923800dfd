//! The data layer against reference values made with BasicSR 1.4.2, OpenCV and Pillow
//! (../shared/fixtures, see its README): kernels, MATLAB and PIL bicubic, the test blur,
//! PSNR/SSIM.

use sralign::data::kernels::KernelSpec;
use sralign::data::npy::read_npy;
use sralign::data::resize::{imresize, pil_bicubic_u8};
use sralign::data::{filter, metrics, Image};
use std::path::PathBuf;

/// Kernels are computed in f64 as BasicSR does (numpy f64): agree to rounding.
const KERNEL_TOL: f64 = 1e-12;
/// BasicSR's imresize runs in torch float32; we accumulate in f64 and store f32.
const IMRESIZE_TOL: f64 = 1e-4;
/// The tolerances for the metrics.
const PSNR_TOL: f64 = 1e-3;
const SSIM_TOL: f64 = 1e-4;

fn dir() -> PathBuf {
    PathBuf::from("../shared/fixtures")
}

fn fixtures() -> serde_json::Value {
    let s = std::fs::read_to_string(dir().join("fixtures.json")).expect("fixtures.json");
    serde_json::from_str(&s).unwrap()
}

fn npy_image(file: &str) -> Image {
    let a = read_npy(dir().join(file)).unwrap();
    assert_eq!(a.shape.len(), 3, "{file}");
    let (h, w, c) = (a.shape[0], a.shape[1], a.shape[2]);
    Image {
        h,
        w,
        c,
        data: a.data.iter().map(|&v| v as f32).collect(),
    }
}

fn npy_u8(file: &str) -> (Vec<usize>, Vec<u8>) {
    let a = read_npy(dir().join(file)).unwrap();
    (a.shape, a.data.iter().map(|&v| v as u8).collect())
}

fn patch(case: &serde_json::Value) -> Image {
    let name = case["image"]
        .as_str()
        .unwrap()
        .replace(".png", "_patch.npy");
    let (s, v) = npy_u8(&name);
    Image::from_u8(s[0], s[1], s[2], &v)
}

fn max_diff(a: &Image, b: &Image) -> f64 {
    assert_eq!((a.h, a.w, a.c), (b.h, b.w, b.c));
    a.data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .fold(0.0, f64::max)
}

#[test]
fn kernels_match_basicsr() {
    let f = fixtures();
    for k in f["kernels"].as_array().unwrap() {
        let size = k["size"].as_u64().unwrap() as usize;
        let g = |n: &str| k[n].as_f64().unwrap();
        let spec = match k["kind"].as_str().unwrap() {
            "iso" | "aniso" => KernelSpec::Gaussian {
                size,
                sigma_x: g("sigma_x"),
                sigma_y: g("sigma_y"),
                theta: g("theta"),
            },
            "generalized_aniso" => KernelSpec::Generalized {
                size,
                sigma_x: g("sigma_x"),
                sigma_y: g("sigma_y"),
                theta: g("theta"),
                beta: g("beta"),
            },
            "plateau_aniso" => KernelSpec::Plateau {
                size,
                sigma_x: g("sigma_x"),
                sigma_y: g("sigma_y"),
                theta: g("theta"),
                beta: g("beta"),
            },
            "sinc" => KernelSpec::Sinc {
                size,
                cutoff: g("cutoff"),
            },
            other => panic!("unknown fixture kernel {other}"),
        };
        let want = read_npy(dir().join(k["file"].as_str().unwrap())).unwrap();
        assert_eq!(want.shape, vec![size, size]);
        let got = spec.build();
        let d = got
            .data
            .iter()
            .zip(&want.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(d < KERNEL_TOL, "{:?}: max diff {d:e}", spec);
    }
}

#[test]
fn matlab_imresize_matches_basicsr() {
    for case in fixtures()["cases"].as_array().unwrap() {
        let p = patch(case);
        let d4 = imresize(&p, 0.25);
        let d = max_diff(&d4, &npy_image(case["matlab_down4"].as_str().unwrap()));
        assert!(d < IMRESIZE_TOL, "down4 {}: {d:e}", case["image"]);
        let d3 = imresize(&p, 1.0 / 3.0);
        let d = max_diff(&d3, &npy_image(case["matlab_down3"].as_str().unwrap()));
        assert!(d < IMRESIZE_TOL, "down3 {}: {d:e}", case["image"]);
        // x4 of the float fixture (not of our result), so the up path is checked alone.
        let up = imresize(&npy_image(case["matlab_down4"].as_str().unwrap()), 4.0);
        let d = max_diff(
            &up,
            &npy_image(case["matlab_up4_of_down4"].as_str().unwrap()),
        );
        assert!(d < IMRESIZE_TOL, "up4 {}: {d:e}", case["image"]);
    }
}

#[test]
fn pil_bicubic_matches_pillow_exactly() {
    for case in fixtures()["cases"].as_array().unwrap() {
        let p = patch(case);
        let got = pil_bicubic_u8(&p.to_u8(), p.h, p.w, 3, 24, 24);
        let (s, want) = npy_u8(case["pil_bicubic_down4_uint8"].as_str().unwrap());
        assert_eq!(s, vec![24, 24, 3]);
        let bad = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            bad,
            0,
            "{}: {bad} of {} values differ",
            case["image"],
            want.len()
        );
    }
}

#[test]
fn test_blur_matches_opencv() {
    for case in fixtures()["cases"].as_array().unwrap() {
        let p = patch(case);
        let (_, want) = npy_u8(case["cv2_gaussian_blur_21_s2_uint8"].as_str().unwrap());
        // Bit-exact emulation of OpenCV's 8-bit fixed-point path.
        let got = filter::gaussian_blur_u8_cv2(&p.to_u8(), p.h, p.w, 3, 21, 2.0);
        let bad = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            bad,
            0,
            "{}: {bad} of {} values differ",
            case["image"],
            want.len()
        );
        // The float blur rounded agrees within one level.
        let mut f = filter::gaussian_blur(&p, 21, 2.0);
        f.quantize();
        let max = f
            .to_u8()
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as i32 - *b as i32).abs())
            .max()
            .unwrap();
        assert!(max <= 1, "{}: float blur off by {max}", case["image"]);
    }
}

#[test]
fn roundtrip_and_metrics_match_basicsr() {
    for case in fixtures()["cases"].as_array().unwrap() {
        let p = patch(case);
        let (s, rt) = npy_u8(case["roundtrip_uint8"].as_str().unwrap());
        let rt = Image::from_u8(s[0], s[1], s[2], &rt);
        // Our own x4 round trip reproduces the fixture's 8-bit result (ties may flip).
        let mut ours = imresize(&imresize(&p, 0.25), 4.0);
        ours.quantize();
        let off = ours
            .to_u8()
            .iter()
            .zip(rt.to_u8())
            .filter(|(a, b)| **a != *b)
            .count();
        assert!(
            off * 1000 < rt.data.len(),
            "{}: {off} values differ",
            case["image"]
        );
        let g = |k: &str| case[k].as_f64().unwrap();
        // Y is BT.601 on RGB (16 + 65.481 R + 128.553 G + 24.966 B), as the fixtures compute it.
        let checks = [
            (
                "psnr_rgb",
                metrics::psnr(&p, &rt, 4).unwrap(),
                g("psnr_rgb_crop4"),
                PSNR_TOL,
            ),
            (
                "psnr_y",
                metrics::psnr_y(&p, &rt, 4).unwrap(),
                g("psnr_y_crop4"),
                PSNR_TOL,
            ),
            (
                "ssim_rgb",
                metrics::ssim(&p, &rt, 4).unwrap(),
                g("ssim_rgb_crop4"),
                SSIM_TOL,
            ),
            (
                "ssim_y",
                metrics::ssim_y(&p, &rt, 4).unwrap(),
                g("ssim_y_crop4"),
                SSIM_TOL,
            ),
        ];
        for (name, got, want, tol) in checks {
            assert!(
                (got - want).abs() < tol,
                "{} {name}: {got} vs {want}",
                case["image"]
            );
        }
    }
}

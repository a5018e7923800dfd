//! The test degradations of Kong et al. (`TestDegradation::kong`) against the fixtures made
//! with their script's deterministic settings (../shared/fixtures/jpeg: clean, blur, jpeg,
//! b+j), the noise truncation rule, and the order blur -> down -> noise -> JPEG.

use rand::Rng as _;
use rand_distr::StandardNormal;
use sralign::data::degrade::{test_degrade, NoiseTo8Bit, TestDegradation, TestSetting};
use sralign::data::jpeg::jpeg;
use sralign::data::npy::read_npy;
use sralign::data::resize::ResizeMode;
use sralign::data::{rng, Image};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from("../shared/fixtures")
}

fn npy_u8(file: &str) -> (Vec<usize>, Vec<u8>) {
    let a = read_npy(dir().join(file)).unwrap();
    (a.shape, a.data.iter().map(|&v| v as u8).collect())
}

fn cases() -> Vec<serde_json::Value> {
    let s = std::fs::read_to_string(dir().join("fixtures.json")).expect("fixtures.json");
    let f: serde_json::Value = serde_json::from_str(&s).unwrap();
    f["jpeg"]["cases"].as_array().unwrap().clone()
}

fn patch(case: &serde_json::Value) -> Image {
    let name = case["image"]
        .as_str()
        .unwrap()
        .replace(".png", "_patch.npy");
    let (s, v) = npy_u8(&name);
    Image::from_u8(s[0], s[1], s[2], &v)
}

#[test]
fn kong_is_the_default_protocol() {
    let k = TestDegradation::default();
    assert_eq!(k, TestDegradation::kong());
    assert_eq!(
        (k.blur_size, k.blur_sigma, k.noise_sigma, k.jpeg_quality),
        (21, 2.0, 20.0, 50)
    );
    assert_eq!(
        (k.resize, k.noise_to_8bit),
        (ResizeMode::Pil, NoiseTo8Bit::Truncate)
    );
}

#[test]
fn deterministic_settings_match_kong_fixtures_exactly() {
    let cfg = TestDegradation::kong();
    let mut checked = 0;
    for case in cases() {
        let hr = patch(&case);
        for (name, setting) in [
            ("clean", TestSetting::Clean),
            ("blur", TestSetting::Blur),
            ("jpeg", TestSetting::Jpeg),
            ("b+j", TestSetting::BlurJpeg),
        ] {
            let (s, want) = npy_u8(case["kong"][name].as_str().unwrap());
            assert_eq!(s, vec![24, 24, 3]);
            let got = test_degrade(&hr, 4, setting, &cfg, 0).unwrap();
            assert_eq!((got.h, got.w, got.c), (24, 24, 3));
            let got = got.to_u8();
            let bad = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            let max = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .max()
                .unwrap();
            assert_eq!(
                bad, 0,
                "{} {name}: {bad} values differ, max {max}",
                case["image"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

/// On a flat image the LR is flat, so each noisy value is exactly
/// floor(clip(v / 255 + n, 0, 1) * 255) with n the k-th draw of the seeded generator
/// (N(0, 1) * 20/255 in f64): truncated, not rounded.
#[test]
fn noise_is_clipped_and_truncated_on_a_flat_image() {
    let cfg = TestDegradation::kong();
    for v in [0u8, 1, 37, 128, 200, 254, 255] {
        let hr = Image::from_u8(64, 48, 3, &vec![v; 64 * 48 * 3]);
        let clean = test_degrade(&hr, 4, TestSetting::Clean, &cfg, 9)
            .unwrap()
            .to_u8();
        assert!(clean.iter().all(|&x| x == v), "flat {v} did not stay flat");
        let got = test_degrade(&hr, 4, TestSetting::Noise, &cfg, 9)
            .unwrap()
            .to_u8();
        let mut r = rng(9);
        let draws: Vec<f64> = (0..got.len())
            .map(|_| r.sample::<f64, _>(StandardNormal) * (20.0 / 255.0))
            .collect();
        let trunc = |n: f64| ((v as f64 / 255.0 + n).clamp(0.0, 1.0) * 255.0).floor() as u8;
        let round = |n: f64| ((v as f64 / 255.0 + n).clamp(0.0, 1.0) * 255.0).round() as u8;
        let bad = got
            .iter()
            .zip(&draws)
            .filter(|(g, n)| **g != trunc(**n))
            .count();
        assert_eq!(
            bad,
            0,
            "flat {v}: {bad} of {} values not truncated",
            got.len()
        );
        // Rounding would give another image (most values for v inside the range).
        let differ = draws.iter().filter(|&&n| trunc(n) != round(n)).count();
        if (1..=254).contains(&v) {
            assert!(
                differ * 4 > got.len(),
                "flat {v}: only {differ} values tell the rules apart"
            );
        }
        // Clipping: at the ends about half the values stay at the end.
        if v == 0 || v == 255 {
            let at_end = got.iter().filter(|&&g| g == v).count();
            assert!(
                at_end * 5 > got.len() * 2,
                "flat {v}: {at_end} values at the end"
            );
        }
    }
}

#[test]
fn eight_settings_compose_in_order_blur_down_noise_jpeg() {
    let cfg = TestDegradation::kong();
    let hr = patch(&cases()[0]);
    let seed = 1234;
    let out = |s: TestSetting| test_degrade(&hr, 4, s, &cfg, seed).unwrap();
    let all: Vec<Image> = TestSetting::ALL.iter().map(|&s| out(s)).collect();
    for i in 0..8 {
        assert_eq!((all[i].h, all[i].w), (24, 24));
        for j in 0..i {
            assert_ne!(
                all[i],
                all[j],
                "{} == {}",
                TestSetting::ALL[i].name(),
                TestSetting::ALL[j].name()
            );
        }
    }
    use TestSetting::*;
    let q = cfg.jpeg_quality;
    // JPEG is the last step, of the 8-bit result of the steps before.
    assert_eq!(out(Jpeg), jpeg(&out(Clean), q).unwrap());
    assert_eq!(out(BlurJpeg), jpeg(&out(Blur), q).unwrap());
    assert_eq!(out(NoiseJpeg), jpeg(&out(Noise), q).unwrap());
    assert_eq!(out(BlurNoiseJpeg), jpeg(&out(BlurNoise), q).unwrap());
    // Noise comes after downsampling: the same field added to the clean and blurred LR.
    let mut r = rng(seed);
    let draws: Vec<f64> = (0..24 * 24 * 3)
        .map(|_| r.sample::<f64, _>(StandardNormal) * (20.0 / 255.0))
        .collect();
    let noisy = |lr: &Image| -> Vec<u8> {
        lr.to_u8()
            .iter()
            .zip(&draws)
            .map(|(&v, &n)| ((v as f64 / 255.0 + n).clamp(0.0, 1.0) * 255.0).floor() as u8)
            .collect()
    };
    assert_eq!(out(Noise).to_u8(), noisy(&out(Clean)));
    assert_eq!(out(BlurNoise).to_u8(), noisy(&out(Blur)));
    // Another seed, another field.
    assert_ne!(
        test_degrade(&hr, 4, Noise, &cfg, seed + 1).unwrap(),
        out(Noise)
    );
}

#[test]
fn kong_resizes_any_size_to_floor_over_scale() {
    let cfg = TestDegradation::kong();
    let hr = patch(&cases()[1]).crop(0, 0, 50, 37);
    for s in TestSetting::ALL {
        let lr = test_degrade(&hr, 4, s, &cfg, 3).unwrap();
        assert_eq!((lr.h, lr.w), (12, 9), "{}", s.name());
    }
    assert!(test_degrade(&hr.crop(0, 0, 3, 37), 4, TestSetting::Clean, &cfg, 3).is_err());
    // The BasicSR-style protocol still wants a multiple of the scale.
    assert!(test_degrade(&hr, 4, TestSetting::Clean, &TestDegradation::basicsr(), 3).is_err());
}

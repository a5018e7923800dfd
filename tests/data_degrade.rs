//! Degradations: JPEG, noise statistics, USM, pipeline shapes and sampling, the test
//! settings, and bit-reproducibility across runs and thread counts.

use sralign::data::degrade::{
    apply, degrade, degrade_pair, sample_params, test_degrade, Params, Pipeline, TestDegradation,
    TestSetting,
};
use sralign::data::filter::usm_default;
use sralign::data::noise::{add_gaussian_noise, add_poisson_noise};
use sralign::data::resize::{imresize, ResizeMode};
use sralign::data::{io, jpeg::jpeg, metrics, rng, Image};

/// Standard deviation of a noise estimate from 64*64*3 = 12288 draws: relative standard error
/// 1/sqrt(2n) = 0.64%; 5% is > 7 standard errors.
const STD_REL_TOL: f64 = 0.05;
const N_PARAMS: usize = 3000;
const FREQ_TOL: f64 = 0.035;

fn test_crop(h: usize, w: usize) -> Image {
    let img = io::load_image("../shared/data/test/skimage_chelsea.png").unwrap();
    img.crop(100, 150, h, w)
}

fn flat(h: usize, w: usize, v: f32) -> Image {
    Image {
        h,
        w,
        c: 3,
        data: vec![v; h * w * 3],
    }
}

fn std_of(img: &Image, mean: f32) -> f64 {
    (img.data
        .iter()
        .map(|&x| ((x - mean) as f64).powi(2))
        .sum::<f64>()
        / img.data.len() as f64)
        .sqrt()
}

#[test]
fn jpeg_quality_100_is_near_lossless_and_10_is_not() {
    let img = test_crop(64, 64);
    let q100 = jpeg(&img, 100).unwrap();
    let q10 = jpeg(&img, 10).unwrap();
    let p100 = metrics::psnr(&img, &q100, 0).unwrap();
    let p10 = metrics::psnr(&img, &q10, 0).unwrap();
    assert!(p100 > 38.0, "q100 PSNR {p100}");
    assert!(
        p10 < 32.0 && p10 < p100 - 8.0,
        "q10 PSNR {p10} vs q100 {p100}"
    );
    assert!(jpeg(&img, 0).is_err() && jpeg(&img, 101).is_err());
}

#[test]
fn gaussian_noise_has_the_requested_std() {
    for gray in [false, true] {
        let mut img = flat(64, 64, 0.5);
        add_gaussian_noise(&mut img, 10.0 / 255.0, gray, &mut rng(1));
        let s = std_of(&img, 0.5) * 255.0;
        assert!((s / 10.0 - 1.0).abs() < STD_REL_TOL, "gray {gray}: std {s}");
        let same = img.data.chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]);
        assert_eq!(same, gray, "gray noise shares one value per pixel");
    }
}

#[test]
fn poisson_noise_has_the_expected_std() {
    // flat 0.5: one 8-bit level -> vals = 1, noise = scale * (Poisson(0.5) - 0.5), std scale*sqrt(0.5)
    for gray in [false, true] {
        let mut img = flat(64, 64, 0.5);
        add_poisson_noise(&mut img, 0.1, gray, &mut rng(2));
        let s = std_of(&img, 0.5);
        let want = 0.1 * 0.5f64.sqrt();
        assert!(
            (s / want - 1.0).abs() < STD_REL_TOL,
            "gray {gray}: std {s} vs {want}"
        );
    }
}

#[test]
fn usm_keeps_flat_and_sharpens_edges() {
    let f = flat(40, 40, 0.3);
    assert_eq!(usm_default(&f).data, f.data);
    let mut step = flat(40, 40, 0.3);
    for y in 0..40 {
        for x in 20..40 {
            for c in 0..3 {
                step.data[(y * 40 + x) * 3 + c] = 0.7;
            }
        }
    }
    let s = usm_default(&step);
    assert!(
        s.at(20, 20, 0) > 0.7 + 0.01 && s.at(20, 19, 0) < 0.3 - 0.01,
        "overshoot at the edge"
    );
    assert!(s.data.iter().all(|&v| (0.0..=1.0).contains(&v)));
}

#[test]
fn pipelines_give_lr_shapes_on_the_8bit_grid() {
    let gt = test_crop(64, 64);
    for p in [Pipeline::RealEsrgan, Pipeline::OneStage, Pipeline::Bicubic] {
        for seed in 0..6 {
            let lr = degrade(&gt, 4, p, seed).unwrap();
            assert_eq!((lr.h, lr.w, lr.c), (16, 16, 3));
            assert!(lr
                .data
                .iter()
                .all(|&v| (v * 255.0 - (v * 255.0).round()).abs() < 1e-4));
        }
    }
    let mut want = imresize(&gt, 0.25);
    want.quantize();
    assert_eq!(degrade(&gt, 4, Pipeline::Bicubic, 9).unwrap(), want);
    assert!(
        degrade(&test_crop(62, 64), 4, Pipeline::RealEsrgan, 0).is_err(),
        "size not a multiple of the scale"
    );
}

#[test]
fn degradation_is_bit_reproducible_across_runs_and_thread_counts() {
    let gt = test_crop(64, 64);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            (0..4u64)
                .map(|s| degrade_pair(&gt, 4, Pipeline::RealEsrgan, s).unwrap())
                .collect::<Vec<_>>()
        })
    };
    let a = run(1);
    let b = run(3);
    let c = run(1);
    assert_eq!(a, b, "1 vs 3 threads");
    assert_eq!(a, c, "run to run");
    for (x, y) in &a {
        assert_ne!(x, y, "the two degradations of a pair are independent draws");
    }
    let mut p = sample_params(Pipeline::RealEsrgan, &mut rng(42));
    assert_eq!(p, sample_params(Pipeline::RealEsrgan, &mut rng(42)));
    assert_eq!(apply(&p, &gt, 4).unwrap(), apply(&p, &gt, 4).unwrap());
    // parameters are explicit: serialisable for logs
    assert!(serde_json::to_string(&p).unwrap().contains("stage1"));
    p = sample_params(Pipeline::OneStage, &mut rng(1));
    assert!(matches!(p, Params::OneStage(_)));
}

#[test]
fn realesrgan_parameter_frequencies() {
    let mut r = rng(7);
    let (
        mut blur2,
        mut first,
        mut sinc,
        mut up1,
        mut down1,
        mut gauss1,
        mut gray1,
        mut up2,
        mut down2,
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0);
    for _ in 0..N_PARAMS {
        let Params::RealEsrgan(p) = sample_params(Pipeline::RealEsrgan, &mut r) else {
            panic!()
        };
        blur2 += p.stage2.blur.is_some() as usize;
        first += p.resize_first as usize;
        sinc += matches!(
            p.final_sinc,
            sralign::data::kernels::KernelSpec::Sinc { .. }
        ) as usize;
        let f1 = p.stage1.resize_factor;
        assert!((0.15..1.5).contains(&f1));
        up1 += (f1 > 1.0) as usize;
        down1 += (f1 < 1.0) as usize;
        let f2 = p.stage2.resize_factor;
        assert!((0.3..1.2).contains(&f2));
        up2 += (f2 > 1.0) as usize;
        down2 += (f2 < 1.0) as usize;
        for q in [
            p.stage1.jpeg_quality,
            p.stage2.jpeg_quality,
            p.final_jpeg_quality,
        ] {
            assert!((30..=95).contains(&q));
        }
        for (noise, smax, pmax) in [(&p.stage1.noise, 30.0, 3.0), (&p.stage2.noise, 25.0, 2.5)] {
            match *noise {
                sralign::data::degrade::NoiseSpec::Gaussian { sigma, gray, .. } => {
                    assert!((1.0..smax).contains(&(sigma as f64 * 255.0 + 1e-4)));
                    if smax == 30.0 {
                        gauss1 += 1;
                        gray1 += gray as usize;
                    }
                }
                sralign::data::degrade::NoiseSpec::Poisson { scale, gray, .. } => {
                    assert!((0.05..pmax).contains(&(scale as f64)));
                    if smax == 30.0 {
                        gray1 += gray as usize;
                    }
                }
            }
        }
        assert!(matches!(
            p.final_resize_mode,
            ResizeMode::Area | ResizeMode::Bilinear | ResizeMode::Bicubic
        ));
    }
    let f = |n: usize| n as f64 / N_PARAMS as f64;
    for (name, got, want) in [
        ("second blur", f(blur2), 0.8),
        ("resize first", f(first), 0.5),
        ("final sinc", f(sinc), 0.8),
        ("up1", f(up1), 0.2),
        ("down1", f(down1), 0.7),
        ("up2", f(up2), 0.3),
        ("down2", f(down2), 0.4),
        ("gaussian1", f(gauss1), 0.5),
        ("gray1", f(gray1), 0.4),
    ] {
        assert!((got - want).abs() < FREQ_TOL, "{name}: {got} vs {want}");
    }
}

#[test]
fn test_settings_follow_blur_down_noise_jpeg() {
    let hr = test_crop(64, 48);
    let cfg = TestDegradation::basicsr();
    let outs: Vec<Image> = TestSetting::ALL
        .iter()
        .map(|&s| test_degrade(&hr, 4, s, &cfg, 5).unwrap())
        .collect();
    for o in &outs {
        assert_eq!((o.h, o.w), (16, 12));
    }
    for i in 0..8 {
        for j in 0..i {
            assert_ne!(
                outs[i],
                outs[j],
                "{} vs {}",
                TestSetting::ALL[i].name(),
                TestSetting::ALL[j].name()
            );
        }
    }
    let mut clean = imresize(&hr, 0.25);
    clean.quantize();
    assert_eq!(outs[0], clean);
    // noise: sigma 20/255 after downsampling (clipping aside)
    let d: Vec<f64> = outs[2]
        .data
        .iter()
        .zip(&clean.data)
        .map(|(a, b)| (a - b) as f64 * 255.0)
        .collect();
    let s = (d.iter().map(|v| v * v).sum::<f64>() / d.len() as f64).sqrt();
    assert!((s - 20.0).abs() < 4.0, "noise std {s}");
    // same seed, same output; PIL resizing is another path
    assert_eq!(
        test_degrade(&hr, 4, TestSetting::BlurNoiseJpeg, &cfg, 5).unwrap(),
        outs[7]
    );
    let pil = TestDegradation {
        resize: ResizeMode::Pil,
        ..cfg.clone()
    };
    assert_ne!(
        test_degrade(&hr, 4, TestSetting::Clean, &pil, 5).unwrap(),
        outs[0]
    );
    assert!(test_degrade(&test_crop(63, 48), 4, TestSetting::Clean, &cfg, 5).is_err());
}

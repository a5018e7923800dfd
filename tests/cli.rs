//! The command line end to end: info, export -> upscale (png and npy), metrics, and the
//! one-line errors users see.
use std::path::{Path, PathBuf};
use std::process::Command;

fn sralign(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sralign"))
        .args(args)
        .output()
        .expect("run sralign");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn info_self_test_passes() {
    let (ok, out, err) = sralign(&["info", "--self-test"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("adapter:")
            && out.contains("max_storage_buffer_binding_size")
            && out.contains("self-test: ok"),
        "{out}"
    );
}

#[test]
fn export_upscale_and_metrics_round_trip() {
    let d = tmp("roundtrip");
    let cfg = "tools/configs/srresnet_tiny_x4.toml";
    let w = d.join("w.safetensors");
    let (ok, out, err) = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--seed",
        "3",
        s(&w),
    ]);
    assert!(ok && out.contains("31043 parameters"), "{out}{err}");
    // A small LR input made from a bundled photo.
    let lr = d.join("lr.png");
    image::open("../shared/data/test/skimage_chelsea.png")
        .unwrap()
        .crop_imm(100, 80, 40, 30)
        .save(&lr)
        .unwrap();
    let upscale = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "upscale",
            "--arch",
            "srresnet",
            "--config",
            cfg,
            "--weights",
            s(&w),
        ];
        args.extend(["--input", s(&lr), "--output", s(out)]);
        args.extend(extra);
        let (ok, _, err) = sralign(&args);
        assert!(ok, "{args:?}: {err}");
    };
    let sr = d.join("sr.png");
    upscale(&sr, &[]);
    let img = image::open(&sr).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (160, 120));
    // Tiled output equals the whole-image one once rounded to 8 bits (overlap > receptive field).
    let tiled = d.join("tiled.png");
    upscale(&tiled, &["--tile", "16", "--tile-overlap", "12"]);
    let (ok, out, err) = sralign(&["metrics", "--ref", s(&sr), "--test", s(&tiled), "--json"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("\"identical\": true") && out.contains("\"psnr\": null"),
        "tiled and whole outputs differ: {out}"
    );
    // .npy: the float result, HWC, which rounds to the PNG's values.
    let npy = d.join("sr.npy");
    upscale(&npy, &[]);
    let a = sralign::data::npy::read_npy(&npy).unwrap();
    assert_eq!(a.shape, vec![120, 160, 3]);
    for (v, p) in a.data.iter().zip(img.as_raw()) {
        assert_eq!(
            ((*v as f32).clamp(0.0, 1.0) * 255.0).round() as u8,
            *p,
            "same f32 rounding as the PNG"
        );
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn user_errors_are_one_clear_line() {
    let d = tmp("errors");
    let w = d.join("w.safetensors");
    let (ok, _, _) = sralign(&[
        "export",
        "--arch",
        "msrn",
        "--config",
        "tools/configs/srresnet_tiny_x4.toml",
        s(&w),
    ]);
    assert!(!ok, "a config of another arch must be refused");
    let (ok, _, _) = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        "tools/configs/srresnet_tiny_x4.toml",
        s(&w),
    ]);
    assert!(ok);
    let cfg = "tools/configs/srresnet_tiny_x4.toml";
    let up = |extra: &[&'static str]| -> Vec<&str> {
        let mut v = vec!["upscale", "--arch", "srresnet", "--weights", s(&w)];
        v.extend(extra);
        v
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            up(&["--input", "in.png", "--output", "o.jpg"]),
            "must be .png or .npy",
        ),
        // Weights of the tiny config read as the standard one: names and shapes listed.
        (
            up(&[
                "--input",
                "../shared/data/test/skimage_chelsea.png",
                "--output",
                "o.png",
            ]),
            "does not fit srresnet",
        ),
        (
            up(&[
                "--config",
                cfg,
                "--input",
                "/nonexistent.png",
                "--output",
                "o.png",
            ]),
            "/nonexistent.png",
        ),
        (
            vec![
                "upscale",
                "--arch",
                "vgg",
                "--weights",
                s(&w),
                "--input",
                "a.png",
                "--output",
                "o.png",
            ],
            "unknown arch",
        ),
        (
            vec![
                "metrics",
                "--ref",
                "/nonexistent-dir",
                "--test",
                "/nonexistent-dir",
            ],
            "nonexistent-dir",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, err) = sralign(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
    std::fs::remove_dir_all(&d).ok();
}

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
    let sr = d.join("sr.png");
    let (ok, _, err) = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--input",
        s(&lr),
        "--output",
        s(&sr),
    ]);
    assert!(ok, "{err}");
    let img = image::open(&sr).unwrap();
    assert_eq!((img.width(), img.height()), (160, 120));
    // Tiled output equals the whole-image one once rounded to 8 bits (overlap > receptive field).
    let tiled = d.join("tiled.png");
    let (ok, _, err) = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--input",
        s(&lr),
        "--output",
        s(&tiled),
        "--tile",
        "16",
        "--tile-overlap",
        "12",
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = sralign(&["metrics", "--ref", s(&sr), "--test", s(&tiled), "--json"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("\"inf\""),
        "tiled and whole outputs differ: {out}"
    );
    // .npy: float32 HWC.
    let npy = d.join("sr.npy");
    let (ok, _, err) = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--input",
        s(&lr),
        "--output",
        s(&npy),
    ]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&npy).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(
        header.contains("'descr': '<f4'") && header.contains("'shape': (120, 160, 3)"),
        "{header}"
    );
    assert_eq!(bytes.len() % 64, (120 * 160 * 3 * 4) % 64);
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
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "upscale",
                "--arch",
                "srresnet",
                "--weights",
                s(&w),
                "--input",
                "in.png",
                "--output",
                "o.jpg",
            ],
            "must be .png or .npy",
        ),
        (
            &[
                "upscale",
                "--arch",
                "srresnet",
                "--weights",
                s(&w),
                "--input",
                "/nonexistent.png",
                "--output",
                "o.png",
            ],
            "does not fit srresnet",
        ),
        (
            &[
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
            &[
                "metrics",
                "--ref",
                "/nonexistent-dir",
                "--test",
                "/nonexistent-dir",
            ],
            "nonexistent",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, err) = sralign(args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
    std::fs::remove_dir_all(&d).ok();
}

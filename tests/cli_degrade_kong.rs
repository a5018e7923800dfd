//! `sralign degrade` with Kong et al.'s protocol (the default): the eight settings it writes,
//! checked against the Kong fixtures and the library, and the --protocol/--resize errors.

use sralign::data::degrade::{test_degrade, TestDegradation, TestSetting};
use sralign::data::io::{load_image, save_image};
use sralign::data::jpeg::jpeg;
use sralign::data::npy::read_npy;
use sralign::data::Image;
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
    let d = std::env::temp_dir().join(format!("sralign-kong-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn fixture_u8(file: &str) -> Vec<u8> {
    let a = read_npy(Path::new("../shared/fixtures").join(file)).unwrap();
    a.data.iter().map(|&v| v as u8).collect()
}

#[test]
fn degrade_writes_the_eight_kong_settings() {
    let d = tmp("eight");
    let (input, out) = (d.join("in"), d.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    // The fixture patch (96x96) and a crop of it that is not a multiple of 4 (37 x 50).
    let patch = Image::from_u8(96, 96, 3, &fixture_u8("sporco_sail_patch.npy"));
    save_image(input.join("sail.png"), &patch).unwrap();
    let odd = patch.crop(3, 5, 50, 37);
    save_image(input.join("odd.png"), &odd).unwrap();

    let (ok, stdout, err) = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--seed",
        "3",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("kong protocol"), "{stdout}");

    // The deterministic settings are the fixtures of Kong et al.'s script, bit for bit.
    for name in ["clean", "blur", "jpeg", "b+j"] {
        let got = load_image(out.join(name).join("sail.png")).unwrap().to_u8();
        let want = fixture_u8(&format!("jpeg/sporco_sail_kong_{name}.npy"));
        assert!(got == want, "{name}: differs from the Kong fixture");
    }
    // Every setting of both images, each equal to the library's result with the seed the
    // manifest records; the HR is cropped to a multiple of 4, the LR is (w / 4, h / 4).
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["protocol"], "kong");
    assert_eq!(manifest["noise"]["to_8bit"], "truncate");
    let cfg = TestDegradation::kong();
    for (file, img) in [("sail.png", &patch), ("odd.png", &odd)] {
        let entry = manifest["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == file)
            .unwrap();
        let seed = entry["noise_seed"].as_u64().unwrap();
        let hr = load_image(out.join("HR").join(file)).unwrap();
        assert_eq!((hr.h, hr.w), (img.h / 4 * 4, img.w / 4 * 4));
        let mut lrs = Vec::new();
        for st in TestSetting::ALL {
            let lr = load_image(out.join(st.name()).join(file)).unwrap();
            assert_eq!((lr.h, lr.w), (img.h / 4, img.w / 4), "{file} {}", st.name());
            assert_eq!(
                lr,
                test_degrade(img, 4, st, &cfg, seed).unwrap(),
                "{file} {}",
                st.name()
            );
            lrs.push(lr);
        }
        // Order blur -> down -> noise -> JPEG: the JPEG settings are the JPEG of the others.
        let q = cfg.jpeg_quality;
        assert_eq!(lrs[3], jpeg(&lrs[0], q).unwrap());
        assert_eq!(lrs[5], jpeg(&lrs[1], q).unwrap());
        assert_eq!(lrs[6], jpeg(&lrs[2], q).unwrap());
        assert_eq!(lrs[7], jpeg(&lrs[4], q).unwrap());
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn protocol_and_resize_options() {
    let d = tmp("opts");
    let input = d.join("in");
    std::fs::create_dir_all(&input).unwrap();
    save_image(
        input.join("a.png"),
        &Image::from_u8(8, 8, 3, &[90; 8 * 8 * 3]),
    )
    .unwrap();
    let o = d.join("o");
    let (ok, _, err) = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&o),
        "--resize",
        "pil",
    ]);
    assert!(
        !ok && err.contains("--resize applies to --protocol basicsr"),
        "{err}"
    );
    let (ok, _, err) = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&o),
        "--protocol",
        "x",
    ]);
    assert!(!ok && err.contains("expected kong or basicsr"), "{err}");
    for resize in ["matlab", "pil"] {
        let (ok, stdout, err) = sralign(&[
            "degrade",
            "--input",
            s(&input),
            "--output",
            s(&o),
            "--protocol",
            "basicsr",
            "--resize",
            resize,
            // The second pass writes over the first one's output (issue 9: only with --force).
            "--force",
        ]);
        assert!(ok, "{err}");
        assert!(
            stdout.contains(&format!("basicsr protocol, {resize} resize")),
            "{stdout}"
        );
    }
    std::fs::remove_dir_all(&d).ok();
}

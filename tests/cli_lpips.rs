//! `sralign metrics --lpips alex|vgg` end to end: the value of the `lpips` package's fixture in
//! the text and JSON output, "unavailable" (never a number) without weights, a clear error
//! naming a corrupt weights file. Needs the weights of tools/setup_lpips.sh (see tests/lpips.rs;
//! SRALIGN_SKIP_LPIPS=1 skips, and says so).
use sralign::data::{io, npy::read_npy, Image};
use std::path::Path;
use std::process::Command;

/// As tests/lpips.rs (measured differences up to 1.2e-7); the JSON carries f64 of our f32.
const LPIPS_TOL: f64 = 2e-6;

fn sralign(args: &[&str], lpips_dir: Option<&Path>) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sralign"));
    c.args(args);
    if let Some(d) = lpips_dir {
        c.env("SRALIGN_LPIPS_DIR", d);
    }
    let out = c.output().expect("run sralign");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn png_from_npy(npy: &str, out: &Path) {
    let a = read_npy(Path::new("../shared/fixtures").join(npy)).unwrap();
    let v: Vec<u8> = a.data.iter().map(|&x| x as u8).collect();
    io::save_image(out, &Image::from_u8(a.shape[0], a.shape[1], a.shape[2], &v)).unwrap();
}

fn weights_present() -> bool {
    match sralign::eval::lpips::find_weights(sralign::eval::lpips::LpipsNet::Alex) {
        Ok(_) => true,
        Err(why) if std::env::var("SRALIGN_SKIP_LPIPS").as_deref() == Ok("1") => {
            eprintln!("SKIPPED (SRALIGN_SKIP_LPIPS=1): {why}");
            false
        }
        Err(why) => panic!("{why} (set SRALIGN_SKIP_LPIPS=1 to skip the LPIPS tests)"),
    }
}

#[test]
fn metrics_lpips_text_json_unavailable_and_corrupt() {
    let d = std::env::temp_dir().join(format!("sralign-cli-lpips-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let (a, b) = (d.join("patch.png"), d.join("roundtrip.png"));
    png_from_npy("sporco_sail_patch.npy", &a);
    png_from_npy("sporco_sail_roundtrip_uint8.npy", &b);
    let base = [
        "metrics",
        "--ref",
        s(&a),
        "--test",
        s(&b),
        "--lpips",
        "alex",
    ];

    // No weights in the lookup directory: reported as unavailable, with the path; never a number.
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, out, err) = sralign(&base, Some(&empty));
    assert!(ok, "{err}");
    assert!(
        out.contains("LPIPS (alex): unavailable") && out.contains("alex.safetensors"),
        "{out}"
    );
    assert!(
        !out.contains("LPIPS\n") && !out.lines().next().unwrap().contains("LPIPS"),
        "{out}"
    );
    let (ok, out, err) = sralign(&[&base[..], &["--json"]].concat(), Some(&empty));
    assert!(ok, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        j["images"][0]["lpips"].is_null() && j["mean"]["lpips"].is_null(),
        "{out}"
    );
    assert!(
        j["lpips_unavailable"]
            .as_str()
            .unwrap()
            .contains("alex.safetensors"),
        "{out}"
    );

    // A corrupt weights file: an error naming it.
    let bad = d.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("alex.safetensors"),
        b"\x10\x00\x00\x00\x00\x00\x00\x00{oops",
    )
    .unwrap();
    let (ok, _, err) = sralign(&base, Some(&bad));
    assert!(!ok);
    assert!(err.contains(s(&bad.join("alex.safetensors"))), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // Not a network.
    let (ok, _, err) = sralign(
        &[
            "metrics",
            "--ref",
            s(&a),
            "--test",
            s(&b),
            "--lpips",
            "resnet",
        ],
        None,
    );
    assert!(!ok && err.contains("resnet"), "{err}");

    if weights_present() {
        let fx: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string("../shared/fixtures/fixtures.json").unwrap(),
        )
        .unwrap();
        let want = fx["cases"][0]["lpips_alex_patch_vs_roundtrip"]
            .as_f64()
            .unwrap();
        assert_eq!(fx["cases"][0]["image"], "sporco_sail.png");
        let (ok, out, err) = sralign(&[&base[..], &["--json"]].concat(), None);
        assert!(ok, "{err}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        let got = j["images"][0]["lpips"].as_f64().unwrap();
        assert!((got - want).abs() <= LPIPS_TOL, "{got} vs {want}");
        assert_eq!(j["mean"]["lpips"].as_f64().unwrap(), got);
        assert_eq!(j["lpips_net"], "alex");
        assert!(j.get("lpips_unavailable").is_none(), "{out}");
        let (ok, out, err) = sralign(&base, None);
        assert!(ok, "{err}");
        let head = out.lines().next().unwrap();
        assert!(head.ends_with("LPIPS"), "{out}");
        let mean = out.lines().find(|l| l.starts_with("mean")).unwrap();
        let v: f64 = mean.split_whitespace().last().unwrap().parse().unwrap();
        assert!((v - want).abs() < 1e-4, "{out}");
    }
    std::fs::remove_dir_all(&d).ok();
}

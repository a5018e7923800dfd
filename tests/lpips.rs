//! LPIPS (AlexNet and VGG16, v0.1) on the engine against the `lpips` package's values in
//! ../shared/fixtures (PyTorch, f32): each 96x96 patch vs its x4 bicubic round trip.
//!
//! The weights come from tools/setup_lpips.sh. Without them these tests fail (CI runs the
//! set-up, so missing weights there are a failure, not a skip) unless SRALIGN_SKIP_LPIPS=1 says
//! to skip, which is printed.
mod common;
use sralign::data::npy::read_npy;
use sralign::data::Image;
use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
use std::path::PathBuf;

/// Our f32 sums run in another order than PyTorch's (im2col / oneDNN GEMMs). Measured on
/// lavapipe: at most 1.2e-7 (AlexNet) and 3.0e-8 (VGG16) on values of 0.20-0.47, i.e. one to
/// four f32 ulps of the result. 2e-6 absolute (1e-5 of the smallest value) leaves room for other
/// adapters' summation orders and still catches any wrong layer, constant or scaling.
const LPIPS_TOL: f64 = 2e-6;

fn dir() -> PathBuf {
    PathBuf::from("../shared/fixtures")
}

fn u8_image(file: &str) -> Image {
    let a = read_npy(dir().join(file)).unwrap();
    let v: Vec<u8> = a.data.iter().map(|&x| x as u8).collect();
    Image::from_u8(a.shape[0], a.shape[1], a.shape[2], &v)
}

/// The network, or None when the weights are missing and SRALIGN_SKIP_LPIPS=1.
fn net(n: LpipsNet) -> Option<Lpips> {
    let path = match find_weights(n) {
        Ok(p) => p,
        Err(why) if std::env::var("SRALIGN_SKIP_LPIPS").as_deref() == Ok("1") => {
            eprintln!("SKIPPED (SRALIGN_SKIP_LPIPS=1): {why}");
            return None;
        }
        Err(why) => panic!("{why} (set SRALIGN_SKIP_LPIPS=1 to skip the LPIPS tests)"),
    };
    Some(Lpips::load(&common::gpu(), n, &path).unwrap())
}

fn check_fixtures(n: LpipsNet, key: &str) {
    let Some(lp) = net(n) else { return };
    let s = std::fs::read_to_string(dir().join("fixtures.json")).expect("fixtures.json");
    let fx: serde_json::Value = serde_json::from_str(&s).unwrap();
    let mut worst = 0.0f64;
    for case in fx["cases"].as_array().unwrap() {
        let name = case["image"].as_str().unwrap();
        let a = u8_image(&name.replace(".png", "_patch.npy"));
        let b = u8_image(case["roundtrip_uint8"].as_str().unwrap());
        let want = case[key].as_f64().unwrap();
        let got = lp.distance(&a, &b).unwrap();
        let d = (got - want).abs();
        eprintln!("{key} {name}: {got:.9} vs {want:.9} (diff {d:.2e})");
        assert!(d <= LPIPS_TOL, "{key} {name}: got {got} want {want}");
        worst = worst.max(d);
        // Symmetric, and zero on identical images.
        let back = lp.distance(&b, &a).unwrap();
        assert!(
            (back - got).abs() <= LPIPS_TOL,
            "{key} {name}: d(b, a) {back} vs {got}"
        );
        assert!(lp.distance(&a, &a).unwrap().abs() < 1e-7);
    }
    eprintln!("{key}: largest difference {worst:.2e}");
}

#[test]
fn lpips_alex_matches_the_lpips_package() {
    check_fixtures(LpipsNet::Alex, "lpips_alex_patch_vs_roundtrip");
}

#[test]
fn lpips_vgg_matches_the_lpips_package() {
    check_fixtures(LpipsNet::Vgg, "lpips_vgg_patch_vs_roundtrip");
}

#[test]
fn bad_weights_and_inputs_give_clear_errors() {
    let gpu = common::gpu();
    let tmp = std::env::temp_dir().join(format!("sralign_lpips_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Not a safetensors file.
    let junk = tmp.join("alex.safetensors");
    std::fs::write(&junk, b"not weights").unwrap();
    let e = Lpips::load(&gpu, LpipsNet::Alex, &junk)
        .err()
        .expect("an error");
    let msg = format!("{e:#}");
    assert!(msg.contains(&junk.display().to_string()), "{msg}");
    // Missing file.
    let e = Lpips::load(&gpu, LpipsNet::Vgg, &tmp.join("none.safetensors"))
        .err()
        .expect("an error");
    assert!(format!("{e:#}").contains("none.safetensors"), "{e:#}");
    // Valid safetensors of the wrong network (the VGG file read as AlexNet), when present.
    if let (Ok(vgg), Ok(alex_dir)) = (find_weights(LpipsNet::Vgg), find_weights(LpipsNet::Alex)) {
        let e = Lpips::load(&gpu, LpipsNet::Alex, &vgg)
            .err()
            .expect("an error");
        let msg = format!("{e:#}");
        assert!(msg.contains("not a valid LPIPS alex weights file"), "{msg}");
        assert!(msg.contains(&vgg.display().to_string()), "{msg}");
        let lp = Lpips::load(&gpu, LpipsNet::Alex, &alex_dir).unwrap();
        let small = Image::zeros(20, 40, 3);
        let e = lp.distance(&small, &small).unwrap_err();
        assert!(format!("{e}").contains("at least 31x31"), "{e}");
        let e = lp.distance(&small, &Image::zeros(40, 40, 3)).unwrap_err();
        assert!(format!("{e}").contains("40x20"), "{e}");
    }
    std::fs::remove_dir_all(&tmp).ok();
}

//! `sralign eval` and `sralign report` from the command line: tables for every setting, and
//! clear one-line errors for folders that do not pair, sizes that disagree, foreign weights
//! and existing outputs (nothing overwritten without --force).
use std::path::{Path, PathBuf};
use std::process::Command;

fn sralign(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sralign"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign_cli_eval_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn eval_writes_tables_and_refuses_bad_folders() {
    use sralign::data::degrade::{test_degrade, TestDegradation, TestSetting};
    use sralign::data::io;
    let d = tmp("main");
    let test = d.join("test");
    for name in ["skimage_chelsea", "skimage_rocket"] {
        let hr = io::load_image(format!("data/test/{name}.png"))
            .unwrap()
            .crop(0, 0, 48, 48);
        io::save_image(test.join("HR").join(format!("{name}.png")), &hr).unwrap();
        for st in TestSetting::ALL {
            let lr = test_degrade(&hr, 4, st, &TestDegradation::default(), 1).unwrap();
            io::save_image(test.join(st.name()).join(format!("{name}.png")), &lr).unwrap();
        }
    }
    let w = d.join("w.safetensors");
    let cfg = "tools/configs/srresnet_tiny_x4.toml";
    let (ok, _, e) = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--seed",
        "1",
        s(&w),
    ]);
    assert!(ok, "{e}");
    let out = d.join("eval");
    let args = [
        "eval",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--data",
        s(&test),
        "--output",
        s(&out),
        "--lpips",
        "none",
    ];
    let (ok, stdout, e) = sralign(&args);
    assert!(ok, "{e}");
    for st in TestSetting::ALL {
        assert!(
            stdout.contains(&format!("| test | {} | 2 |", st.name())),
            "{stdout}"
        );
    }
    for f in ["eval.md", "eval.csv", "eval.json"] {
        assert!(out.join(f).exists());
    }
    assert_eq!(
        std::fs::read_to_string(out.join("eval.csv"))
            .unwrap()
            .lines()
            .count(),
        1 + 16
    );
    // Existing tables: refused without --force, the file unchanged.
    let before = std::fs::read(out.join("eval.json")).unwrap();
    let (ok, _, e) = sralign(&args);
    assert!(!ok && e.contains("--force"), "{e}");
    assert_eq!(before, std::fs::read(out.join("eval.json")).unwrap());
    // Names that do not pair.
    std::fs::rename(
        test.join("blur/skimage_rocket.png"),
        test.join("blur/rocket2.png"),
    )
    .unwrap();
    let (ok, _, e) = sralign(&[
        "eval",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--data",
        s(&test),
        "--output",
        s(&d.join("e2")),
    ]);
    assert!(
        !ok && e.contains("blur") && e.contains("do not pair"),
        "{e}"
    );
    std::fs::rename(
        test.join("blur/rocket2.png"),
        test.join("blur/skimage_rocket.png"),
    )
    .unwrap();
    // LR and HR sizes that disagree.
    let big = io::load_image("data/test/skimage_rocket.png")
        .unwrap()
        .crop(0, 0, 40, 40);
    io::save_image(test.join("noise/skimage_rocket.png"), &big).unwrap();
    let (ok, _, e) = sralign(&[
        "eval",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--data",
        s(&test),
        "--output",
        s(&d.join("e3")),
        "--lpips",
        "none",
    ]);
    assert!(
        !ok && e.contains("noise/skimage_rocket.png") && e.contains("scale"),
        "{e}"
    );
    // Weights of another configuration.
    let (ok, _, e) = sralign(&[
        "eval",
        "--arch",
        "srresnet",
        "--weights",
        s(&w),
        "--data",
        s(&test),
        "--output",
        s(&d.join("e4")),
    ]);
    assert!(!ok && e.contains(s(&w)), "{e}");
    // Not a degrade folder.
    let (ok, _, e) = sralign(&[
        "eval",
        "--arch",
        "srresnet",
        "--config",
        cfg,
        "--weights",
        s(&w),
        "--data",
        "data/test",
        "--output",
        s(&d.join("e5")),
    ]);
    assert!(!ok && e.contains("HR/"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

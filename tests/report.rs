//! Comparison reports: confidence intervals that can fail, every method x degradation in the
//! report files, refusing runs of different test sets, and `sralign demo --quick` end to end.
use std::path::{Path, PathBuf};

use sralign::eval::stats::{paired_ci, t975};
use sralign::eval::testset::{EvalResult, ImageScore};
use sralign::report::{self, write_report};

const SETTINGS: [&str; 8] = [
    "clean", "blur", "noise", "jpeg", "b+n", "b+j", "n+j", "b+n+j",
];

#[test]
fn confidence_intervals_contain_zero_for_a_method_against_itself_only() {
    let a: Vec<f64> = (0..40)
        .map(|i| 25.0 + ((i * 37) % 11) as f64 * 0.3)
        .collect();
    let same = paired_ci(&a, &a);
    assert!(same.contains_zero() && same.mean == 0.0);
    // A copy shifted by 0.2 dB with small independent noise: the interval excludes zero.
    let shifted: Vec<f64> = a
        .iter()
        .enumerate()
        .map(|(i, x)| x + 0.2 + ((i * 7) % 5) as f64 * 0.01 - 0.02)
        .collect();
    let ci = paired_ci(&shifted, &a);
    assert!(!ci.contains_zero(), "{ci:?}");
    assert!((ci.mean - 0.2).abs() < 0.01, "{ci:?}");
    // Noise larger than the shift: the interval contains zero.
    let noisy: Vec<f64> = a
        .iter()
        .enumerate()
        .map(|(i, x)| x + 0.02 + if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    assert!(paired_ci(&noisy, &a).contains_zero());
    assert!((t975(1) - 12.706).abs() < 1e-3 && (t975(10) - 2.228).abs() < 1e-3);
    assert!((t975(100) - 1.984).abs() < 2e-3 && (t975(100000) - 1.960).abs() < 1e-3);
}

fn fake_run(
    root: &Path,
    method: &str,
    reg: &str,
    seed: u64,
    offset: f64,
    images: &[&str],
) -> PathBuf {
    let dir = root.join(format!("{method}_seed{seed}"));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = format!(
        "manual_seed = {seed}\n[network_g]\ntype = \"srresnet\"\nnum_feat = 16\nnum_block = 2\n\
         [datasets.train]\ndataroot_gt = \"data/train\"\ngt_size = 64\nbatch_size = 4\n\
         [train]\ntotal_iter = 10\noptim_g = {{ type = \"Adam\", lr = 1e-3 }}\n[regularizer]\n{reg}\n"
    );
    std::fs::write(dir.join("config.toml"), cfg).unwrap();
    let log = (1..=2)
        .map(|s| {
            format!(
                "{{\"kind\":\"train\",\"step\":{},\"losses\":{{\"l1\":0.05}},\"grad_share\":{{\"l1\":0.9,\"align_linear\":0.1}},\"align_cov_rel\":0.3}}\n",
                s * 5
            )
        })
        .collect::<String>();
    std::fs::write(dir.join("log.jsonl"), log).unwrap();
    let mut r = EvalResult::default();
    for (i, img) in images.iter().enumerate() {
        for (k, s) in SETTINGS.iter().enumerate() {
            let v = 25.0 - k as f64 * 0.5
                + i as f64 * 0.7
                + offset
                + seed as f64 * 0.05
                + ((i * 3 + k) % 4) as f64 * 0.01;
            r.scores.push(ImageScore {
                set: "test".into(),
                setting: s.to_string(),
                image: img.to_string(),
                psnr: v,
                ssim: 0.7,
                psnr_y: v + 1.0,
                ssim_y: 0.72,
                lpips: None,
            });
        }
    }
    std::fs::write(dir.join("eval.json"), serde_json::to_string(&r).unwrap()).unwrap();
    dir
}

#[test]
fn report_holds_every_method_and_degradation_and_says_what_is_noise() {
    let root = std::env::temp_dir().join(format!("sralign_report_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let imgs = ["a", "b", "c", "d"];
    let mut dirs = Vec::new();
    for seed in 0..2 {
        dirs.push(fake_run(&root, "baseline", "", seed, 0.0, &imgs));
        dirs.push(fake_run(
            &root,
            "dropout",
            "dropout = { p = 0.5 }",
            seed,
            0.0,
            &imgs,
        ));
        dirs.push(fake_run(
            &root,
            "align",
            "align_linear = { weight = 1.0 }",
            seed,
            0.3,
            &imgs,
        ));
    }
    let runs = report::load_runs(&dirs).unwrap();
    let out = root.join("report");
    let md = write_report(&out, &runs).unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    for m in ["baseline", "dropout", "align-linear"] {
        assert!(text.contains(&format!("| {m} |")), "{m} missing");
    }
    for s in SETTINGS {
        assert!(text.contains(&format!(" {s} |")), "{s} missing");
    }
    assert!(
        text.contains("**dropout**, mean over the degradations: within noise"),
        "{text}"
    );
    assert!(
        text.contains(
            "**align-linear**, mean over the degradations: better than the baseline by 0.300"
        ),
        "{text}"
    );
    assert!(
        text.contains("25.00 ± 0.04") || text.contains("± 0.0"),
        "no mean ± std cells"
    );
    for f in ["report.json", "psnr_test.png", "curves_l1.png"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(js["sets"][0]["rows"].as_array().unwrap().len(), 3);
    // A run evaluated on other images cannot join the report.
    let other = fake_run(&root.join("other"), "baseline", "", 0, 0.0, &["x", "y"]);
    let mut mixed = runs.clone();
    mixed.extend(report::load_runs(std::slice::from_ref(&other)).unwrap());
    let e = write_report(&root.join("mixed"), &mixed)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&other.join("eval.json").display().to_string()),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn methods_take_their_terms_from_the_base_config() {
    let menu: sralign::train::regularizer::RegularizerCfg =
        toml::from_str("dropout = { p = 0.6 }\nalign_linear = { weight = 5.0 }").unwrap();
    assert_eq!(
        report::method_regularizer(&menu, "baseline")
            .unwrap()
            .method_name(),
        "baseline"
    );
    let r = report::method_regularizer(&menu, "dropout+align-linear").unwrap();
    assert_eq!(r.method_name(), "dropout+align-linear");
    assert_eq!(r.dropout.unwrap().p, Some(0.6));
    let e = report::method_regularizer(&menu, "align-rff")
        .unwrap_err()
        .to_string();
    assert!(e.contains("align_rff"), "{e}");
    let e = report::method_regularizer(&menu, "align-cubic")
        .unwrap_err()
        .to_string();
    assert!(e.contains("align-cubic"), "{e}");
}

#[test]
fn demo_quick_runs_end_to_end() {
    let out = std::env::temp_dir().join(format!("sralign_demo_quick_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_sralign"))
        .args(["demo", "--quick", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        st.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(stdout.contains("full report:"), "{stdout}");
    let text = std::fs::read_to_string(out.join("report.md")).unwrap();
    for m in ["baseline", "dropout", "align-linear+align-rff"] {
        assert!(
            text.contains(&format!("| {m} |")),
            "{m} missing from the report"
        );
    }
    for f in [
        "psnr_test.png",
        "crops_test.png",
        "curves_l1.png",
        "report.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // A second run reuses the finished runs (no retraining) and still writes the report.
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_sralign"))
        .args(["demo", "--quick", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("reused"));
    let _ = std::fs::remove_dir_all(&out);
}

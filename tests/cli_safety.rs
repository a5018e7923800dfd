//! Issue 9: every command with hostile input. Out-of-range numbers, colliding names, existing
//! outputs, outputs that are inputs, broken weights and ambiguous folders: each case checks the
//! exit code, the message, and that no file was changed.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const TINY: &str = "tools/configs/srresnet_tiny_x4.toml";

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn sralign_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sralign"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run sralign");
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into(),
        err: String::from_utf8_lossy(&o.stderr).into(),
    };
    assert!(!r.err.contains("panicked"), "{args:?} panicked: {}", r.err);
    r
}

fn sralign(args: &[&str]) -> Run {
    sralign_env(args, &[])
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign-clisafety-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A small photo crop (w x h), RGB or RGBA, written with the extension's format.
fn photo(path: &Path, w: u32, h: u32, rgba: bool) {
    let img = image::open("../shared/data/test/skimage_chelsea.png")
        .unwrap()
        .crop_imm(120, 90, w, h);
    if rgba {
        img.to_rgba8().save(path).unwrap();
    } else {
        img.to_rgb8().save(path).unwrap();
    }
}

/// Every file under `dir` with its bytes: compared before and after a refused command.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                m.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    m
}

fn export_tiny(w: &Path) {
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--output",
        s(w),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
}

#[test]
fn numbers_out_of_range_name_the_option_and_the_range() {
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec![
                "upscale",
                "--arch",
                "srresnet",
                "--weights",
                "w",
                "--input",
                "i.png",
                "--output",
                "o.png",
                "--tile",
                "16",
                "--tile-overlap",
                "18446744073709551615",
            ],
            "--tile-overlap",
            "from 0 to 4096",
        ),
        (
            vec![
                "upscale",
                "--arch",
                "srresnet",
                "--weights",
                "w",
                "--input",
                "i.png",
                "--output",
                "o.png",
                "--tile",
                "-8",
            ],
            "--tile",
            "from 1 to 65536",
        ),
        (
            vec![
                "upscale",
                "--arch",
                "srresnet",
                "--weights",
                "w",
                "--input",
                "i.png",
                "--output",
                "o.png",
                "--tile",
                "0",
            ],
            "--tile",
            "from 1 to 65536",
        ),
        (
            vec![
                "metrics",
                "--ref",
                "a",
                "--test",
                "b",
                "--crop-border",
                "9223372036854775808",
            ],
            "--crop-border",
            "from 0 to 4096",
        ),
        (
            vec![
                "metrics",
                "--ref",
                "a",
                "--test",
                "b",
                "--crop-border",
                "-8",
            ],
            "--crop-border",
            "from 0 to 4096",
        ),
        (
            vec!["degrade", "--input", "a", "--output", "b", "--scale", "0"],
            "--scale",
            "from 1 to 16",
        ),
        (
            vec!["degrade", "--input", "a", "--output", "b", "--scale", "-4"],
            "--scale",
            "from 1 to 16",
        ),
        (
            vec![
                "export",
                "--arch",
                "srresnet",
                "--seed",
                "-1",
                "--output",
                "w.safetensors",
            ],
            "--seed",
            "from 0 to",
        ),
        (
            vec![
                "export",
                "--arch",
                "srresnet",
                "--scale",
                "8",
                "--output",
                "w.safetensors",
            ],
            "--scale",
            "from 1 to 4",
        ),
        (
            vec![
                "eval",
                "--arch",
                "srresnet",
                "--weights",
                "w",
                "--data",
                "d",
                "--output",
                "o",
                "--crop-border",
                "-4",
            ],
            "--crop-border",
            "from 0 to 4096",
        ),
        (
            vec![
                "eval",
                "--arch",
                "srresnet",
                "--weights",
                "w",
                "--data",
                "d",
                "--output",
                "o",
                "--tile",
                "0",
            ],
            "--tile",
            "from 1 to 65536",
        ),
        (
            vec![
                "compare", "--config", "c.toml", "--test", "t", "--output", "o", "--seeds", "-3",
            ],
            "--seeds",
            "from 1 to 100",
        ),
        (
            vec![
                "compare", "--config", "c.toml", "--test", "t", "--output", "o", "--seeds", "0",
            ],
            "--seeds",
            "from 1 to 100",
        ),
        (
            vec!["bench", "--quick", "--iters", "0"],
            "--iters",
            "from 1 to 1000",
        ),
        (
            vec!["bench", "--quick", "--peak-gflops", "nan"],
            "--peak-gflops",
            "must be a number from",
        ),
        (
            vec!["bench", "--quick", "--peak-gflops", "-5"],
            "--peak-gflops",
            "must be a number from",
        ),
    ];
    for (args, opt, range) in cases {
        let r = sralign(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.err);
        assert!(
            r.err.contains(opt) && r.err.contains(range) && !r.err.contains("unexpected argument"),
            "{args:?}: {}",
            r.err
        );
    }
}

#[test]
fn upscale_and_export_never_write_over_inputs_or_existing_outputs() {
    let d = tmp("overwrite");
    let w = d.join("w.safetensors");
    export_tiny(&w);
    let lr = d.join("lr.png");
    photo(&lr, 20, 16, false);
    let up = |out: &Path, extra: &[&str]| {
        let mut a = vec![
            "upscale",
            "--arch",
            "srresnet",
            "--config",
            TINY,
            "--weights",
            s(&w),
            "--input",
            s(&lr),
            "--output",
            s(out),
        ];
        a.extend(extra);
        sralign(&a)
    };
    let before = snapshot(&d);
    // The input as output, even spelled differently and even with --force.
    let alias = d.join(".").join("lr.png");
    for extra in [&[][..], &["--force"][..]] {
        let r = up(&alias, extra);
        assert_eq!(r.code, 1, "{}", r.err);
        assert!(r.err.contains("is also an input"), "{}", r.err);
    }
    // An existing output without --force: refused, named, untouched.
    let sr = d.join("sr.png");
    std::fs::write(&sr, b"precious").unwrap();
    let before_sr = snapshot(&d);
    let r = up(&sr, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("already exists") && r.err.contains("--force") && r.err.contains("sr.png"),
        "{}",
        r.err
    );
    assert_eq!(snapshot(&d), before_sr);
    // With --force it is replaced, and the user is told.
    let r = up(&sr, &["--force"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("replaced"), "{}", r.err);
    assert_eq!(image::open(&sr).unwrap().width(), 80);
    // export: existing output refused; wrong extension refused; weights untouched.
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--output",
        s(&w),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("already exists"), "{}", r.err);
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--output",
        s(&lr),
        "--force",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains(".safetensors"), "{}", r.err);
    // The config file as an export output.
    let r = sralign(&[
        "export", "--arch", "srresnet", "--config", TINY, "--output", TINY, "--force",
    ]);
    assert_eq!(r.code, 1);
    let mut after = snapshot(&d);
    after.remove(&sr);
    let mut before = before;
    before.remove(&sr);
    assert_eq!(after, before, "inputs and weights must be unchanged");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn unwritable_output_is_found_before_any_work() {
    let d = tmp("unwritable");
    let lr = d.join("lr.png");
    photo(&lr, 20, 16, false);
    // The weights do not exist: the output check must come first, so the message is about it.
    let r = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--weights",
        s(&d.join("none.safetensors")),
        "--input",
        s(&lr),
        "--output",
        "/proc/sralign-no/sr.png",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("--output") && r.err.contains("/proc/sralign-no"),
        "{}",
        r.err
    );
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--output",
        "/proc/sralign-no/w.safetensors",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("--output"), "{}", r.err);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn degrade_refuses_colliding_names_and_stale_folders_and_records_failures() {
    let d = tmp("degrade");
    let input = d.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for ext in ["png", "jpg", "bmp"] {
        photo(&input.join(format!("x.{ext}")), 24, 20, false);
    }
    let out = d.join("out");
    let r = sralign(&["degrade", "--input", s(&input), "--output", s(&out)]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("x.png <- ") && r.err.contains("x.jpg") && r.err.contains("x.bmp"),
        "{}",
        r.err
    );
    assert!(
        !out.join("HR").exists(),
        "nothing may be written before the check"
    );
    // Output = input is refused.
    let r = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&input),
        "--force",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("is the input folder"), "{}", r.err);

    // A clean input: one good image, one RGBA (noted), one corrupt (listed, others written).
    std::fs::remove_file(input.join("x.jpg")).unwrap();
    std::fs::remove_file(input.join("x.bmp")).unwrap();
    photo(&input.join("y.png"), 24, 20, true);
    std::fs::write(input.join("z.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let r = sralign(&["degrade", "--input", s(&input), "--output", s(&out)]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("1 of 3 images failed") && r.err.contains("z.png"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("alpha dropped"),
        "RGBA must be noted: {}",
        r.err
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = m["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["x.png", "y.png"]);
    assert_eq!(m["failed"].as_array().unwrap().len(), 1);
    assert!(!out.join("HR/z.png").exists() && !out.join("clean/z.png").exists());

    // A second run into the now non-empty folder: refused, nothing changed.
    std::fs::remove_file(input.join("z.png")).unwrap();
    let before = snapshot(&out);
    let r = sralign(&["degrade", "--input", s(&input), "--output", s(&out)]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("not empty") && r.err.contains("--force"),
        "{}",
        r.err
    );
    assert_eq!(snapshot(&out), before);
    // A non-empty folder that is not an earlier run's output is refused even with --force,
    // and nothing in it is deleted (it may hold someone's own HR/ images).
    let theirs = d.join("theirs");
    std::fs::create_dir_all(theirs.join("HR")).unwrap();
    photo(&theirs.join("HR/own.png"), 24, 20, false);
    let before_theirs = snapshot(&theirs);
    let r = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&theirs),
        "--force",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("holds no manifest.json"), "{}", r.err);
    assert_eq!(snapshot(&theirs), before_theirs);
    // With --force, stale images of a previous run go; the folder matches the manifest.
    std::fs::write(out.join("clean/old.png"), b"stale").unwrap();
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let r = sralign(&[
        "degrade",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--force",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        !out.join("clean/old.png").exists(),
        "stale files must not mix with new ones"
    );
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    let mut clean: Vec<String> = std::fs::read_dir(out.join("clean"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    clean.sort();
    assert_eq!(clean, ["x.png", "y.png"]);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn metrics_refuses_ambiguous_stems_and_lists_every_bad_pair() {
    let d = tmp("metrics");
    let (r_dir, t_dir) = (d.join("ref"), d.join("test"));
    std::fs::create_dir_all(&r_dir).unwrap();
    std::fs::create_dir_all(&t_dir).unwrap();
    photo(&r_dir.join("chelsea.png"), 24, 20, false);
    photo(&t_dir.join("chelsea.png"), 24, 20, false);
    photo(&t_dir.join("chelsea.jpg"), 24, 20, false);
    let r = sralign(&["metrics", "--ref", s(&r_dir), "--test", s(&t_dir)]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("ambiguous")
            && r.err.contains("chelsea.png")
            && r.err.contains("chelsea.jpg"),
        "{}",
        r.err
    );
    // Two pairs of different sizes: both reported.
    std::fs::remove_file(t_dir.join("chelsea.jpg")).unwrap();
    photo(&r_dir.join("a.png"), 24, 20, false);
    photo(&t_dir.join("a.png"), 20, 20, false);
    photo(&r_dir.join("b.png"), 24, 20, false);
    photo(&t_dir.join("b.png"), 24, 16, false);
    let r = sralign(&["metrics", "--ref", s(&r_dir), "--test", s(&t_dir)]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("2 of 3 pairs failed") && r.err.contains("a.png") && r.err.contains("b.png"),
        "{}",
        r.err
    );
    // Both paths missing: both named.
    let r = sralign(&[
        "metrics",
        "--ref",
        "/nonexistent-a",
        "--test",
        "/nonexistent-b",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("--ref /nonexistent-a does not exist")
            && r.err.contains("--test /nonexistent-b does not exist"),
        "{}",
        r.err
    );
    // RGBA is noted; identical images give PSNR null with the flag (JSON numbers or null only).
    let rgba = d.join("rgba.png");
    photo(&rgba, 24, 20, true);
    let r = sralign(&[
        "metrics",
        "--ref",
        s(&r_dir.join("chelsea.png")),
        "--test",
        s(&rgba),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("RGBA, alpha dropped"), "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert!(
        v["images"][0]["psnr"].is_null() && v["images"][0]["identical"] == true,
        "{}",
        r.out
    );
    assert!(
        v["mean"]["psnr"].is_null() && v["mean"]["identical_images"] == 1,
        "{}",
        r.out
    );
    assert!(v["images"][0]["ssim"].is_number());
    // crop_border larger than the image: an error in width x height order, no panic.
    let r = sralign(&[
        "metrics",
        "--ref",
        s(&rgba),
        "--test",
        s(&rgba),
        "--crop-border",
        "12",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("24x20 too small for crop_border 12"),
        "{}",
        r.err
    );
    std::fs::remove_dir_all(&d).ok();
}

/// Rewrite a safetensors file through `f`, which may change tensors or add new ones.
fn edit_weights(src: &Path, dst: &Path, f: impl Fn(&mut BTreeMap<String, (Vec<usize>, Vec<f32>)>)) {
    use safetensors::tensor::{Dtype, TensorView};
    let (mut map, _) =
        sralign::nn::weights::read(src, sralign::nn::weights::WeightsKey::Params).unwrap();
    f(&mut map);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = map
        .into_iter()
        .map(|(n, (s, v))| (n, s, bytemuck::cast_slice(&v).to_vec()))
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, s, b)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
            )
        })
        .collect();
    std::fs::write(dst, safetensors::serialize(views, None).unwrap()).unwrap();
}

#[test]
fn weights_with_nan_are_refused_naming_the_tensor() {
    let d = tmp("nan");
    let w = d.join("w.safetensors");
    export_tiny(&w);
    let bad = d.join("bad.safetensors");
    edit_weights(&w, &bad, |m| {
        m.get_mut("conv_first.weight").unwrap().1[3] = f32::NAN;
        m.get_mut("conv_last.bias").unwrap().1[0] = f32::INFINITY;
    });
    let lr = d.join("lr.png");
    photo(&lr, 20, 16, false);
    let sr = d.join("sr.png");
    let r = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--weights",
        s(&bad),
        "--input",
        s(&lr),
        "--output",
        s(&sr),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("conv_first.weight (1 of") && r.err.contains("conv_last.bias"),
        "{}",
        r.err
    );
    assert!(!sr.exists(), "no output may be written");
    // Finite weights whose activations overflow (1e30 per weight, layer after layer): the
    // output check catches it.
    let huge = d.join("huge.safetensors");
    edit_weights(&w, &huge, |m| {
        for (n, (_, v)) in m.iter_mut() {
            if n.ends_with(".weight") {
                v.iter_mut().for_each(|x| *x = 1e30);
            }
        }
    });
    let r = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--weights",
        s(&huge),
        "--input",
        s(&lr),
        "--output",
        s(&sr),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("NaN/Inf values") && r.err.contains("nothing written"),
        "{}",
        r.err
    );
    assert!(!sr.exists(), "no output may be written");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn msrn_reference_checkpoints_with_mean_shift_load() {
    let d = tmp("msrn");
    let cfg = d.join("msrn_tiny.toml");
    std::fs::write(
        &cfg,
        "[network_g]\nnum_feat = 4\nnum_block = 1\nupscale = 2\n",
    )
    .unwrap();
    let w = d.join("w.safetensors");
    let r = sralign(&[
        "export",
        "--arch",
        "msrn",
        "--config",
        s(&cfg),
        "--seed",
        "1",
        "--output",
        s(&w),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let mean = sralign::models::msrn::RGB_MEAN;
    let eye: Vec<f32> = (0..9).map(|i| if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
    // The authors' code: MeanShift with rgb_range 255 on [0, 255] pixels, so every conv bias
    // is 255 times ours.
    let reference = d.join("ref255.safetensors");
    edit_weights(&w, &reference, |m| {
        for (n, (_, v)) in m.iter_mut() {
            if n.ends_with(".bias") {
                v.iter_mut().for_each(|b| *b *= 255.0);
            }
        }
        m.insert("sub_mean.weight".into(), (vec![3, 3, 1, 1], eye.clone()));
        m.insert("add_mean.weight".into(), (vec![3, 3, 1, 1], eye.clone()));
        m.insert(
            "sub_mean.bias".into(),
            (vec![3], mean.iter().map(|x| -255.0 * x).collect()),
        );
        m.insert(
            "add_mean.bias".into(),
            (vec![3], mean.iter().map(|x| 255.0 * x).collect()),
        );
    });
    let lr = d.join("lr.png");
    photo(&lr, 20, 16, false);
    let up = |weights: &Path, out: &Path| {
        sralign(&[
            "upscale",
            "--arch",
            "msrn",
            "--config",
            s(&cfg),
            "--weights",
            s(weights),
            "--input",
            s(&lr),
            "--output",
            s(out),
        ])
    };
    let (a, b) = (d.join("a.npy"), d.join("b.npy"));
    let r = up(&w, &a);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = up(&reference, &b);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("rgb_range 255"), "{}", r.err);
    let (x, y) = (
        sralign::data::npy::read_npy(&a).unwrap(),
        sralign::data::npy::read_npy(&b).unwrap(),
    );
    let diff = x
        .data
        .iter()
        .zip(&y.data)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(diff < 1e-5, "rescaled checkpoint differs by {diff}");
    // Mean-shift tensors that are not the fixed constants are refused, named.
    let wrong = d.join("wrong.safetensors");
    edit_weights(&reference, &wrong, |m| {
        m.get_mut("add_mean.bias").unwrap().1[1] = 0.5;
    });
    let r = up(&wrong, &d.join("c.npy"));
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("add_mean.bias") && r.err.contains("mean shift"),
        "{}",
        r.err
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn unclear_cases_get_clear_messages() {
    let d = tmp("unclear");
    // A config value of 0 is named.
    let cfg = d.join("zero.toml");
    std::fs::write(&cfg, "[network_g]\nnum_feat = 0\n").unwrap();
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        s(&cfg),
        "--output",
        s(&d.join("w.safetensors")),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("num_feat = 0") && r.err.contains("from 1"),
        "{}",
        r.err
    );
    // --scale contradicting the config file.
    let r = sralign(&[
        "export",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--scale",
        "2",
        "--output",
        s(&d.join("w.safetensors")),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("--scale 2 contradicts upscale = 4"),
        "{}",
        r.err
    );
    // RRDBNet x2 on an odd-sized image: the rule, not pixel_unshuffle.
    let rcfg = d.join("rrdb_x2.toml");
    std::fs::write(
        &rcfg,
        "[network_g]\nnum_feat = 4\nnum_block = 1\nnum_grow_ch = 2\n",
    )
    .unwrap();
    let w = d.join("rrdb.safetensors");
    let r = sralign(&[
        "export",
        "--arch",
        "rrdbnet",
        "--config",
        s(&rcfg),
        "--scale",
        "2",
        "--output",
        s(&w),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lr = d.join("odd.png");
    photo(&lr, 21, 16, false);
    let r = sralign(&[
        "upscale",
        "--arch",
        "rrdbnet",
        "--config",
        s(&rcfg),
        "--scale",
        "2",
        "--weights",
        s(&w),
        "--input",
        s(&lr),
        "--output",
        s(&d.join("sr.png")),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("multiples of 2")
            && r.err.contains("21x16")
            && !r.err.contains("pixel_unshuffle"),
        "{}",
        r.err
    );
    // RGBA input to upscale is noted.
    let rgba = d.join("rgba.png");
    photo(&rgba, 20, 16, true);
    let tw = d.join("tiny.safetensors");
    export_tiny(&tw);
    let r = sralign(&[
        "upscale",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--weights",
        s(&tw),
        "--input",
        s(&rgba),
        "--output",
        s(&d.join("sr.png")),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("RGBA, alpha dropped"), "{}", r.err);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_backend_that_is_absent_is_named_with_what_exists() {
    if cfg!(target_os = "macos") {
        return;
    }
    let r = sralign_env(
        &[
            "export",
            "--arch",
            "srresnet",
            "--config",
            TINY,
            "--output",
            "/tmp/x.safetensors",
        ],
        &[("SRALIGN_BACKEND", "metal")],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("no adapter matches SRALIGN_BACKEND=metal")
            && r.err.contains("adapters on this machine"),
        "{}",
        r.err
    );
}

/// Without a Vulkan driver (the loader pointed at none) wgpu falls back to GL: said once, and
/// not when GL was asked for.
#[test]
fn a_fallback_to_gl_is_said_once() {
    if cfg!(not(target_os = "linux")) {
        return;
    }
    let d = tmp("gl");
    let w = d.join("w.safetensors");
    let no_vulkan = [
        ("VK_ICD_FILENAMES", "/nonexistent-icd.json"),
        ("VK_DRIVER_FILES", "/nonexistent-icd.json"),
    ];
    let args = [
        "export",
        "--arch",
        "srresnet",
        "--config",
        TINY,
        "--output",
        s(&w),
        "--force",
    ];
    let r = sralign_env(&args, &no_vulkan);
    if r.code != 0 && r.err.contains("no usable GPU adapter") {
        return; // no GL driver either: nothing to fall back to on this machine
    }
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.err.matches("using OpenGL").count(), 1, "{}", r.err);
    assert!(r.err.contains("lacks subgroups"), "{}", r.err);
    let mut asked = no_vulkan.to_vec();
    asked.push(("SRALIGN_BACKEND", "gl"));
    let r = sralign_env(&args, &asked);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!r.err.contains("using OpenGL"), "{}", r.err);
    std::fs::remove_dir_all(&d).ok();
}

/// The persisted pipeline cache (Vulkan): written under SRALIGN_PIPELINE_CACHE, and a cache
/// file that is garbage or truncated is ignored by the driver, not a crash or a wrong result.
#[test]
fn a_broken_pipeline_cache_file_is_harmless() {
    let d = tmp("pcache");
    let cache = d.join("cache");
    let env = [("SRALIGN_PIPELINE_CACHE", s(&cache))];
    let info = sralign_env(&["info"], &env);
    assert_eq!(info.code, 0, "{}", info.err);
    if !info.out.contains("backend:   Vulkan") {
        assert!(info.out.contains("pipeline cache: none"), "{}", info.out);
        return;
    }
    let lr = d.join("lr.png");
    photo(&lr, 20, 16, false);
    let w = d.join("w.safetensors");
    export_tiny(&w);
    let up = |out: &Path| {
        let r = sralign_env(
            &[
                "upscale",
                "--arch",
                "srresnet",
                "--config",
                TINY,
                "--weights",
                s(&w),
                "--input",
                s(&lr),
                "--output",
                s(out),
            ],
            &env,
        );
        assert_eq!(r.code, 0, "{}", r.err);
        std::fs::read(out).unwrap()
    };
    let first = up(&d.join("a.png"));
    let files: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let valid = std::fs::read(&files[0]).unwrap();
    for (k, bytes) in [
        b"not a pipeline cache at all".to_vec(),
        valid[..valid.len() / 2].to_vec(),
        valid.iter().map(|b| b ^ 0x5a).collect(),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(&files[0], &bytes).unwrap();
        assert_eq!(up(&d.join(format!("b{k}.png"))), first, "case {k}");
    }
    std::fs::remove_dir_all(&d).ok();
}

/// The examples in `--help` of degrade, export, upscale and metrics, run as printed and in
/// that order (in a scratch folder that has the repository's tools/ and a ../shared beside
/// it): they chain, each making what the next reads. Exports of full-size models are only
/// checked for their config files (slow on a CPU).
#[test]
fn help_examples_run_as_printed() {
    let d = tmp("help");
    let root = d.join("repo");
    std::fs::create_dir_all(&root).unwrap();
    let here = std::env::current_dir().unwrap();
    std::os::unix::fs::symlink(here.join("tools"), root.join("tools")).unwrap();
    std::os::unix::fs::symlink(here.join("../shared"), d.join("shared")).unwrap();
    let mut ran = Vec::new();
    for cmd in ["degrade", "export", "upscale", "metrics"] {
        let help = sralign(&[cmd, "--help"]).out;
        let examples: Vec<String> = help
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("sralign "))
            .map(String::from)
            .collect();
        assert!(!examples.is_empty(), "{cmd}: no examples in --help");
        for ex in examples {
            let args: Vec<&str> = ex.split_whitespace().skip(1).collect();
            if let Some(i) = args.iter().position(|a| *a == "--config") {
                assert!(
                    root.join(args[i + 1]).exists(),
                    "{ex}: {} does not exist",
                    args[i + 1]
                );
            }
            if args[0] == "export" && !ex.contains("tiny") {
                continue;
            }
            let o = Command::new(env!("CARGO_BIN_EXE_sralign"))
                .args(&args)
                .current_dir(&root)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{ex}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            ran.push(args[0].to_string());
        }
    }
    // The export example inside upscale's help runs once; export's own tiny one does not exist.
    assert_eq!(
        ran,
        ["degrade", "degrade", "export", "upscale", "metrics", "metrics", "metrics"],
        "{ran:?}"
    );
    std::fs::remove_dir_all(&d).ok();
}

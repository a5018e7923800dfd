//! Hostile bytes fed to every file reader a user can reach: the image decoder path, the
//! safetensors loader, the `.npy` reader and the TOML model-config loader. Each case is a
//! seeded mutation (truncation, bit flips, overwritten runs, random bytes) of a valid file;
//! every reader must return an error or a valid value, never panic. A run of each reader on
//! the unmutated file checks that the corpus itself is valid (so the mutations test parsing,
//! not an early "file not found").
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::data::{io, npy, Image};
use sralign::models::{self, Arch};
use sralign::nn::weights::{self, WeightsKey};

const CASES: usize = 2000;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One seeded mutation of `valid`.
fn mutate(valid: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = valid.to_vec();
    match rng.random_range(0..5) {
        // Truncated anywhere (most often inside the header).
        0 => {
            let n = if rng.random_bool(0.5) {
                rng.random_range(0..b.len().min(128))
            } else {
                rng.random_range(0..b.len())
            };
            b.truncate(n);
        }
        // A few flipped bits.
        1 => {
            for _ in 0..rng.random_range(1..8) {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
        }
        // A run overwritten with random bytes, or with 0xff (huge lengths and sizes).
        2 => {
            let i = rng.random_range(0..b.len());
            let n = rng.random_range(1..16).min(b.len() - i);
            let ff = rng.random_bool(0.5);
            for v in &mut b[i..i + n] {
                *v = if ff { 0xff } else { rng.random() };
            }
        }
        // The valid head followed by random bytes.
        3 => {
            let n = rng.random_range(0..b.len());
            b.truncate(n);
            let extra = rng.random_range(0..256);
            b.extend((0..extra).map(|_| rng.random::<u8>()));
        }
        // Pure random bytes.
        _ => {
            let n = rng.random_range(0..512);
            b = (0..n).map(|_| rng.random()).collect();
        }
    }
    b
}

/// Feed `CASES` mutations of `valid` to `read` (through a file at `path`); count the errors.
fn fuzz<T>(
    name: &str,
    valid: &[u8],
    path: &Path,
    seed: u64,
    read: impl Fn(&Path) -> anyhow::Result<T>,
) -> usize {
    std::fs::write(path, valid).unwrap();
    if let Err(e) = read(path) {
        panic!("{name}: the unmutated corpus file must load: {e:#}");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut errors = 0;
    for case in 0..CASES {
        let b = mutate(valid, &mut rng);
        std::fs::write(path, &b).unwrap();
        match catch_unwind(AssertUnwindSafe(|| read(path))) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                errors += 1;
                let msg = format!("{e:#}");
                assert!(!msg.is_empty(), "{name} case {case}: empty error");
            }
            Err(_) => {
                let keep = path.with_extension(format!("panic-{case}"));
                std::fs::write(&keep, &b).unwrap();
                panic!(
                    "{name}: case {case} (seed {seed}) panicked; input kept at {}",
                    keep.display()
                );
            }
        }
    }
    errors
}

fn small_image() -> Image {
    let (h, w) = (12, 16);
    let data = (0..h * w * 3)
        .map(|i| ((i * 37) % 256) as f32 / 255.0)
        .collect();
    Image { h, w, c: 3, data }
}

#[test]
fn image_decoder_never_panics() {
    let d = tmp("images");
    let img = small_image();
    for (ext, seed) in [("png", 1), ("jpg", 2), ("bmp", 3), ("tif", 4)] {
        let src = d.join(format!("valid.{ext}"));
        io::save_image(&src, &img).unwrap();
        let valid = std::fs::read(&src).unwrap();
        let errors = fuzz(ext, &valid, &d.join(format!("case.{ext}")), seed, |p| {
            io::load_image_info(p)
        });
        // Most mutations must be detected; a JPEG tolerates flipped bits in its entropy data.
        assert!(
            errors > CASES / 4,
            "{ext}: only {errors} of {CASES} mutations were errors"
        );
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn image_header_declaring_a_huge_size_names_it() {
    let d = tmp("huge");
    let src = d.join("valid.png");
    io::save_image(&src, &small_image()).unwrap();
    let mut b = std::fs::read(&src).unwrap();
    // IHDR: width and height at bytes 16..24, then its CRC at 29..33 (recomputed).
    b[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    let p = d.join("huge.png");
    std::fs::write(&p, &b).unwrap();
    let e = format!("{:#}", io::load_image(&p).unwrap_err());
    assert!(
        e.contains("100000x100000") && e.contains("limit") && e.contains("GiB"),
        "{e}"
    );
    std::fs::remove_dir_all(&d).ok();
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &x in b {
        c ^= x as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A small safetensors file with the layout `weights::save` writes (f32, metadata, an EMA
/// copy), built without a GPU.
fn safetensors_bytes() -> Vec<u8> {
    use safetensors::tensor::{Dtype, TensorView};
    let a: Vec<f32> = (0..24).map(|i| i as f32 * 0.5).collect();
    let b: Vec<f32> = vec![1.0, -2.0, 3.0];
    let (ab, bb): (&[u8], &[u8]) = (bytemuck::cast_slice(&a), bytemuck::cast_slice(&b));
    let views = vec![
        (
            "conv.weight".to_string(),
            TensorView::new(Dtype::F32, vec![2, 3, 2, 2], ab).unwrap(),
        ),
        (
            "conv.bias".to_string(),
            TensorView::new(Dtype::F32, vec![3], bb).unwrap(),
        ),
        (
            "params_ema/conv.bias".to_string(),
            TensorView::new(Dtype::F32, vec![3], bb).unwrap(),
        ),
    ];
    let meta =
        std::collections::HashMap::from([("sralign_arch".to_string(), "srresnet".to_string())]);
    safetensors::serialize(views, Some(meta)).unwrap()
}

#[test]
fn safetensors_loader_never_panics() {
    let d = tmp("safetensors");
    let valid = safetensors_bytes();
    let errors = fuzz("safetensors", &valid, &d.join("w.safetensors"), 5, |p| {
        weights::read(p, WeightsKey::Auto)
    });
    assert!(
        errors > CASES / 2,
        "only {errors} of {CASES} mutations were errors"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn npy_reader_never_panics() {
    let d = tmp("npy");
    let src = d.join("valid.npy");
    let data: Vec<f32> = (0..60).map(|i| i as f32 / 7.0).collect();
    npy::write_npy_f32(&src, &[3, 4, 5], &data).unwrap();
    let valid = std::fs::read(&src).unwrap();
    let errors = fuzz("npy", &valid, &d.join("case.npy"), 6, |p| npy::read_npy(p));
    assert!(
        errors > CASES / 4,
        "only {errors} of {CASES} mutations were errors"
    );
    // A shape whose element count overflows is an error, not a wrapped-around count.
    let hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967297), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(hdr.len() as u16).to_le_bytes());
    b.extend_from_slice(hdr.as_bytes());
    b.extend_from_slice(&[0u8; 16]);
    let p = d.join("overflow.npy");
    std::fs::write(&p, &b).unwrap();
    let e = format!("{:#}", npy::read_npy(&p).unwrap_err());
    assert!(e.contains("too many elements"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn model_config_loader_never_panics() {
    let d = tmp("toml");
    let valid = "# tiny SwinIR\n[network_g]\ntype = \"swinir\"\nembed_dim = 12\ndepths = [2, 2]\n\
                 num_heads = [2, 2]\nwindow_size = 4\nmlp_ratio = 2.0\nupscale = 4\n\
                 img_range = 1.0\nupsampler = \"pixelshuffle\"\nnum_feat = 8\n";
    let errors = fuzz("toml", valid.as_bytes(), &d.join("c.toml"), 7, |p| {
        models::load::load_config_scaled(Arch::SwinIr, Some(p), None)
    });
    assert!(
        errors > CASES / 4,
        "only {errors} of {CASES} mutations were errors"
    );
    // Values out of range are refused by name.
    for (bad, key) in [
        ("embed_dim = 12", "embed_dim = 0"),
        ("window_size = 4", "window_size = 0"),
        ("depths = [2, 2]", "depths = []"),
        ("mlp_ratio = 2.0", "mlp_ratio = nan"),
    ] {
        let p = d.join("bad.toml");
        std::fs::write(&p, valid.replace(bad, key)).unwrap();
        let e = format!(
            "{:#}",
            models::load::load_config_scaled(Arch::SwinIr, Some(&p), None).unwrap_err()
        );
        let name = key.split(' ').next().unwrap();
        assert!(e.contains(name), "{key}: {e}");
    }
    std::fs::remove_dir_all(&d).ok();
}

/// The tiler with any overlap a caller passes (up to usize::MAX): no overflow, and an overlap
/// beyond the image is whole-image context, so the result equals the untiled one.
#[test]
fn tiler_takes_any_overlap() {
    use sralign::eval::tile::{self, Chw};
    let gpu = sralign::Gpu::new().unwrap();
    let m = models::build(&gpu, &models::ModelConfig::tiny(Arch::SrResNet), 3).unwrap();
    let (h, w) = (12, 10);
    let img = Chw {
        c: 3,
        h,
        w,
        data: (0..3 * h * w).map(|i| (i % 17) as f32 / 17.0).collect(),
    };
    let whole = tile::upscale(&gpu, m.as_ref(), &img, None, 0, &mut |_, _| {}).unwrap();
    for overlap in [usize::MAX, usize::MAX / 2 + 1, 1 << 40] {
        let tiled =
            tile::upscale(&gpu, m.as_ref(), &img, Some(4), overlap, &mut |_, _| {}).unwrap();
        let worst = whole
            .data
            .iter()
            .zip(&tiled.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst <= 1e-4, "overlap {overlap}: differs by {worst}");
    }
}

/// Every loader of weights (upscale's, and `weights::load`, which train and eval use) refuses
/// NaN/Inf values, naming the tensors.
#[test]
fn weights_with_nan_are_refused_by_every_loader() {
    use safetensors::tensor::{Dtype, TensorView};
    let d = tmp("nanweights");
    let gpu = sralign::Gpu::new().unwrap();
    let m = models::build(&gpu, &models::ModelConfig::tiny(Arch::SrResNet), 0).unwrap();
    let good = d.join("good.safetensors");
    weights::save(&good, &m.params(), None, "srresnet").unwrap();
    let (mut map, _) = weights::read(&good, WeightsKey::Params).unwrap();
    map.get_mut("conv_hr.bias").unwrap().1[2] = f32::NEG_INFINITY;
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
    let bad = d.join("bad.safetensors");
    std::fs::write(&bad, safetensors::serialize(views, None).unwrap()).unwrap();
    weights::load(&good, &m.params(), WeightsKey::Auto, "srresnet").unwrap();
    let e = format!(
        "{:#}",
        weights::load(&bad, &m.params(), WeightsKey::Auto, "srresnet").unwrap_err()
    );
    assert!(e.contains("conv_hr.bias (1 of 16)"), "{e}");
    let e = format!(
        "{:#}",
        models::load::load_weights(m.as_ref(), &bad, WeightsKey::Auto).unwrap_err()
    );
    assert!(e.contains("conv_hr.bias"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

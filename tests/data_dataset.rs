//! Datasets and loader: crops and shapes, sub-images, same-content pairs kept together through
//! batching, determinism across worker counts, paired folders with the scale check, every
//! bad-input case, and (ignored) the loader throughput benchmark.

use sralign::data::dataset::{
    batch_at, Dataset, HrFolder, HrFolderOpts, Loader, LoaderOpts, PairedFolder, PairedFolderOpts,
};
use sralign::data::degrade::Pipeline;
use sralign::data::resize::imresize;
use sralign::data::{io, Image};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign_data_ds_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn source() -> Image {
    io::load_image("../shared/data/test/skimage_chelsea.png").unwrap()
}

/// Three small HR images (one gray) in a fresh folder.
fn hr_dir(name: &str) -> PathBuf {
    let d = tmp(name);
    let s = source();
    io::save_image(d.join("a.png"), &s.crop(0, 0, 48, 40)).unwrap();
    io::save_image(d.join("b.png"), &s.crop(100, 100, 200, 150)).unwrap();
    let g = s.crop(50, 200, 40, 44);
    let gray = Image {
        h: g.h,
        w: g.w,
        c: 1,
        data: g.data.chunks(3).map(|p| p[1]).collect(),
    };
    io::save_image(d.join("c.png"), &gray).unwrap();
    d
}

fn opts(pipeline: Pipeline) -> HrFolderOpts {
    HrFolderOpts {
        gt_size: 32,
        scale: 4,
        pipeline,
        pairs: true,
        use_hflip: true,
        use_rot: true,
        usm: false,
        sub_image: None,
        cache: true,
    }
}

fn chw_to_image(v: &[f32], c: usize, h: usize, w: usize) -> Image {
    let mut img = Image::zeros(h, w, c);
    for ch in 0..c {
        for p in 0..h * w {
            img.data[p * c + ch] = v[ch * h * w + p];
        }
    }
    img
}

#[test]
fn pairs_stay_together_through_batching() {
    // With the deterministic bicubic pipeline both degradations of sample i must equal the
    // bicubic downsampling of gt[i]: any shuffle between gt, lq and lq2 would break it.
    let ds = HrFolder::open(hr_dir("pairs"), opts(Pipeline::Bicubic)).unwrap();
    assert_eq!(ds.len(), 3);
    assert!(ds
        .notes()
        .iter()
        .any(|n| n.contains("c.png") && n.contains("gray")));
    let lo = LoaderOpts {
        batch_size: 3,
        workers: 2,
        prefetch: 2,
        shuffle: true,
        seed: 1,
    };
    for b in Loader::new(Arc::new(ds), lo).unwrap().take(4) {
        let b = b.unwrap();
        assert_eq!((b.n, b.c, b.h, b.w, b.scale), (3, 3, 32, 32, 4));
        let lq2 = b.lq2.as_ref().unwrap();
        assert_eq!(b.gt.len(), 3 * 3 * 32 * 32);
        assert_eq!(b.lq.len(), 3 * 3 * 8 * 8);
        for i in 0..3 {
            let gt = chw_to_image(&b.gt[i * 3072..(i + 1) * 3072], 3, 32, 32);
            let mut want = imresize(&gt, 0.25);
            want.quantize();
            let lq = chw_to_image(&b.lq[i * 192..(i + 1) * 192], 3, 8, 8);
            let lq2 = chw_to_image(&lq2[i * 192..(i + 1) * 192], 3, 8, 8);
            assert_eq!(lq, want, "sample {i}");
            assert_eq!(lq2, want, "sample {i}");
        }
    }
}

#[test]
fn loader_is_deterministic_across_workers_and_runs() {
    let ds: Arc<dyn Dataset> =
        Arc::new(HrFolder::open(hr_dir("det"), opts(Pipeline::RealEsrgan)).unwrap());
    let lo = |workers| LoaderOpts {
        batch_size: 2,
        workers,
        prefetch: 1,
        shuffle: true,
        seed: 9,
    };
    let a: Vec<_> = Loader::new(ds.clone(), lo(1))
        .unwrap()
        .take(3)
        .map(Result::unwrap)
        .collect();
    let b: Vec<_> = Loader::new(ds.clone(), lo(3))
        .unwrap()
        .take(3)
        .map(Result::unwrap)
        .collect();
    assert_eq!(a, b);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let c = pool.install(|| batch_at(ds.as_ref(), &lo(1), 2).unwrap());
    assert_eq!(
        c, a[2],
        "batch_at in a 1-thread pool equals the loader's batch"
    );
    for x in &a {
        assert_ne!(
            x.lq,
            *x.lq2.as_ref().unwrap(),
            "independent degradations of each GT"
        );
    }
    let other: Vec<_> = Loader::new(ds, LoaderOpts { seed: 10, ..lo(2) })
        .unwrap()
        .take(1)
        .map(Result::unwrap)
        .collect();
    assert_ne!(other[0], a[0], "another seed, other samples");
}

#[test]
fn sub_images_split_large_images() {
    let d = hr_dir("sub");
    let o = HrFolderOpts {
        sub_image: Some((96, 48)),
        gt_size: 32,
        ..opts(Pipeline::Bicubic)
    };
    // b.png 150 wide x 200 high: rows 0,48,96,104; cols 0,48,54 -> 12; a and c: 1 each
    let ds = HrFolder::open(&d, o).unwrap();
    assert_eq!(ds.len(), 14);
    for i in 0..ds.len() {
        assert_eq!(ds.sample(i, 3).unwrap().gt.h, 32);
    }
}

#[test]
fn hr_folder_lists_every_bad_file() {
    let d = hr_dir("bad");
    std::fs::write(d.join("empty.png"), []).unwrap();
    std::fs::write(d.join("text.jpg"), "hello").unwrap();
    io::save_image(d.join("small.png"), &source().crop(0, 0, 20, 40)).unwrap();
    let good = std::fs::read(d.join("a.png")).unwrap();
    std::fs::write(d.join("trunc.png"), &good[..good.len() * 2 / 3]).unwrap();
    let e = format!(
        "{:#}",
        HrFolder::open(&d, opts(Pipeline::Bicubic)).err().unwrap()
    );
    for name in ["empty.png", "text.jpg", "small.png", "trunc.png"] {
        assert!(e.contains(name), "{name} missing from: {e}");
    }
    assert!(e.contains("smaller than the GT patch 32"), "{e}");
    assert!(e.contains("4 bad image file(s)"), "{e}");
    // without the cache, a truncated body is found when it is read, and named
    std::fs::remove_file(d.join("empty.png")).unwrap();
    std::fs::remove_file(d.join("text.jpg")).unwrap();
    std::fs::remove_file(d.join("small.png")).unwrap();
    let ds = HrFolder::open(
        &d,
        HrFolderOpts {
            cache: false,
            ..opts(Pipeline::Bicubic)
        },
    )
    .unwrap();
    let errs: Vec<String> = (0..ds.len())
        .filter_map(|i| ds.sample(i, 0).err().map(|e| format!("{e:#}")))
        .collect();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("trunc.png"), "{}", errs[0]);
    let empty = tmp("empty");
    assert!(format!(
        "{:#}",
        HrFolder::open(&empty, opts(Pipeline::Bicubic))
            .err()
            .unwrap()
    )
    .contains("no images"));
    let e = HrFolder::open(
        hr_dir("badopts"),
        HrFolderOpts {
            gt_size: 30,
            ..opts(Pipeline::Bicubic)
        },
    )
    .err()
    .unwrap();
    assert!(format!("{e:#}").contains("multiple of scale"));
    let ds: Arc<dyn Dataset> =
        Arc::new(HrFolder::open(hr_dir("bs"), opts(Pipeline::Bicubic)).unwrap());
    assert!(
        Loader::new(
            ds,
            LoaderOpts {
                batch_size: 4,
                ..LoaderOpts::default()
            }
        )
        .is_err(),
        "batch larger than the dataset"
    );
}

#[test]
fn paired_folder_matches_names_and_checks_scale() {
    let (lr, hr) = (tmp("plr"), tmp("phr"));
    let s = source();
    for (i, name) in ["x", "y"].iter().enumerate() {
        let h = s.crop(i * 40, 0, 64, 48);
        let mut l = imresize(&h, 0.25);
        l.quantize();
        io::save_image(hr.join(format!("{name}.png")), &h).unwrap();
        io::save_image(lr.join(format!("{name}.png")), &l).unwrap();
    }
    let po = PairedFolderOpts {
        gt_size: Some(32),
        scale: 4,
        use_hflip: true,
        use_rot: true,
        cache: true,
    };
    let ds = PairedFolder::open(&lr, &hr, po.clone()).unwrap();
    assert_eq!(ds.len(), 2);
    for seed in 0..5 {
        let smp = ds.sample(1, seed).unwrap();
        assert_eq!((smp.gt.h, smp.lq.h, smp.lq2.is_none()), (32, 8, true));
        // the crops are aligned: downsampling the GT crop matches the LR crop closely
        let mut d = imresize(&smp.gt, 0.25);
        d.quantize();
        let err = d
            .data
            .iter()
            .zip(&smp.lq.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 0.2, "seed {seed}: LR/GT crops misaligned ({err})");
    }
    let whole = PairedFolder::open(
        &lr,
        &hr,
        PairedFolderOpts {
            gt_size: None,
            ..po.clone()
        },
    )
    .unwrap();
    assert_eq!(whole.sample(0, 0).unwrap().gt.h, 64);
    // wrong scale
    io::save_image(lr.join("z.png"), &s.crop(0, 0, 15, 12)).unwrap();
    io::save_image(hr.join("z.png"), &s.crop(0, 0, 64, 48)).unwrap();
    // missing counterpart
    io::save_image(hr.join("w.png"), &s.crop(0, 0, 64, 48)).unwrap();
    let e = format!("{:#}", PairedFolder::open(&lr, &hr, po).err().unwrap());
    assert!(e.contains("z.png") && e.contains("scale 4"), "{e}");
    assert!(e.contains("w.png") && e.contains("no LR image"), "{e}");
}

/// Loader throughput (run with `--ignored --nocapture`): samples per second on the training
/// images at the demo's and the paper's settings.
#[test]
#[ignore]
fn loader_throughput() {
    let train = "../shared/data/train";
    let t0 = Instant::now();
    let ds: Arc<dyn Dataset> = Arc::new(HrFolder::open(train, HrFolderOpts::default()).unwrap());
    println!(
        "opened {train}: {} sub-images, decode + cache {:.1} s",
        ds.len(),
        t0.elapsed().as_secs_f64()
    );
    let demo = HrFolderOpts {
        gt_size: 64,
        pairs: true,
        ..HrFolderOpts::default()
    };
    let ds_demo: Arc<dyn Dataset> = Arc::new(HrFolder::open(train, demo).unwrap());
    for (name, d, bs, batches) in [
        ("demo gt64 x4 pairs realesrgan", ds_demo, 4usize, 12usize),
        ("paper gt128 x4 pairs realesrgan", ds, 16, 4),
    ] {
        for workers in [1usize, 2] {
            let mut it = Loader::new(
                d.clone(),
                LoaderOpts {
                    batch_size: bs,
                    workers,
                    prefetch: 2,
                    shuffle: true,
                    seed: 0,
                },
            )
            .unwrap();
            it.next().unwrap().unwrap();
            let t = Instant::now();
            for _ in 0..batches {
                it.next().unwrap().unwrap();
            }
            let s = t.elapsed().as_secs_f64();
            println!(
                "{name}: batch {bs}, {workers} worker(s): {:.1} samples/s",
                (bs * batches) as f64 / s
            );
        }
    }
}

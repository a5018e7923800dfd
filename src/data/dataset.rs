//! Datasets and the prefetching loader.
//!
//! - `HrFolder`: HR images; per sample a random GT crop (optionally inside a sub-image of a
//!   large image), flips / 90-degree rotations, USM sharpening, and one or two independent
//!   degradations (`lq`, `lq2`: the same-content pair of the alignment regulariser).
//! - `PairedFolder`: LR/HR folders matched by file stem with a scale check (BasicSR's
//!   PairedImageDataset); paired random crops.
//! - `Loader`: batches on worker threads, `prefetch` batches ahead per worker, delivered in
//!   order. Batch k of epoch e always holds the same samples with the same seeds
//!   (`derive_seed(seed, e, position)`), whatever the number of workers or rayon threads.
//!
//! Bad files are never skipped: opening a dataset lists every bad file in one error (with the
//! decode cache on, every file is decoded up front; without it, headers are checked up front
//! and a file that fails to decode later fails the loader with its name).

use super::degrade::{degrade, degrade_pair, Pipeline};
use super::filter::usm_default;
use super::io::{self, ImageInfo};
use super::{derive_seed, rng, Image, Rng};
use anyhow::{bail, Context, Result};
use image::DynamicImage;
use rand::seq::SliceRandom;
use rand::Rng as _;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One training sample (HWC images).
#[derive(Clone, Debug)]
pub struct Sample {
    pub gt: Image,
    pub lq: Image,
    /// A second, independent degradation of the same GT (pairs mode).
    pub lq2: Option<Image>,
}

/// A batch in NCHW order. `h`, `w` are the GT size; LR tensors are `h / scale` x `w / scale`.
/// `lq2[i]` is a second degradation of `gt[i]` (the same sample index as `lq[i]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub gt: Vec<f32>,
    pub lq: Vec<f32>,
    pub lq2: Option<Vec<f32>>,
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub scale: usize,
}

/// Something that yields samples by index; `seed` fixes every random choice of the sample.
pub trait Dataset: Send + Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn scale(&self) -> usize;
    fn sample(&self, index: usize, seed: u64) -> Result<Sample>;
}

/// A decoded image kept in its file's depth (bytes for 8-bit) to keep the cache small.
enum Pixels {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

struct Decoded {
    h: usize,
    w: usize,
    px: Pixels,
}

impl Decoded {
    fn from_dynamic(img: DynamicImage, info: &ImageInfo) -> Decoded {
        let (h, w) = (info.h, info.w);
        let px = if info.bits <= 8 {
            Pixels::U8(img.into_rgb8().into_raw())
        } else {
            Pixels::U16(img.into_rgb16().into_raw())
        };
        Decoded { h, w, px }
    }
    fn crop(&self, y: usize, x: usize, h: usize, w: usize) -> Image {
        let mut data = Vec::with_capacity(h * w * 3);
        for r in y..y + h {
            let s = (r * self.w + x) * 3;
            match &self.px {
                Pixels::U8(v) => data.extend(v[s..s + w * 3].iter().map(|&b| b as f32 / 255.0)),
                Pixels::U16(v) => data.extend(v[s..s + w * 3].iter().map(|&b| b as f32 / 65535.0)),
            }
        }
        Image { h, w, c: 3, data }
    }
}

/// Decoded images by file index; filled on first use (or up front by `preload`).
struct Cache {
    enabled: bool,
    slots: Vec<Mutex<Option<Arc<Decoded>>>>,
}

impl Cache {
    fn new(n: usize, enabled: bool) -> Cache {
        Cache {
            enabled,
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
        }
    }
    fn get(&self, i: usize, path: &Path) -> Result<Arc<Decoded>> {
        if let Some(d) = self.slots[i].lock().unwrap().as_ref() {
            return Ok(d.clone());
        }
        let (img, info) = io::decode(path)?;
        let d = Arc::new(Decoded::from_dynamic(img, &info));
        if self.enabled {
            *self.slots[i].lock().unwrap() = Some(d.clone());
        }
        Ok(d)
    }
    /// Decode every file (in parallel); the errors of the files that failed.
    fn preload(&self, files: &[PathBuf]) -> Vec<String> {
        files
            .par_iter()
            .enumerate()
            .filter_map(|(i, p)| self.get(i, p).err().map(|e| format!("{e:#}")))
            .collect()
    }
}

fn bad_files(errs: Vec<String>) -> Result<()> {
    if errs.is_empty() {
        return Ok(());
    }
    bail!("{} bad image file(s):\n  {}", errs.len(), errs.join("\n  "))
}

fn note_files(notes: &mut Vec<String>, infos: &[(PathBuf, ImageInfo)], ignored: &[PathBuf]) {
    for (p, info) in infos {
        if let Some(n) = info.note() {
            notes.push(format!("{}: {n}", p.display()));
        }
    }
    for p in ignored {
        notes.push(format!("{}: not an image extension, ignored", p.display()));
    }
}

/// Draw the augmentation (hflip, vflip, transpose) in a fixed order and apply it.
fn augment(imgs: &mut [&mut Image], hflip: bool, rot: bool, rng: &mut Rng) {
    let (h, v, t) = (
        rng.random::<f64>() < 0.5,
        rng.random::<f64>() < 0.5,
        rng.random::<f64>() < 0.5,
    );
    for img in imgs.iter_mut() {
        if hflip && h {
            **img = img.flip_h();
        }
        if rot && v {
            **img = img.flip_v();
        }
        if rot && t {
            **img = img.transpose();
        }
    }
}

/// Options of an HR folder dataset.
#[derive(Clone, Debug)]
pub struct HrFolderOpts {
    /// GT patch size (LR patch is gt_size / scale).
    pub gt_size: usize,
    pub scale: usize,
    pub pipeline: Pipeline,
    /// Two independent degradations per GT crop (`lq2`).
    pub pairs: bool,
    pub use_hflip: bool,
    /// Vertical flips and transposes (all eight 90-degree rotations/flips with `use_hflip`).
    pub use_rot: bool,
    /// USM-sharpen the GT before degrading (Real-ESRGAN).
    pub usm: bool,
    /// Split images larger than `size` into sub-images of `size` every `step` pixels (the
    /// last one flush with the border), each a dataset item, as BasicSR's extract_subimages
    /// does for DIV2K (480, 240); GT crops are drawn inside a sub-image.
    pub sub_image: Option<(usize, usize)>,
    /// Keep decoded images in memory (and decode all of them when the dataset opens).
    pub cache: bool,
}

impl Default for HrFolderOpts {
    /// The paper's setting: GT 128, x4, Real-ESRGAN degradations, pairs, horizontal flips.
    fn default() -> Self {
        HrFolderOpts {
            gt_size: 128,
            scale: 4,
            pipeline: Pipeline::RealEsrgan,
            pairs: true,
            use_hflip: true,
            use_rot: false,
            usm: true,
            sub_image: Some((480, 240)),
            cache: true,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Region {
    img: usize,
    y: usize,
    x: usize,
    h: usize,
    w: usize,
}

fn starts(n: usize, size: usize, step: usize) -> Vec<usize> {
    if n <= size {
        return vec![0];
    }
    let mut v: Vec<usize> = (0..=n - size).step_by(step).collect();
    if *v.last().unwrap() != n - size {
        v.push(n - size);
    }
    v
}

/// HR images -> (GT crop, degraded LR [, second degraded LR]).
pub struct HrFolder {
    files: Vec<PathBuf>,
    regions: Vec<Region>,
    opts: HrFolderOpts,
    cache: Cache,
    notes: Vec<String>,
}

impl HrFolder {
    pub fn open(dir: impl AsRef<Path>, opts: HrFolderOpts) -> Result<HrFolder> {
        let dir = dir.as_ref();
        let o = &opts;
        if o.scale == 0 || o.gt_size == 0 || !o.gt_size.is_multiple_of(o.scale) {
            bail!(
                "HR dataset {}: gt_size {} must be a positive multiple of scale {}",
                dir.display(),
                o.gt_size,
                o.scale
            );
        }
        if let Some((s, step)) = o.sub_image {
            if s < o.gt_size || step == 0 {
                bail!("HR dataset {}: sub-image size {s} (step {step}) must be >= gt_size {} and step > 0", dir.display(), o.gt_size);
            }
        }
        let (files, ignored) = io::list_images(dir)?;
        let mut errs = Vec::new();
        let mut infos = Vec::new();
        for p in &files {
            match io::probe(p) {
                Ok(i) if i.h < o.gt_size || i.w < o.gt_size => errs.push(format!(
                    "{}: {}x{} is smaller than the GT patch {}",
                    p.display(),
                    i.w,
                    i.h,
                    o.gt_size
                )),
                Ok(i) => infos.push((p.clone(), i)),
                Err(e) => errs.push(format!("{e:#}")),
            }
        }
        let files: Vec<PathBuf> = infos.iter().map(|(p, _)| p.clone()).collect();
        let cache = Cache::new(files.len(), opts.cache);
        if opts.cache {
            errs.extend(cache.preload(&files));
        }
        bad_files(errs).with_context(|| format!("HR dataset {}", dir.display()))?;
        let mut notes = Vec::new();
        note_files(&mut notes, &infos, &ignored);
        let mut regions = Vec::new();
        for (k, (_, i)) in infos.iter().enumerate() {
            let (sy, sx, sh, sw) = match o.sub_image {
                Some((s, step)) => (
                    starts(i.h, s, step),
                    starts(i.w, s, step),
                    s.min(i.h),
                    s.min(i.w),
                ),
                None => (vec![0], vec![0], i.h, i.w),
            };
            for &y in &sy {
                for &x in &sx {
                    regions.push(Region {
                        img: k,
                        y,
                        x,
                        h: sh,
                        w: sw,
                    });
                }
            }
        }
        Ok(HrFolder {
            files,
            regions,
            opts,
            cache,
            notes,
        })
    }
    /// Files in the dataset, sorted.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
    /// Things a user should know (gray or RGBA files, ignored non-image files), one per line.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
    pub fn opts(&self) -> &HrFolderOpts {
        &self.opts
    }
}

impl Dataset for HrFolder {
    fn len(&self) -> usize {
        self.regions.len()
    }
    fn scale(&self) -> usize {
        self.opts.scale
    }
    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let o = &self.opts;
        let r = self.regions[index];
        let img = self.cache.get(r.img, &self.files[r.img])?;
        let mut rng = rng(seed);
        let y = r.y + rng.random_range(0..=r.h - o.gt_size);
        let x = r.x + rng.random_range(0..=r.w - o.gt_size);
        let mut gt = img.crop(y, x, o.gt_size, o.gt_size);
        augment(&mut [&mut gt], o.use_hflip, o.use_rot, &mut rng);
        if o.usm {
            gt = usm_default(&gt);
        }
        let dseed = rng.random::<u64>();
        let name = || format!("degrading a crop of {}", self.files[r.img].display());
        let (lq, lq2) = if o.pairs {
            let (a, b) = degrade_pair(&gt, o.scale, o.pipeline, dseed).with_context(name)?;
            (a, Some(b))
        } else {
            (
                degrade(&gt, o.scale, o.pipeline, dseed).with_context(name)?,
                None,
            )
        };
        Ok(Sample { gt, lq, lq2 })
    }
}

/// Options of a paired LR/HR dataset.
#[derive(Clone, Debug)]
pub struct PairedFolderOpts {
    /// GT patch size; `None` yields whole images (batch size 1 unless all sizes agree).
    pub gt_size: Option<usize>,
    pub scale: usize,
    pub use_hflip: bool,
    pub use_rot: bool,
    pub cache: bool,
}

/// LR/HR folders matched by file stem (BasicSR's PairedImageDataset).
pub struct PairedFolder {
    lr: Vec<PathBuf>,
    hr: Vec<PathBuf>,
    sizes: Vec<(usize, usize)>,
    opts: PairedFolderOpts,
    lr_cache: Cache,
    hr_cache: Cache,
    notes: Vec<String>,
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl PairedFolder {
    pub fn open(
        lr_dir: impl AsRef<Path>,
        hr_dir: impl AsRef<Path>,
        opts: PairedFolderOpts,
    ) -> Result<PairedFolder> {
        let (lr_dir, hr_dir) = (lr_dir.as_ref(), hr_dir.as_ref());
        let s = opts.scale;
        if s == 0 || opts.gt_size.is_some_and(|g| g == 0 || g % s != 0) {
            bail!(
                "paired dataset: gt_size {:?} must be a positive multiple of scale {s}",
                opts.gt_size
            );
        }
        let (lrs, lr_ign) = io::list_images(lr_dir)?;
        let (hrs, hr_ign) = io::list_images(hr_dir)?;
        let mut errs = Vec::new();
        let mut pairs = Vec::new();
        for h in &hrs {
            match lrs.iter().find(|l| stem(l) == stem(h)) {
                Some(l) => pairs.push((l.clone(), h.clone())),
                None => errs.push(format!(
                    "{}: no LR image named {}.* in {}",
                    h.display(),
                    stem(h),
                    lr_dir.display()
                )),
            }
        }
        for l in &lrs {
            if !hrs.iter().any(|h| stem(h) == stem(l)) {
                errs.push(format!(
                    "{}: no HR image named {}.* in {}",
                    l.display(),
                    stem(l),
                    hr_dir.display()
                ));
            }
        }
        let mut infos = Vec::new();
        let mut sizes = Vec::new();
        for (l, h) in &pairs {
            match (io::probe(l), io::probe(h)) {
                (Err(e), _) | (_, Err(e)) => errs.push(format!("{e:#}")),
                (Ok(li), Ok(hi)) => {
                    if li.h * s != hi.h || li.w * s != hi.w {
                        errs.push(format!(
                            "{}: LR {}x{} times scale {s} is not the HR size {}x{} of {}",
                            l.display(),
                            li.w,
                            li.h,
                            hi.w,
                            hi.h,
                            h.display()
                        ));
                    } else if opts.gt_size.is_some_and(|g| hi.h < g || hi.w < g) {
                        errs.push(format!(
                            "{}: {}x{} is smaller than the GT patch {}",
                            h.display(),
                            hi.w,
                            hi.h,
                            opts.gt_size.unwrap()
                        ));
                    } else {
                        sizes.push((hi.h, hi.w));
                        infos.push((l.clone(), li));
                        infos.push((h.clone(), hi));
                    }
                }
            }
        }
        // only pairs that passed the header checks, in order
        let (lr, hr): (Vec<PathBuf>, Vec<PathBuf>) = infos
            .chunks(2)
            .map(|c| (c[0].0.clone(), c[1].0.clone()))
            .unzip();
        let n = lr.len();
        let (lr_cache, hr_cache) = (Cache::new(n, opts.cache), Cache::new(n, opts.cache));
        if opts.cache {
            errs.extend(lr_cache.preload(&lr));
            errs.extend(hr_cache.preload(&hr));
        }
        bad_files(errs).with_context(|| {
            format!("paired dataset {} / {}", lr_dir.display(), hr_dir.display())
        })?;
        let mut notes = Vec::new();
        let ignored: Vec<PathBuf> = lr_ign.into_iter().chain(hr_ign).collect();
        note_files(&mut notes, &infos, &ignored);
        Ok(PairedFolder {
            lr,
            hr,
            sizes,
            lr_cache,
            hr_cache,
            opts,
            notes,
        })
    }
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
    /// (LR, HR) file pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&PathBuf, &PathBuf)> {
        self.lr.iter().zip(&self.hr)
    }
}

impl Dataset for PairedFolder {
    fn len(&self) -> usize {
        self.lr.len()
    }
    fn scale(&self) -> usize {
        self.opts.scale
    }
    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let s = self.opts.scale;
        let lr = self.lr_cache.get(index, &self.lr[index])?;
        let hr = self.hr_cache.get(index, &self.hr[index])?;
        if (hr.h, hr.w) != self.sizes[index] || (lr.h * s, lr.w * s) != (hr.h, hr.w) {
            bail!(
                "{}: size changed since the dataset was opened",
                self.hr[index].display()
            );
        }
        let mut rng = rng(seed);
        let (mut gt, mut lq) = match self.opts.gt_size {
            Some(g) => {
                let p = g / s;
                let y = rng.random_range(0..=lr.h - p);
                let x = rng.random_range(0..=lr.w - p);
                (hr.crop(y * s, x * s, g, g), lr.crop(y, x, p, p))
            }
            None => (hr.crop(0, 0, hr.h, hr.w), lr.crop(0, 0, lr.h, lr.w)),
        };
        augment(
            &mut [&mut gt, &mut lq],
            self.opts.use_hflip,
            self.opts.use_rot,
            &mut rng,
        );
        Ok(Sample { gt, lq, lq2: None })
    }
}

/// Loader settings.
#[derive(Clone, Debug)]
pub struct LoaderOpts {
    pub batch_size: usize,
    /// Worker threads producing batches.
    pub workers: usize,
    /// Batches queued ahead per worker.
    pub prefetch: usize,
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for LoaderOpts {
    fn default() -> Self {
        LoaderOpts {
            batch_size: 16,
            workers: 2,
            prefetch: 2,
            shuffle: true,
            seed: 0,
        }
    }
}

/// Batch `k` (counted over all epochs) of a dataset, computed directly: what the loader's
/// workers run. Incomplete last batches of an epoch are dropped.
pub fn batch_at(ds: &dyn Dataset, opts: &LoaderOpts, k: u64) -> Result<Batch> {
    let bs = opts.batch_size;
    let per_epoch = (ds.len() / bs) as u64;
    let (epoch, j) = (k / per_epoch, (k % per_epoch) as usize);
    let mut perm: Vec<usize> = (0..ds.len()).collect();
    if opts.shuffle {
        perm.shuffle(&mut rng(derive_seed(opts.seed, epoch, u64::MAX)));
    }
    let mut samples = Vec::with_capacity(bs);
    for i in 0..bs {
        let pos = j * bs + i;
        samples.push(ds.sample(perm[pos], derive_seed(opts.seed, epoch, pos as u64))?);
    }
    collate(&samples, ds.scale())
}

/// Stack samples into an NCHW batch; all samples must have the same sizes.
pub fn collate(samples: &[Sample], scale: usize) -> Result<Batch> {
    let s0 = &samples[0];
    let (c, h, w) = (s0.gt.c, s0.gt.h, s0.gt.w);
    let (gl, ll) = (c * h * w, s0.lq.c * s0.lq.h * s0.lq.w);
    let n = samples.len();
    let mut gt = vec![0.0; n * gl];
    let mut lq = vec![0.0; n * ll];
    let mut lq2 = s0.lq2.as_ref().map(|_| vec![0.0; n * ll]);
    for (i, s) in samples.iter().enumerate() {
        let same = |a: &Image, b: &Image| (a.h, a.w, a.c) == (b.h, b.w, b.c);
        if !same(&s.gt, &s0.gt) || !same(&s.lq, &s0.lq) || s.lq2.is_some() != s0.lq2.is_some() {
            bail!("batch: sample {i} has GT {}x{} / LR {}x{}, sample 0 has {}x{} / {}x{}: use crops or batch size 1", s.gt.h, s.gt.w, s.lq.h, s.lq.w, h, w, s0.lq.h, s0.lq.w);
        }
        s.gt.write_chw(&mut gt[i * gl..(i + 1) * gl]);
        s.lq.write_chw(&mut lq[i * ll..(i + 1) * ll]);
        if let (Some(out), Some(img)) = (lq2.as_mut(), s.lq2.as_ref()) {
            if !same(img, &s.lq) {
                bail!("batch: sample {i}: the two degradations differ in size");
            }
            img.write_chw(&mut out[i * ll..(i + 1) * ll]);
        }
    }
    Ok(Batch {
        gt,
        lq,
        lq2,
        n,
        c,
        h,
        w,
        scale,
    })
}

/// Endless iterator of batches (epoch after epoch), produced ahead on worker threads.
/// Worker `w` makes batches `s + w, s + w + W, ...` (s: the first batch) into its own bounded queue; the iterator
/// reads the queues round robin, so the order is fixed. Dropping the loader stops the workers.
pub struct Loader {
    rxs: Vec<Receiver<Result<Batch>>>,
    next: u64,
    handles: Vec<JoinHandle<()>>,
    per_epoch: usize,
}

impl Loader {
    pub fn new(ds: Arc<dyn Dataset>, opts: LoaderOpts) -> Result<Loader> {
        Loader::starting_at(ds, opts, 0)
    }

    /// A loader whose first batch is batch `start` (counted over all epochs): what a resumed
    /// run uses to continue exactly where it stopped, mid-epoch included.
    pub fn starting_at(ds: Arc<dyn Dataset>, opts: LoaderOpts, start: u64) -> Result<Loader> {
        if opts.batch_size == 0 || opts.workers == 0 {
            bail!("loader: batch size and workers must be positive");
        }
        if ds.len() < opts.batch_size {
            bail!(
                "loader: the dataset has {} samples, fewer than the batch size {}",
                ds.len(),
                opts.batch_size
            );
        }
        let wn = opts.workers as u64;
        let mut rxs = Vec::new();
        let mut handles = Vec::new();
        for w in 0..wn {
            let (tx, rx) = sync_channel(opts.prefetch.max(1));
            let (ds, opts) = (ds.clone(), opts.clone());
            let h = std::thread::Builder::new()
                .name(format!("sralign-loader-{w}"))
                .spawn(move || {
                    let mut k = start + w;
                    while tx.send(batch_at(ds.as_ref(), &opts, k)).is_ok() {
                        k += wn;
                    }
                })
                .context("loader: starting a worker thread")?;
            rxs.push(rx);
            handles.push(h);
        }
        let per_epoch = ds.len() / opts.batch_size;
        Ok(Loader {
            rxs,
            next: 0,
            handles,
            per_epoch,
        })
    }
    pub fn batches_per_epoch(&self) -> usize {
        self.per_epoch
    }
}

impl Iterator for Loader {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Result<Batch>> {
        let i = (self.next % self.rxs.len() as u64) as usize;
        self.next += 1;
        Some(
            self.rxs[i].recv().unwrap_or_else(|_| {
                Err(anyhow::anyhow!("loader: worker thread stopped (panicked)"))
            }),
        )
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        // Closing the queues makes each worker's next send fail; it then returns.
        self.rxs.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

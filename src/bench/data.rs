//! Data-loader throughput: samples per second of the prefetching loader (HR folder, GT crops,
//! two Real-ESRGAN degradations per crop) at the demo's and the paper's settings.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use crate::data::dataset::{Dataset, HrFolder, HrFolderOpts, Loader, LoaderOpts};

/// One row: setting, batch, workers, samples per second.
pub struct LoaderRow {
    pub setting: String,
    pub batch: usize,
    pub workers: usize,
    pub samples_per_s: f64,
}

/// Time `batches` batches (after one warm-up batch) for each setting and worker count.
pub fn loader_throughput(
    folder: &Path,
    batches: usize,
    workers: &[usize],
) -> Result<Vec<LoaderRow>> {
    let settings = [
        (
            "demo: GT 64, x4, pairs",
            HrFolderOpts {
                gt_size: 64,
                ..HrFolderOpts::default()
            },
            4usize,
        ),
        ("paper: GT 128, x4, pairs", HrFolderOpts::default(), 16),
    ];
    let mut rows = Vec::new();
    for (name, opts, batch) in settings {
        let ds: Arc<dyn Dataset> = Arc::new(HrFolder::open(folder, opts)?);
        for &w in workers {
            let mut it = Loader::new(
                ds.clone(),
                LoaderOpts {
                    batch_size: batch,
                    workers: w,
                    prefetch: 2,
                    shuffle: true,
                    seed: 0,
                },
            )?;
            it.next().transpose()?;
            let t = Instant::now();
            for _ in 0..batches {
                it.next().transpose()?;
            }
            rows.push(LoaderRow {
                setting: name.to_string(),
                batch,
                workers: w,
                samples_per_s: (batch * batches) as f64 / t.elapsed().as_secs_f64(),
            });
        }
    }
    Ok(rows)
}

//! Compiled pipelines persisted across runs (wgpu's `PipelineCache`, Vulkan only): compiling
//! every kernel on a cold start takes tens of seconds on a CPU driver. The file lives under the
//! user's cache directory, one per adapter and driver version, and is rewritten atomically
//! when a run compiled pipelines that were not in it. The driver validates the data it is
//! given (vendor, device, driver version, wgpu's own header) and ignores a stale file.
//!
//! `SRALIGN_PIPELINE_CACHE=off` disables it; `SRALIGN_PIPELINE_CACHE=<dir>` moves it.

use std::path::{Path, PathBuf};

pub(crate) struct DiskCache {
    pub cache: wgpu::PipelineCache,
    pub path: PathBuf,
}

/// Where cache files go: `SRALIGN_PIPELINE_CACHE`, else `$XDG_CACHE_HOME/sralign`, else
/// `$HOME/.cache/sralign`; `None` when disabled or no home is known.
pub(crate) fn dir() -> Option<PathBuf> {
    match std::env::var_os("SRALIGN_PIPELINE_CACHE") {
        Some(v) if v == "off" || v == "0" => return None,
        Some(v) if !v.is_empty() => return Some(PathBuf::from(v)),
        _ => {}
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("sralign"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("sralign"))
}

/// The cache file for an adapter: wgpu's key (backend, vendor, device) plus the adapter's name
/// and the driver's version string, so that a driver update starts a new file; `None` where wgpu has no
/// application-managed cache for the backend.
pub(crate) fn file_for(dir: &Path, info: &wgpu::AdapterInfo) -> Option<PathBuf> {
    let key = wgpu::util::pipeline_cache_key(info)?;
    // The adapter's name too: llvmpipe's names the vector width it compiles for
    // ("llvmpipe (LLVM 15.0.6, 256 bits)"), which `LP_NATIVE_VECTOR_WIDTH` changes while
    // vendor, device and driver stay the same.
    let driver: String = format!("{}_{}_{}", info.name, info.driver, info.driver_info)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect();
    Some(dir.join(format!("{key}_{driver}.bin")))
}

/// A pipeline cache seeded from the file (if any). The device must have been created with
/// `Features::PIPELINE_CACHE`.
pub(crate) fn open(device: &wgpu::Device, path: PathBuf) -> DiskCache {
    let data = std::fs::read(&path).ok();
    // SAFETY: the data is what `get_data` wrote for this adapter and driver (the file name
    // holds both); `fallback: true` makes wgpu and the driver validate its header and start
    // empty when it does not match.
    let cache = unsafe {
        device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
            label: Some("sralign"),
            data: data.as_deref(),
            fallback: true,
        })
    };
    DiskCache { cache, path }
}

impl DiskCache {
    /// Write the cache's current data atomically (a temporary file renamed over the old one).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(data) = self.cache.get_data() else {
            return Ok(());
        };
        if let Some(d) = self.path.parent() {
            std::fs::create_dir_all(d)?;
        }
        // Unique per process and per save: several `Gpu`s of one process (test threads) may
        // save at once.
        static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self
            .path
            .with_extension(format!("tmp-{}-{n}", std::process::id()));
        std::fs::write(&tmp, &data)?;
        std::fs::rename(&tmp, &self.path).inspect_err(|_| {
            std::fs::remove_file(&tmp).ok();
        })
    }
}

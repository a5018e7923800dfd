//! Rules every command follows with what a user types, so that no input loses a file, panics
//! or gives a silently wrong result (issue 9). New commands use these helpers:
//!
//! - numbers: `#[arg(long, allow_negative_numbers = true, value_parser = usize_in(0, 64))]`
//!   (and `u64_in`, `f64_in`): out-of-range values are refused by clap with a message that
//!   names the option and the allowed range; negative numbers reach the range check instead
//!   of clap's "unexpected argument '-8'";
//! - one output file: `OutputFile::check(path, inputs, force, what)` before any computation
//!   (never an input, never an existing file without --force, the folder writable), then
//!   `OutputFile::write(|tmp| ...)` writes to a temporary name beside it and renames, so a
//!   failure half-way leaves no truncated file;
//! - many outputs: `check_collisions` refuses two inputs that map to one output name, listing
//!   them, before anything is written; `check_not_inside` keeps outputs off the inputs;
//! - `open_gpu` opens the adapter and says once when it fell back to GL;
//! - `progress_bar` is the one style of bar for long work (when stderr is not a terminal the
//!   bar is hidden and a line is printed every 30 s instead); `show_compiles` puts the count of
//!   GPU kernels compiled on it (a cold driver cache costs tens of seconds);
//! - below the CLI: `models::load::load_config_scaled` (config values checked by name, a
//!   `--scale` shorthand) and `models::load::load_weights` (NaN/Inf refused, reference MSRN
//!   checkpoints accepted); `data::io::load_image_info` says what `ImageInfo::note` to print.
//!
//! `tests/cli_safety.rs` holds the commands to it: a new command adds its numbers to the
//! out-of-range table there and its outputs to the overwrite cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A clap value parser for an integer in `lo..=hi`. Clap prefixes the message with the option
/// name: "invalid value '-8' for '--crop-border <N>': must be an integer from 0 to 64".
pub fn usize_in(
    lo: usize,
    hi: usize,
) -> impl Fn(&str) -> std::result::Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let range = format!("must be an integer from {lo} to {hi}");
        match s.trim().parse::<i128>() {
            Ok(v) if v >= lo as i128 && v <= hi as i128 => Ok(v as usize),
            Ok(_) => Err(range),
            Err(_) => Err(format!("not an integer; {range}")),
        }
    }
}

/// As `usize_in`, for u64 options (seeds: the full range is allowed, only the syntax checked).
pub fn u64_in(
    lo: u64,
    hi: u64,
) -> impl Fn(&str) -> std::result::Result<u64, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let range = format!("must be an integer from {lo} to {hi}");
        match s.trim().parse::<i128>() {
            Ok(v) if v >= lo as i128 && v <= hi as i128 => Ok(v as u64),
            Ok(_) => Err(range),
            Err(_) => Err(format!("not an integer; {range}")),
        }
    }
}

/// A clap value parser for a finite number in `lo..=hi`.
pub fn f64_in(
    lo: f64,
    hi: f64,
) -> impl Fn(&str) -> std::result::Result<f64, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let range = format!("must be a number from {lo} to {hi}");
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= lo && v <= hi => Ok(v),
            Ok(_) => Err(range),
            Err(_) => Err(format!("not a number; {range}")),
        }
    }
}

/// The absolute, symlink-resolved form of a path that may not exist yet (its nearest existing
/// ancestor resolved, the rest appended), so that two spellings of one file compare equal.
pub fn resolved(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut tail = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut out = c;
            for t in tail.iter().rev() {
                out.push(t);
            }
            return out;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name.to_owned());
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// Error unless a folder can be created and written: makes it (and its parents), then creates
/// and removes a probe file in it.
pub fn check_writable_dir(dir: &Path, what: &str) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if dir.exists() && !dir.is_dir() {
        bail!("{what} {}: exists and is not a folder", dir.display());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{what} {}: cannot create the folder", dir.display()))?;
    let probe = dir.join(format!(".sralign-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("{what} {}: the folder is not writable", dir.display()))?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}

/// One output file of a command, checked before the work starts and written atomically.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    replaces: bool,
}

impl OutputFile {
    /// Refuse `path` when it is one of `inputs` (even with --force), when it exists and
    /// `force` is false, when it is a folder, or when its folder cannot be written. `what`
    /// names the option in messages (e.g. "--output").
    pub fn check(path: &Path, inputs: &[&Path], force: bool, what: &str) -> Result<OutputFile> {
        let r = resolved(path);
        for i in inputs {
            if resolved(i) == r {
                bail!(
                    "{what} {} is also an input; refusing to write over an input (choose another name)",
                    path.display()
                );
            }
        }
        if path.is_dir() {
            bail!(
                "{what} {}: is a folder, a file name is needed",
                path.display()
            );
        }
        let exists = path.exists();
        if exists && !force {
            bail!(
                "{what} {} already exists; pass --force to replace it, or choose another name",
                path.display()
            );
        }
        check_writable_dir(path.parent().unwrap_or(Path::new("")), what)?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            replaces: exists,
        })
    }

    /// Whether an existing file will be replaced (with --force); the caller says so.
    pub fn replaces(&self) -> bool {
        self.replaces
    }

    /// Write through `f` to a temporary name beside the output (same extension, so that
    /// format-by-extension writers work), then rename over it.
    pub fn write(&self, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = self
            .path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let tmp = self
            .path
            .with_file_name(format!(".{name}.sralign-tmp-{}{ext}", std::process::id()));
        if let Err(e) = f(&tmp) {
            std::fs::remove_file(&tmp).ok();
            return Err(e);
        }
        std::fs::rename(&tmp, &self.path).with_context(|| {
            std::fs::remove_file(&tmp).ok();
            format!("renaming {} to {}", tmp.display(), self.path.display())
        })
    }
}

/// Error when two inputs map to one output name (e.g. x.png, x.jpg and x.bmp all to x.png),
/// listing every such group; nothing has been written when this is called.
pub fn check_collisions(items: &[(PathBuf, String)], what: &str) -> Result<()> {
    let mut by_name: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for (src, out) in items {
        by_name.entry(out.as_str()).or_default().push(src);
    }
    let groups: Vec<String> = by_name
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(out, v)| {
            format!(
                "{out} <- {}",
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    if !groups.is_empty() {
        bail!(
            "{} output name(s) would be written by more than one input; rename or move the inputs so \
             each name is unique ({what}):\n  {}",
            groups.len(),
            groups.join("\n  ")
        );
    }
    Ok(())
}

/// Error when `inner` is `outer` or lies inside it (e.g. an input folder inside an output
/// folder that a command will clean).
pub fn check_not_inside(inner: &Path, outer: &Path, msg: &str) -> Result<()> {
    if resolved(inner).starts_with(resolved(outer)) {
        bail!("{msg}");
    }
    Ok(())
}

/// Open the adapter chosen by the environment; say once when it is GL although the user did
/// not ask for it (GL lacks subgroups: conv and matmul take their slower kernels).
pub fn open_gpu() -> Result<sralign::Gpu> {
    let gpu = sralign::Gpu::new()?;
    let asked = std::env::var("SRALIGN_BACKEND").unwrap_or_default();
    if gpu.summary().backend == "Gl" && !asked.to_ascii_lowercase().starts_with("gl") {
        eprintln!(
            "note: no Vulkan/Metal/DX12 adapter found, using OpenGL ({}); GL lacks subgroups, \
             so convolutions and matrix products are slower (tools/setup.sh installs Vulkan)",
            gpu.summary().name
        );
    }
    Ok(gpu)
}

/// Seconds between progress lines when stderr is not a terminal.
const LOG_EVERY_S: u64 = 30;

/// A progress bar on stderr for `len` steps of `unit`, with elapsed time and ETA. When stderr
/// is not a terminal (a log file, nohup), the bar is hidden and a line with the same content
/// is printed every 30 s instead, until the bar finishes or is dropped.
pub fn progress_bar(len: u64, msg: &str, unit: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    let style = ProgressStyle::with_template(&format!(
        "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}} eta {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_message(msg.to_string());
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        pb.set_draw_target(ProgressDrawTarget::hidden());
        let weak = pb.downgrade();
        let unit = unit.to_string();
        std::thread::spawn(move || {
            let mut waited = 0;
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                let Some(pb) = weak.upgrade() else { return };
                if pb.is_finished() {
                    return;
                }
                waited += 1;
                if waited % LOG_EVERY_S == 0 {
                    eprintln!(
                        "{}: {}/{} {unit}, {} s elapsed",
                        pb.message(),
                        pb.position(),
                        pb.length().unwrap_or(0),
                        pb.elapsed().as_secs()
                    );
                }
            }
        });
    }
    pb
}

/// Show GPU kernel compilation on `bar` (its message becomes "`base` (N GPU kernels
/// compiled)", the elapsed time ticking) until the caller sets the message back: on a cold
/// driver cache the first pass takes tens of seconds. Lavapipe compiles machine code lazily at
/// the first dispatch, so the time shows on the bar, not in the count.
pub fn show_compiles(gpu: &sralign::Gpu, bar: &ProgressBar, base: &str) {
    let bar = bar.clone();
    let base = base.to_string();
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    gpu.set_compile_observer(Some(Box::new(move |n, _entry, _secs| {
        bar.set_message(format!("{base} ({n} GPU kernels compiled)"));
    })));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_the_bounds() {
        let p = usize_in(0, 64);
        assert_eq!(p("8"), Ok(8));
        assert!(p("-8").unwrap_err().contains("from 0 to 64"));
        assert!(p("9223372036854775808")
            .unwrap_err()
            .contains("from 0 to 64"));
        assert!(p("x").unwrap_err().contains("not an integer"));
        let f = f64_in(0.0, 1.0);
        assert!(f("nan").is_err() && f("inf").is_err() && f("1.5").is_err());
        assert_eq!(f("0.5"), Ok(0.5));
    }

    #[test]
    fn collisions_are_listed() {
        let items = vec![
            (PathBuf::from("a/x.png"), "x.png".to_string()),
            (PathBuf::from("a/x.jpg"), "x.png".to_string()),
            (PathBuf::from("a/y.png"), "y.png".to_string()),
        ];
        let e = check_collisions(&items, "test").unwrap_err().to_string();
        assert!(
            e.contains("x.png <- a/x.png, a/x.jpg") && !e.contains("y.png <-"),
            "{e}"
        );
        assert!(check_collisions(&items[1..], "test").is_ok());
    }

    #[test]
    fn output_rules() {
        let d = std::env::temp_dir().join(format!("sralign-safety-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let a = d.join("a.png");
        std::fs::write(&a, b"old").unwrap();
        // Another spelling of the same file is still the input.
        let alias = d.join(".").join("a.png");
        assert!(OutputFile::check(&alias, &[&a], true, "--output").is_err());
        assert!(OutputFile::check(&a, &[], false, "--output")
            .unwrap_err()
            .to_string()
            .contains("--force"));
        let o = OutputFile::check(&a, &[], true, "--output").unwrap();
        assert!(o.replaces());
        // A failing writer leaves the old file and no temporary behind.
        assert!(o.write(|_| bail!("boom")).is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"old");
        o.write(|t| Ok(std::fs::write(t, b"new")?)).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        std::fs::remove_dir_all(&d).ok();
    }
}

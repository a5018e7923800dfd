//! Tables of evaluation results: per test set x setting, Markdown, CSV and JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::testset::{means, EvalResult};

/// Markdown table of the means per set and setting.
pub fn markdown(r: &EvalResult) -> String {
    let rows = means(&r.scores);
    let lp = rows.iter().all(|r| r.4.is_some());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| set | setting | images | PSNR | SSIM | PSNR-Y | SSIM-Y |{}",
        if lp { " LPIPS |" } else { "" }
    );
    let _ = writeln!(
        s,
        "|---|---|---|---|---|---|---|{}",
        if lp { "---|" } else { "" }
    );
    for (set, setting, n, m, l) in rows {
        let _ = write!(
            s,
            "| {set} | {setting} | {n} | {:.2} | {:.4} | {:.2} | {:.4} |",
            m[0], m[1], m[2], m[3]
        );
        if let (true, Some(l)) = (lp, l) {
            let _ = write!(s, " {l:.4} |");
        }
        s.push('\n');
    }
    s
}

/// CSV with one row per image and setting.
pub fn csv(r: &EvalResult) -> String {
    let mut s = String::from("set,setting,image,psnr,ssim,psnr_y,ssim_y,lpips\n");
    for x in &r.scores {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            x.set,
            x.setting,
            x.image,
            x.psnr,
            x.ssim,
            x.psnr_y,
            x.ssim_y,
            x.lpips.map(|v| v.to_string()).unwrap_or_default()
        );
    }
    s
}

/// Write `<stem>.md`, `<stem>.csv`, `<stem>.json` into `dir`; returns the paths.
pub fn write_all(dir: &Path, stem: &str, r: &EvalResult) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        (dir.join(format!("{stem}.md")), markdown(r)),
        (dir.join(format!("{stem}.csv")), csv(r)),
        (
            dir.join(format!("{stem}.json")),
            serde_json::to_string_pretty(r)?,
        ),
    ];
    for (p, text) in &files {
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

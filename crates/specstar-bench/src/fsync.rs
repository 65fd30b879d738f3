//! The disk's own rate of durable appends: the ceiling of any one caller's durable writes.
//!
//! A durable store acknowledges a write only after an fsync, so one caller alone can never
//! write faster than the disk completes `write` + `fsync` of a small block. The workload's
//! durable single-caller phases are judged against this rate, measured on the same disk in
//! the same run.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

/// Appends of 4 KiB per second, each followed by `fsync` and by `fdatasync`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct FsyncRate {
    /// `write` + `sync_all` (fsync) per second.
    pub fsync_per_s: f64,
    /// `write` + `sync_data` (fdatasync) per second.
    pub fdatasync_per_s: f64,
    /// How many appends each figure took.
    pub appends: usize,
}

/// Measures both rates with `appends` appends each in a scratch file in `dir`, removed after.
///
/// # Errors
/// When the file cannot be written or synced.
pub fn measure(dir: &Path, appends: usize) -> anyhow::Result<FsyncRate> {
    let path = dir.join(format!("fsync-rate-{}.tmp", std::process::id()));
    let result = (|| {
        Ok(FsyncRate {
            fsync_per_s: rate(&path, appends, true)?,
            fdatasync_per_s: rate(&path, appends, false)?,
            appends,
        })
    })();
    let _ = std::fs::remove_file(&path);
    result
}

fn rate(path: &Path, appends: usize, metadata: bool) -> anyhow::Result<f64> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let block = [0x5a_u8; 4096];
    let start = Instant::now();
    for _ in 0..appends {
        file.write_all(&block).context("write failed")?;
        if metadata {
            file.sync_all().context("fsync failed")?;
        } else {
            file.sync_data().context("fdatasync failed")?;
        }
    }
    let rate = appends as f64 / start.elapsed().as_secs_f64();
    Ok((rate * 10.0).round() / 10.0)
}

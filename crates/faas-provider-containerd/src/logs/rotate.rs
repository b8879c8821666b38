//! A replica's log file, rotated by size: `<id>.log` is written; when the next record would
//! take it past the size limit it becomes `<id>.log.1` (`.1` becomes `.2`, and so on up to
//! the number of rotated files kept; the oldest is dropped).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::LogLimits;

/// The file of replica `id` in `dir` (`generation` 0), or its `generation`-th rotated file.
pub fn path(dir: &Path, id: &str, generation: u32) -> PathBuf {
    if generation == 0 {
        dir.join(format!("{id}.log"))
    } else {
        dir.join(format!("{id}.log.{generation}"))
    }
}

/// The replica id and rotation generation of a file name in a log directory.
pub fn parse_name(file: &str) -> Option<(&str, u32)> {
    if let Some(id) = file.strip_suffix(".log") {
        return Some((id, 0));
    }
    let (rest, n) = file.rsplit_once('.')?;
    let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
    Some((rest.strip_suffix(".log")?, n))
}

/// An open log file that rotates itself.
#[derive(Debug)]
pub struct RotatingFile {
    dir: PathBuf,
    id: String,
    limits: LogLimits,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    /// The log of replica `id` in `dir` (created on the first write).
    pub fn new(dir: &Path, id: &str, limits: LogLimits) -> Self {
        Self {
            dir: dir.to_owned(),
            id: id.to_owned(),
            limits,
            file: None,
            size: 0,
        }
    }

    /// Appends `record`, rotating first when it would not fit.
    pub fn write(&mut self, record: &[u8]) -> std::io::Result<()> {
        if self.file.is_none() {
            self.open()?;
        }
        if self.size > 0 && self.size + record.len() as u64 > self.limits.max_file_bytes {
            self.rotate()?;
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(record)?;
            self.size += record.len() as u64;
        }
        Ok(())
    }

    fn open(&mut self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path(&self.dir, &self.id, 0))?;
        self.size = f.metadata()?.len();
        self.file = Some(f);
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let keep = self.limits.rotated_files;
        if keep == 0 {
            let _ = std::fs::remove_file(path(&self.dir, &self.id, 0));
        } else {
            for n in (1..keep).rev() {
                let from = path(&self.dir, &self.id, n);
                if from.exists() {
                    std::fs::rename(&from, path(&self.dir, &self.id, n + 1))?;
                }
            }
            std::fs::rename(path(&self.dir, &self.id, 0), path(&self.dir, &self.id, 1))?;
        }
        self.open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let dir = Path::new("/x");
        for n in [0, 1, 12] {
            let p = path(dir, "echo.1-0", n);
            let name = p.file_name().unwrap().to_str().unwrap();
            assert_eq!(parse_name(name), Some(("echo.1-0", n)));
        }
        assert_eq!(parse_name("echo.1-0.stdout"), None);
        assert_eq!(parse_name("echo.1-0.log.0"), None);
    }

    #[test]
    fn rotates_at_the_limit_and_keeps_the_configured_files() {
        let dir = tempfile::tempdir().unwrap();
        let limits = LogLimits {
            max_file_bytes: 100,
            rotated_files: 2,
            max_line_bytes: 50,
        };
        let mut f = RotatingFile::new(dir.path(), "r", limits);
        let record = [b'x'; 29]; // + newline = 30 bytes: three fit in 100
        let mut line = record.to_vec();
        line.push(b'\n');
        for _ in 0..3 {
            f.write(&line).unwrap();
        }
        assert_eq!(
            std::fs::metadata(path(dir.path(), "r", 0)).unwrap().len(),
            90
        );
        assert!(!path(dir.path(), "r", 1).exists());
        f.write(&line).unwrap(); // 120 > 100: rotated first
        assert_eq!(
            std::fs::metadata(path(dir.path(), "r", 1)).unwrap().len(),
            90
        );
        assert_eq!(
            std::fs::metadata(path(dir.path(), "r", 0)).unwrap().len(),
            30
        );
        for _ in 0..6 {
            f.write(&line).unwrap();
        }
        // 10 records, 3 a file: the first file was dropped; .2, .1 and the current remain.
        assert!(path(dir.path(), "r", 2).exists());
        assert!(!path(dir.path(), "r", 3).exists());
        let total: u64 = (0..=2)
            .map(|n| std::fs::metadata(path(dir.path(), "r", n)).unwrap().len())
            .sum();
        assert_eq!(total, 90 + 90 + 30);
    }
}

//! `dangan init`: a new archive with dangan.toml and one example report.

use std::path::PathBuf;

use super::Failure;
use crate::config::{CONFIG_FILE, INIT_CONFIG};

const EXAMPLE_REPORT: &str = "---
title: 关于基层党建工作的调研报告
unit: 市委组织部
date: 2024-03-15
type: 调研报告
tags: [党建, 基层治理]
summary: 这是一份示例报告，可以删除或照着它写新的报告。
---

为了解基层党建工作情况，现将调研情况报告如下。

## 一、基本情况

这里写基本情况。

### （一）主要做法

这里写主要做法。

## 二、存在问题

这里写存在的问题。

## 三、下一步工作打算

这里写下一步的打算。
";

pub fn run(dir: PathBuf, force: bool, quiet: bool) -> Result<(), Failure> {
    if dir.exists() {
        let mut entries = fs_err::read_dir(&dir)?;
        if entries.next().is_some() && !force {
            return Err(Failure::usage(
                format_args!(
                    "{} is not empty; dangan init makes a new archive in an empty folder.",
                    dir.display()
                ),
                "choose an empty or new folder (`dangan init my-archive`), or pass --force to add the archive files here (existing files are kept)",
            ));
        }
    }
    let files = [
        (CONFIG_FILE.to_string(), INIT_CONFIG),
        ("content/示例报告.md".to_string(), EXAMPLE_REPORT),
    ];
    for (rel, text) in files {
        let path = dir.join(&rel);
        // A link counts as there (even one to nothing: writing through it
        // would make a file outside the archive); a file is never replaced.
        if std::fs::symlink_metadata(&path).is_ok() {
            eprintln!("kept {} (it exists already)", path.display());
            continue;
        }
        let parent = path.parent().expect("has a folder");
        fs_err::create_dir_all(parent)?;
        fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))?;
        if !quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    keep_cache_out_of_git(&dir, quiet)?;
    if !quiet {
        eprintln!(
            "new archive in {}: run `dangan build` there, then open public/index.html",
            dir.display()
        );
    }
    Ok(())
}

/// The build cache is the machine's, not the archive's: a `.gitignore`
/// names it (added to one that exists, whose lines are kept).
fn keep_cache_out_of_git(dir: &std::path::Path, quiet: bool) -> Result<(), Failure> {
    let path = dir.join(".gitignore");
    let line = format!("{}/", crate::cache::CACHE_DIR);
    // Never written through a link, as the archive's other files are not.
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        eprintln!(
            "kept {} (it is a link); add the line {line} to the file it leads to",
            path.display()
        );
        return Ok(());
    }
    let old = match fs_err::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let text = match old {
        Some(text) if text.lines().any(|l| l.trim() == line) => return Ok(()),
        Some(text) if text.is_empty() || text.ends_with('\n') => format!("{text}{line}\n"),
        Some(text) => format!("{text}\n{line}\n"),
        None => format!("{line}\n"),
    };
    fs_err::write(&path, text)?;
    if !quiet {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

//! Numbers as people read them: byte sizes, the same on a report's page, in
//! `publish`'s progress and in its summary.

/// `12.3 KB`: powers of 1024, as Windows Explorer shows file sizes to the
/// people who open the share.
pub fn byte_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_powers_of_1024() {
        assert_eq!(byte_size(5), "5 B");
        assert_eq!(byte_size(1023), "1023 B");
        assert_eq!(byte_size(1024), "1.0 KB");
        assert_eq!(byte_size(1_500_000), "1.4 MB");
        assert_eq!(byte_size(3 << 30), "3.0 GB");
        assert_eq!(byte_size(5 << 40), "5120.0 GB");
    }
}

//! How results are ordered, in integer arithmetic so that search.js computes
//! exactly the same numbers: reports whose title holds more of the terms
//! first, then a BM25 score (k1 = 1.2, b = 0.75) from each term's occurrence
//! class and the report's length class, then newer first (higher number).
//!
//! A term of up to four characters is one key of the index, whose list gives
//! its class of occurrences and its title exactly; a longer term is estimated
//! from its 4-grams: it occurs at most as often as the rarest of them, and in
//! the title only if all of them are there. So a short report that keeps
//! returning to a phrase ranks above a long one that mentions it once.

use super::layout::{Key, MAX_GRAM};

/// The keys whose lists give a term's reports: the term itself when it is
/// one key (up to four characters), else each of its 4-grams (a report
/// holding them all is a candidate, to be checked on its text).
pub(crate) fn term_keys(cs: &[char]) -> Vec<Key> {
    if cs.len() <= MAX_GRAM {
        return vec![Key::of_chars(cs)];
    }
    cs.windows(MAX_GRAM).map(Key::of_chars).collect()
}

/// 16 × log2((N + 1) / (df + 1/2)), plus one: rarer terms weigh more.
pub(crate) fn idf(n: u64, df: u64) -> u64 {
    let ratio = (2 * n + 2) * 65536 / (2 * df.min(n) + 1);
    let e = 63 - ratio.leading_zeros() - 16;
    let mut m = ratio >> e;
    let mut frac = 0;
    for _ in 0..4 {
        m = (m * m) >> 16;
        frac <<= 1;
        if m >= 131_072 {
            frac |= 1;
            m >>= 1;
        }
    }
    16 * u64::from(e) + frac + 1
}

/// A length in the middle of length class `q` ([`super::shards::len_class`]).
pub(crate) fn len_of_class(q: u32) -> u64 {
    if q < 8 {
        return u64::from(q);
    }
    let (b, r) = (q >> 2, u64::from(q & 3));
    ((4 + r) << (b - 2)) + ((1u64 << (b - 2)) >> 1)
}

/// 1024 × BM25's term-frequency part for a term of occurrence class `c` in a
/// report of length `len`, the archive's average length being `avg`.
pub(crate) fn tf_part(c: u32, len: u64, avg: u64) -> u64 {
    // Twice the middle count of the class: 2, 5, 11, 23 …
    let tf2 = 3 * (1u64 << c.min(12)) - 1;
    let avg = avg.clamp(1, 1 << 20);
    let len = len.min(1 << 31);
    1024 * tf2 * 22 * avg / (10 * tf2 * avg + 6 * avg + 18 * len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rarer_terms_and_denser_reports_score_higher() {
        assert!(idf(10_000, 10) > idf(10_000, 1000));
        assert!(idf(10_000, 10_000) >= 1);
        assert_eq!(idf(1, 1), 7, "1 + 16 × log2(4/3) rounded down");
        // The same count weighs more in a shorter report, more counts more.
        assert!(tf_part(1, 500, 3000) > tf_part(1, 20_000, 3000));
        assert!(tf_part(3, 3000, 3000) > tf_part(0, 3000, 3000));
        assert_eq!(len_of_class(8), 4);
        assert_eq!(len_of_class(39), 960, "class 39 holds 896..1023");
        assert_eq!(term_keys(&['党', '建']).len(), 1);
        assert_eq!(
            term_keys(&"网格化管理".chars().collect::<Vec<_>>()).len(),
            2
        );
    }
}

//! Report dates: `YYYY-MM-DD`, or `YYYY-MM` when the day is unknown.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportDate {
    pub year: i32,
    pub month: u8,
    /// `None` when only the month is known; such a date sorts before the month's days.
    pub day: Option<u8>,
}

/// What every message about a date says would fix it.
pub const DATE_HELP: &str =
    "write the date as YYYY-MM-DD (2021-03-05), or YYYY-MM (2021-03) when the day is unknown";

impl ReportDate {
    /// Parses `YYYY-MM-DD` or `YYYY-MM`; the error says what is wrong in plain words.
    pub fn parse(text: &str) -> Result<ReportDate, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('-').collect();
        let well_formed = matches!(parts.len(), 2 | 3)
            && parts[0].len() == 4
            && parts[1..].iter().all(|p| p.len() == 2)
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(format!(
                "\"{t}\" is not a date in the form YYYY-MM-DD or YYYY-MM"
            ));
        }
        // Four and two ASCII digits: the numbers fit.
        let num = |p: &str| p.parse::<u32>().expect("digits");
        let day = parts.get(2).map(|d| num(d));
        ReportDate::new(num(parts[0]), num(parts[1]), day).map_err(|why| format!("\"{t}\" {why}"))
    }

    /// A date given on the command line with `flag`: the error is the whole
    /// message, with what would fix it (`new` and `import` say the same).
    pub fn parse_flag(flag: &str, text: &str) -> Result<ReportDate, String> {
        ReportDate::parse(text).map_err(|why| format!("{flag} {why}\n  = help: {DATE_HELP}"))
    }

    /// A date from its numbers, checked against the calendar: the one rule
    /// for what a report's date may be, wherever the numbers come from.
    /// The error completes a sentence that names the date.
    pub fn new(year: u32, month: u32, day: Option<u32>) -> Result<ReportDate, String> {
        if !(1..=12).contains(&month) {
            return Err(format!("has month {month}, but months run from 01 to 12"));
        }
        if !(1900..=2200).contains(&year) {
            return Err(format!(
                "has year {year}, which is not plausible for a report"
            ));
        }
        let (year, month) = (year as i32, month as u8);
        let day = match day {
            None => None,
            Some(day) => {
                let last = days_in_month(year, month);
                if day == 0 || day > u32::from(last) {
                    return Err(format!(
                        "is not a real date: {year}-{month:02} has {last} days"
                    ));
                }
                Some(day as u8)
            }
        };
        Ok(ReportDate { year, month, day })
    }

    /// `2020年3月5日` or `2020年3月`.
    pub fn chinese(&self) -> String {
        match self.day {
            Some(d) => format!("{}年{}月{}日", self.year, self.month, d),
            None => format!("{}年{}月", self.year, self.month),
        }
    }
}

impl fmt::Display for ReportDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.day {
            Some(d) => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, d),
            None => write!(f, "{:04}-{:02}", self.year, self.month),
        }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    // jiff knows the calendar (leap years included).
    jiff::civil::Date::new(year as i16, month as i8, 1)
        .map(|d| d.days_in_month() as u8)
        .unwrap_or(31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_month_dates() {
        let d = ReportDate::parse("2021-03-05").unwrap();
        assert_eq!((d.year, d.month, d.day), (2021, 3, Some(5)));
        assert_eq!(d.to_string(), "2021-03-05");
        let m = ReportDate::parse("2021-03").unwrap();
        assert_eq!(m.day, None);
        assert_eq!(m.chinese(), "2021年3月");
        assert!(m < d);
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        assert!(
            ReportDate::parse("2021-02-30")
                .unwrap_err()
                .contains("28 days")
        );
        assert!(ReportDate::parse("2020-02-29").is_ok());
        assert!(
            ReportDate::parse("2021-13-01")
                .unwrap_err()
                .contains("month 13")
        );
        assert!(
            ReportDate::parse("2021/03/05")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(ReportDate::parse("21-3-5").is_err());
        assert!(
            ReportDate::parse("1850-01")
                .unwrap_err()
                .contains("year 1850")
        );
    }

    #[test]
    fn a_date_from_numbers_follows_the_same_rules() {
        assert_eq!(
            ReportDate::new(2020, 2, Some(29)).unwrap().to_string(),
            "2020-02-29"
        );
        assert_eq!(
            ReportDate::new(2021, 2, Some(29)).unwrap_err(),
            "is not a real date: 2021-02 has 28 days"
        );
        assert!(ReportDate::new(2021, 0, None).is_err());
        assert!(ReportDate::new(99, 1, None).is_err());
    }
}

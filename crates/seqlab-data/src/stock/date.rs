//! Calendar dates as the stock files write them: ISO `YYYY-MM-DD` or US
//! `m/d/Y` (arch). Proleptic Gregorian, validated (no 2021-02-30).

use std::fmt;

/// A calendar day; orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Which way a file writes its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2000-03-01` (also accepts a trailing time, `2000-03-01 00:00:00`).
    Iso,
    /// `3/1/2000` (month/day/year, 4-digit year).
    Mdy,
}

impl DateFormat {
    /// Guess the format from one example: a `/` means m/d/Y.
    pub(crate) fn sniff(s: &str) -> DateFormat {
        if s.contains('/') {
            DateFormat::Mdy
        } else {
            DateFormat::Iso
        }
    }

    /// How the format looks, for messages.
    pub fn example(self) -> &'static str {
        match self {
            DateFormat::Iso => "YYYY-MM-DD, e.g. 2000-03-01",
            DateFormat::Mdy => "m/d/YYYY, e.g. 3/1/2000",
        }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A validated date.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// Parse `s` in format `fmt`; None if it does not match or is no real day.
    pub fn parse(s: &str, fmt: DateFormat) -> Option<Date> {
        let s = s.trim();
        match fmt {
            DateFormat::Iso => {
                let s = s.split([' ', 'T']).next()?;
                let mut it = s.split('-');
                let (y, m, d) = (it.next()?, it.next()?, it.next()?);
                if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
                    return None;
                }
                Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
            }
            DateFormat::Mdy => {
                let mut it = s.split('/');
                let (m, d, y) = (it.next()?, it.next()?, it.next()?);
                if it.next().is_some()
                    || y.len() != 4
                    || m.is_empty()
                    || m.len() > 2
                    || d.is_empty()
                    || d.len() > 2
                {
                    return None;
                }
                Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
            }
        }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = self.year as i64 - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_formats_and_validates() {
        let d = Date::new(2000, 3, 1).unwrap();
        assert_eq!(Date::parse("2000-03-01", DateFormat::Iso), Some(d));
        assert_eq!(Date::parse("2000-03-01 00:00:00", DateFormat::Iso), Some(d));
        assert_eq!(Date::parse("3/1/2000", DateFormat::Mdy), Some(d));
        assert_eq!(Date::parse("03/01/2000", DateFormat::Mdy), Some(d));
        assert_eq!(Date::parse("2000-02-30", DateFormat::Iso), None);
        assert_eq!(Date::parse("2/29/1900", DateFormat::Mdy), None);
        assert!(Date::parse("2/29/2000", DateFormat::Mdy).is_some());
        assert_eq!(Date::parse("3/1/00", DateFormat::Mdy), None);
        assert_eq!(Date::parse("2000-3-1", DateFormat::Iso), None);
        assert_eq!(Date::parse("1/4/1999", DateFormat::Iso), None);
        assert_eq!(d.to_string(), "2000-03-01");
        assert_eq!(DateFormat::sniff("1/4/1999"), DateFormat::Mdy);
        assert!(Date::new(1999, 12, 31).unwrap() < d);
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(d.days_since_epoch(), 11_017);
    }
}

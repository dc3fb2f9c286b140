//! Opening hours: schema.org `openingHours` values (`Tu-Sa 07:00-19:30`) read back to shoppers
//! in words (`du mardi au samedi, 7 h – 19 h 30`) and turned into schema.org
//! `OpeningHoursSpecification` data for structured markup.
//!
//! Only the simple form merchants actually type is understood: a list of days or day ranges,
//! then one or more time ranges. Anything else (`PH off`, `;`-separated rules, week numbers…)
//! is left for the caller to show as written.

use super::Lang;

/// Values longer than this are not parsed at all.
const MAX_LEN: usize = 200;

/// `24:00` in minutes since midnight: allowed only as a closing time.
const END_OF_DAY: u16 = 24 * 60;

/// Two-letter schema.org day codes, lower-cased, Monday first.
const CODES: [&str; 7] = ["mo", "tu", "we", "th", "fr", "sa", "su"];

/// French day names, Monday first.
const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// English day names, Monday first; also the local names of schema.org `DayOfWeek` values.
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One understood `openingHours` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The days the rule applies to, 0 for Monday to 6 for Sunday, in the order they were
    /// written (a wrapping range such as `Fr-Mo` gives `[4, 5, 6, 0]`), each at most once.
    pub days: Vec<u8>,
    /// Opening and closing times in minutes since midnight, in the order written. A closing
    /// time of `24:00` is 1440; a closing time earlier than the opening time means the range
    /// runs past midnight into the next day.
    pub ranges: Vec<(u16, u16)>,
}

/// Reads one schema.org `openingHours` value such as `Mo-Fr 08:30-12:30,14:00-19:00`.
///
/// Day codes are matched whatever their case, and spaces around `-` and `,` are tolerated, as
/// are en dashes in place of hyphens. Returns `None` for anything not understood, so that the
/// caller can show the value as written.
#[must_use]
pub fn parse(value: &str) -> Option<Rule> {
    if value.len() > MAX_LEN {
        return None;
    }
    let mut cursor = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    cursor.skip_space();
    let days = cursor.days()?;
    let ranges = cursor.ranges()?;
    Some(Rule { days, ranges })
}

/// Puts every value into words in the page's language, one string per value and in the same
/// order; values that cannot be parsed are returned unchanged.
#[must_use]
pub fn in_words(values: &[String], lang: Lang) -> Vec<String> {
    values
        .iter()
        .map(|value| match parse(value) {
            Some(rule) => rule_in_words(&rule, lang),
            None => value.clone(),
        })
        .collect()
}

/// One schema.org `OpeningHoursSpecification`: the days it covers and one opening period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Local names of schema.org `DayOfWeek` values (`"Monday"` … `"Sunday"`), in the order the
    /// merchant wrote them.
    pub days: Vec<&'static str>,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`. A closing time of `24:00` is given as `23:59`, the form search
    /// engines expect; one earlier than `opens` means the period ends the next day.
    pub closes: String,
}

/// Turns opening hours into schema.org `OpeningHoursSpecification` entries: one per time range
/// of each understood value. Values that cannot be parsed are left out.
#[must_use]
pub fn specifications(values: &[String]) -> Vec<Spec> {
    let mut specs = Vec::new();
    for rule in values.iter().filter_map(|value| parse(value)) {
        let days: Vec<&'static str> = rule.days.iter().map(|&d| DAYS_EN[usize::from(d)]).collect();
        for &(opens, closes) in &rule.ranges {
            specs.push(Spec {
                days: days.clone(),
                opens: clock(opens),
                closes: if closes == END_OF_DAY {
                    "23:59".to_string()
                } else {
                    clock(closes)
                },
            });
        }
    }
    specs
}

/// A byte cursor over one value. Every read is bounds-checked, so no input can make it panic.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &[u8] {
        self.s.get(self.i..).unwrap_or(&[])
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    /// Consumes `token` if the input continues with it.
    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    /// Skips ASCII white space and the no-break spaces French text often carries; tells whether
    /// anything was skipped.
    fn skip_space(&mut self) -> bool {
        let start = self.i;
        loop {
            if self.rest().first().is_some_and(u8::is_ascii_whitespace) {
                self.i += 1;
            } else if !(self.eat("\u{a0}") || self.eat("\u{202f}")) {
                break;
            }
        }
        self.i > start
    }

    /// A hyphen, or an en or em dash typed in its place.
    fn dash(&mut self) -> bool {
        self.eat("-") || self.eat("\u{2013}") || self.eat("\u{2014}")
    }

    /// A two-letter day code, any case.
    fn day(&mut self) -> Option<u8> {
        let pair = self.rest().get(..2)?;
        let lower = [pair[0].to_ascii_lowercase(), pair[1].to_ascii_lowercase()];
        let index = CODES.iter().position(|code| code.as_bytes() == lower)?;
        self.i += 2;
        u8::try_from(index).ok()
    }

    /// The day list: `Mo`, `Mo-Fr`, `Mo,We,Fr`, `Mo-We,Sa`. Ranges wrap round the week.
    fn days(&mut self) -> Option<Vec<u8>> {
        let mut days = Vec::new();
        loop {
            let first = self.day()?;
            self.skip_space();
            if self.dash() {
                self.skip_space();
                let last = self.day()?;
                let mut d = first;
                loop {
                    push_once(&mut days, d);
                    if d == last {
                        break;
                    }
                    d = (d + 1) % 7;
                }
                self.skip_space();
            } else {
                push_once(&mut days, first);
            }
            if !self.eat(",") {
                return Some(days);
            }
            self.skip_space();
        }
    }

    /// Between `min` and `max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u16> {
        let mut value = 0u16;
        let mut count = 0;
        while count < max {
            match self.rest().first() {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u16::from(b - b'0');
                    count += 1;
                    self.i += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some(value)
    }

    /// A time `H:MM` or `HH:MM`, as minutes since midnight; `24:00` is accepted here and
    /// refused as an opening time by the caller.
    fn time(&mut self) -> Option<u16> {
        let hours = self.digits(1, 2)?;
        if !self.eat(":") {
            return None;
        }
        let minutes = self.digits(2, 2)?;
        if hours > 24 || minutes > 59 || (hours == 24 && minutes != 0) {
            return None;
        }
        Some(hours * 60 + minutes)
    }

    /// The time ranges up to the end of the value, separated by commas or spaces.
    fn ranges(&mut self) -> Option<Vec<(u16, u16)>> {
        let mut ranges = Vec::new();
        loop {
            let opens = self.time()?;
            self.skip_space();
            if !self.dash() {
                return None;
            }
            self.skip_space();
            let closes = self.time()?;
            if opens >= END_OF_DAY || opens == closes {
                return None;
            }
            ranges.push((opens, closes));
            let spaced = self.skip_space();
            if self.at_end() {
                return Some(ranges);
            }
            if self.eat(",") {
                self.skip_space();
            } else if !spaced {
                return None;
            }
        }
    }
}

fn push_once(days: &mut Vec<u8>, day: u8) {
    if !days.contains(&day) {
        days.push(day);
    }
}

/// `HH:MM` for minutes since midnight.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One parsed value in words: the days, a comma, the hours.
fn rule_in_words(rule: &Rule, lang: Lang) -> String {
    let days = match lang {
        Lang::Fr => days_fr(&rule.days),
        Lang::En => days_en(&rule.days),
    };
    let hours = if rule.ranges == [(0, END_OF_DAY)] {
        match lang {
            Lang::Fr => "24 h/24".to_string(),
            Lang::En => "open 24 hours".to_string(),
        }
    } else {
        let (time, and): (fn(u16) -> String, &str) = match lang {
            Lang::Fr => (time_fr, " et "),
            Lang::En => (time_en, " and "),
        };
        let periods: Vec<String> = rule
            .ranges
            .iter()
            .map(|&(opens, closes)| format!("{} – {}", time(opens), time(closes)))
            .collect();
        join(&periods, and)
    };
    format!("{days}, {hours}")
}

/// Splits days (in written order) into runs of consecutive days, wrapping Sunday to Monday.
fn runs(days: &[u8]) -> Vec<&[u8]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=days.len() {
        let continues = i < days.len() && days[i] == (days[i - 1] + 1) % 7;
        if !continues {
            if let Some(run) = days.get(start..i) {
                if !run.is_empty() {
                    runs.push(run);
                }
            }
            start = i;
        }
    }
    runs
}

/// `tous les jours`, `le dimanche`, `du mardi au samedi`, `lundi, mercredi et vendredi`,
/// `du lundi au mercredi et le vendredi`.
fn days_fr(days: &[u8]) -> String {
    if days.len() == 7 {
        return "tous les jours".to_string();
    }
    let runs = runs(days);
    // A lone day, or single days next to a range, read better with their article.
    let article = days.len() == 1 || runs.iter().any(|run| run.len() >= 3);
    let mut items = Vec::new();
    for run in runs {
        match run {
            [first, .., last] if run.len() >= 3 => items.push(format!(
                "du {} au {}",
                DAYS_FR[usize::from(*first)],
                DAYS_FR[usize::from(*last)]
            )),
            _ => {
                for &d in run {
                    let name = DAYS_FR[usize::from(d)];
                    items.push(if article {
                        format!("le {name}")
                    } else {
                        name.to_string()
                    });
                }
            }
        }
    }
    join(&items, " et ")
}

/// `Every day`, `Sunday`, `Tuesday to Saturday`, `Monday, Wednesday and Friday`.
fn days_en(days: &[u8]) -> String {
    if days.len() == 7 {
        return "Every day".to_string();
    }
    let mut items = Vec::new();
    for run in runs(days) {
        match run {
            [first, .., last] if run.len() >= 3 => items.push(format!(
                "{} to {}",
                DAYS_EN[usize::from(*first)],
                DAYS_EN[usize::from(*last)]
            )),
            _ => items.extend(run.iter().map(|&d| DAYS_EN[usize::from(d)].to_string())),
        }
    }
    join(&items, " and ")
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [head @ .., last] => format!("{}{and}{last}", head.join(", ")),
    }
}

/// `7 h`, `19 h 30`, `minuit`.
fn time_fr(minutes: u16) -> String {
    if minutes == 0 || minutes == END_OF_DAY {
        return "minuit".to_string();
    }
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

/// `7 am`, `7:30 pm`, `12 pm` for noon, `midnight`.
fn time_en(minutes: u16) -> String {
    if minutes == 0 || minutes == END_OF_DAY {
        return "midnight".to_string();
    }
    let (h, m) = (minutes / 60, minutes % 60);
    let (h12, half) = match h {
        0 => (12, "am"),
        1..=11 => (h, "am"),
        12 => (12, "pm"),
        _ => (h - 12, "pm"),
    };
    if m == 0 {
        format!("{h12} {half}")
    } else {
        format!("{h12}:{m:02} {half}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(value: &str, lang: Lang) -> String {
        let mut out = in_words(&[value.to_string()], lang);
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    fn fr(value: &str) -> String {
        words(value, Lang::Fr)
    }

    fn en(value: &str) -> String {
        words(value, Lang::En)
    }

    fn rule(days: &[u8], ranges: &[(u16, u16)]) -> Option<Rule> {
        Some(Rule {
            days: days.to_vec(),
            ranges: ranges.to_vec(),
        })
    }

    #[test]
    fn parses_the_brief_examples() {
        assert_eq!(
            parse("Tu-Sa 07:00-19:30"),
            rule(&[1, 2, 3, 4, 5], &[(420, 1170)])
        );
        assert_eq!(parse("Su 07:00-13:00"), rule(&[6], &[(420, 780)]));
        assert_eq!(
            parse("Mo-Fr 08:30-12:30,14:00-19:00"),
            rule(&[0, 1, 2, 3, 4], &[(510, 750), (840, 1140)])
        );
        assert_eq!(
            parse("Mo,We,Fr 09:00-12:00"),
            rule(&[0, 2, 4], &[(540, 720)])
        );
        assert_eq!(
            parse("Mo-Su 00:00-24:00"),
            rule(&[0, 1, 2, 3, 4, 5, 6], &[(0, 1440)])
        );
        assert_eq!(parse("We 16:00-19:00"), rule(&[2], &[(960, 1140)]));
    }

    #[test]
    fn french_brief_examples() {
        assert_eq!(fr("Tu-Sa 07:00-19:30"), "du mardi au samedi, 7 h – 19 h 30");
        assert_eq!(fr("Su 07:00-13:00"), "le dimanche, 7 h – 13 h");
        assert_eq!(
            fr("Mo-Fr 08:30-12:30,14:00-19:00"),
            "du lundi au vendredi, 8 h 30 – 12 h 30 et 14 h – 19 h"
        );
        assert_eq!(
            fr("Mo,We,Fr 09:00-12:00"),
            "lundi, mercredi et vendredi, 9 h – 12 h"
        );
        assert_eq!(fr("Mo-Su 00:00-24:00"), "tous les jours, 24 h/24");
        assert_eq!(fr("Mo-Su 08:00-20:00"), "tous les jours, 8 h – 20 h");
        assert_eq!(fr("We 16:00-19:00"), "le mercredi, 16 h – 19 h");
    }

    #[test]
    fn english_brief_examples() {
        assert_eq!(
            en("Tu-Sa 07:00-19:30"),
            "Tuesday to Saturday, 7 am – 7:30 pm"
        );
        assert_eq!(en("Su 07:00-13:00"), "Sunday, 7 am – 1 pm");
        assert_eq!(
            en("Mo-Fr 08:30-12:30,14:00-19:00"),
            "Monday to Friday, 8:30 am – 12:30 pm and 2 pm – 7 pm"
        );
        assert_eq!(
            en("Mo,We,Fr 09:00-12:00"),
            "Monday, Wednesday and Friday, 9 am – 12 pm"
        );
        assert_eq!(en("Mo-Su 00:00-24:00"), "Every day, open 24 hours");
        assert_eq!(en("Mo-Su 08:00-20:00"), "Every day, 8 am – 8 pm");
        assert_eq!(en("We 16:00-19:00"), "Wednesday, 4 pm – 7 pm");
    }

    #[test]
    fn demo_town_values() {
        let cases = [
            ("Tu-Sa 07:00-19:30", "du mardi au samedi, 7 h – 19 h 30"),
            ("Su 07:00-13:00", "le dimanche, 7 h – 13 h"),
            (
                "We-Sa 08:30-12:30,15:00-19:00",
                "du mercredi au samedi, 8 h 30 – 12 h 30 et 15 h – 19 h",
            ),
            ("Su 08:30-12:30", "le dimanche, 8 h 30 – 12 h 30"),
            ("Tu-Sa 08:00-19:30", "du mardi au samedi, 8 h – 19 h 30"),
            ("Su 08:00-13:00", "le dimanche, 8 h – 13 h"),
            (
                "Tu-Sa 08:00-13:00,15:30-19:30",
                "du mardi au samedi, 8 h – 13 h et 15 h 30 – 19 h 30",
            ),
            ("Tu-Sa 10:00-19:00", "du mardi au samedi, 10 h – 19 h"),
            ("Tu-Sa 09:00-19:30", "du mardi au samedi, 9 h – 19 h 30"),
            ("Su 09:00-13:00", "le dimanche, 9 h – 13 h"),
        ];
        for (value, expected) in cases {
            assert_eq!(fr(value), expected, "{value}");
            assert!(parse(value).is_some(), "{value}");
        }
    }

    #[test]
    fn in_words_keeps_order_and_unparsed_values() {
        let values = vec![
            "Tu-Sa 07:00-19:30".to_string(),
            "PH off".to_string(),
            "Su 07:00-13:00".to_string(),
        ];
        assert_eq!(
            in_words(&values, Lang::Fr),
            vec![
                "du mardi au samedi, 7 h – 19 h 30".to_string(),
                "PH off".to_string(),
                "le dimanche, 7 h – 13 h".to_string(),
            ]
        );
        assert_eq!(
            in_words(&values, Lang::En),
            vec![
                "Tuesday to Saturday, 7 am – 7:30 pm".to_string(),
                "PH off".to_string(),
                "Sunday, 7 am – 1 pm".to_string(),
            ]
        );
        assert!(in_words(&[], Lang::Fr).is_empty());
        assert_eq!(
            in_words(&values, Lang::default()),
            in_words(&values, Lang::Fr)
        );
    }

    #[test]
    fn wrapping_day_ranges() {
        assert_eq!(
            parse("Fr-Mo 10:00-18:00"),
            rule(&[4, 5, 6, 0], &[(600, 1080)])
        );
        assert_eq!(fr("Fr-Mo 10:00-18:00"), "du vendredi au lundi, 10 h – 18 h");
        assert_eq!(en("Fr-Mo 10:00-18:00"), "Friday to Monday, 10 am – 6 pm");
        assert_eq!(parse("Su-Tu 10:00-18:00"), rule(&[6, 0, 1], &[(600, 1080)]));
        assert_eq!(fr("Su-Tu 10:00-18:00"), "du dimanche au mardi, 10 h – 18 h");
        // Wrapping all the way round is still every day.
        assert_eq!(
            parse("We-Tu 09:00-17:00").unwrap().days,
            vec![2, 3, 4, 5, 6, 0, 1]
        );
        assert_eq!(fr("We-Tu 09:00-17:00"), "tous les jours, 9 h – 17 h");
        assert_eq!(en("Sa-Fr 09:00-17:00"), "Every day, 9 am – 5 pm");
        // A two-day wrap is read as two days.
        assert_eq!(fr("Su-Mo 09:00-12:00"), "dimanche et lundi, 9 h – 12 h");
        // A range from a day to itself is that day.
        assert_eq!(parse("Mo-Mo 09:00-12:00"), rule(&[0], &[(540, 720)]));
    }

    #[test]
    fn day_lists_and_duplicates() {
        assert_eq!(
            parse("Mo-We,Tu-Fr 09:00-12:00").unwrap().days,
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(parse("Mo,Mo,Mo 09:00-12:00").unwrap().days, vec![0]);
        assert_eq!(parse("Sa,Mo 09:00-12:00").unwrap().days, vec![5, 0]);
        assert_eq!(
            fr("Mo-We,Fr 09:00-12:00"),
            "du lundi au mercredi et le vendredi, 9 h – 12 h"
        );
        assert_eq!(
            en("Mo-We,Fr 09:00-12:00"),
            "Monday to Wednesday and Friday, 9 am – 12 pm"
        );
        assert_eq!(
            fr("Mo-Th,Sa-Su 09:00-12:00"),
            "du lundi au jeudi, le samedi et le dimanche, 9 h – 12 h"
        );
        assert_eq!(fr("Sa-Su 09:00-12:00"), "samedi et dimanche, 9 h – 12 h");
        assert_eq!(en("Sa-Su 09:00-12:00"), "Saturday and Sunday, 9 am – 12 pm");
        // Consecutive days written as a list read as a range.
        assert_eq!(
            fr("Mo,Tu,We 09:00-12:00"),
            "du lundi au mercredi, 9 h – 12 h"
        );
        assert_eq!(
            fr("Mo,Tu,We,Th,Fr,Sa,Su 09:00-12:00"),
            "tous les jours, 9 h – 12 h"
        );
        assert_eq!(fr("Mo,Th 09:00-12:00"), "lundi et jeudi, 9 h – 12 h");
    }

    #[test]
    fn tolerant_spelling() {
        let expected = rule(&[0, 1, 2, 3, 4], &[(510, 750), (840, 1140)]);
        for value in [
            "mo-fr 08:30-12:30,14:00-19:00",
            "MO-FR 08:30-12:30,14:00-19:00",
            "  Mo-Fr   08:30-12:30,14:00-19:00  ",
            "Mo - Fr 08:30 - 12:30 , 14:00 - 19:00",
            "Mo-Fr 08:30-12:30, 14:00-19:00",
            "Mo-Fr 08:30-12:30 14:00-19:00",
            "Mo-Fr 8:30-12:30,14:00-19:00",
            "Mo–Fr 08:30–12:30,14:00–19:00",
            "Mo-Fr\t08:30-12:30,14:00-19:00\n",
            "Mo-Fr\u{a0}08:30-12:30,14:00-19:00",
            "Mo-Fr08:30-12:30,14:00-19:00",
        ] {
            assert_eq!(parse(value), expected, "{value:?}");
        }
        assert_eq!(parse("Mo , We,Fr 09:00-12:00").unwrap().days, vec![0, 2, 4]);
    }

    #[test]
    fn midnight_and_past_midnight() {
        assert_eq!(parse("Fr-Sa 18:00-02:00"), rule(&[4, 5], &[(1080, 120)]));
        assert_eq!(fr("Fr-Sa 18:00-02:00"), "vendredi et samedi, 18 h – 2 h");
        assert_eq!(en("Fr-Sa 18:00-02:00"), "Friday and Saturday, 6 pm – 2 am");
        assert_eq!(parse("Sa 18:00-24:00"), rule(&[5], &[(1080, 1440)]));
        assert_eq!(fr("Sa 18:00-24:00"), "le samedi, 18 h – minuit");
        assert_eq!(en("Sa 18:00-24:00"), "Saturday, 6 pm – midnight");
        assert_eq!(parse("Sa 18:00-00:00"), rule(&[5], &[(1080, 0)]));
        assert_eq!(en("Sa 18:00-00:00"), "Saturday, 6 pm – midnight");
        assert_eq!(fr("Sa 00:00-06:00"), "le samedi, minuit – 6 h");
        assert_eq!(en("Sa 00:30-06:00"), "Saturday, 12:30 am – 6 am");
        assert_eq!(fr("Sa 00:30-06:05"), "le samedi, 0 h 30 – 6 h 05");
        assert_eq!(en("Sa 12:00-12:45"), "Saturday, 12 pm – 12:45 pm");
        assert_eq!(en("Sa 11:59-23:59"), "Saturday, 11:59 am – 11:59 pm");
        // Round the clock on some days only.
        assert_eq!(fr("Sa 00:00-24:00"), "le samedi, 24 h/24");
        assert_eq!(
            en("Sa-Su 00:00-24:00"),
            "Saturday and Sunday, open 24 hours"
        );
        // 24 h among other ranges is just a range.
        assert_eq!(
            fr("Sa 00:00-24:00,08:00-09:00"),
            "le samedi, minuit – minuit et 8 h – 9 h"
        );
    }

    #[test]
    fn three_ranges() {
        assert_eq!(
            fr("Mo 08:00-10:00,12:00-14:00,16:00-18:00"),
            "le lundi, 8 h – 10 h, 12 h – 14 h et 16 h – 18 h"
        );
        assert_eq!(
            en("Mo 08:00-10:00,12:00-14:00,16:00-18:00"),
            "Monday, 8 am – 10 am, 12 pm – 2 pm and 4 pm – 6 pm"
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for value in [
            "",
            "   ",
            "PH off",
            "Mo-Fr off",
            "Mo-Fr closed",
            "Mo-Fr",
            "08:00-12:00",
            "24/7",
            "Mo-Fr 08:00-18:00; Sa 09:00-12:00",
            "Mo-Fr 08:00-18:00; PH off",
            "Mo-Fr 08:00-18:00, PH off",
            "Mon-Fri 08:00-18:00",
            "Monday 08:00-18:00",
            "Lu-Ve 08:00-18:00",
            "Mo-Fr 08h00-18h00",
            "Mo-Fr 8-18",
            "Mo-Fr 08:00",
            "Mo-Fr 08:00-",
            "Mo-Fr -18:00",
            "Mo-Fr 08:00-18:00,",
            "Mo-Fr 08:00-18:00 extra",
            "Mo-Fr 08:00-12:0014:00-18:00",
            "Mo-Fr 08:0-18:00",
            "Mo-Fr 08:000-18:00",
            "Mo-Fr 108:00-18:00",
            "Mo-Fr 25:00-26:00",
            "Mo-Fr 18:00-26:00",
            "Mo-Fr 08:60-18:00",
            "Mo-Fr 08:00-24:30",
            "Mo-Fr 24:00-08:00",
            "Mo-Fr 08:00-08:00",
            "Mo-Fr 00:00-00:00",
            "Mo- 08:00-18:00",
            "-Fr 08:00-18:00",
            "Mo,,Fr 08:00-18:00",
            "Mo, 08:00-18:00",
            "Mo-Fr-Sa 08:00-18:00",
            "Mo-Fr 08:00-12:00 || PH off",
            "Jan-Mar Mo-Fr 08:00-18:00",
            "week 1-53/2 Fr 09:00-12:00",
            "sunrise-sunset",
            "Mo-Fr 08:00+",
            "M",
            "Mo-Fr 08:00-18:00\u{0}",
            "Mo-Fr 0８:00-18:00",
            "Ｍo-Fr 08:00-18:00",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
            assert_eq!(fr(value), value, "{value:?}");
            assert_eq!(en(value), value, "{value:?}");
            assert!(specifications(&[value.to_string()]).is_empty(), "{value:?}");
        }
    }

    #[test]
    fn ignores_very_long_values() {
        let just_fits = format!("Mo-Fr 08:00-18:00{}", " ".repeat(MAX_LEN - 17));
        assert_eq!(just_fits.len(), MAX_LEN);
        assert!(parse(&just_fits).is_some());
        let too_long = format!("{just_fits} ");
        assert_eq!(parse(&too_long), None);
        assert_eq!(fr(&too_long), too_long);
        let many_ranges = format!("Mo {}", vec!["08:00-09:00"; 100].join(","));
        assert_eq!(parse(&many_ranges), None);
    }

    #[test]
    fn specifications_one_per_range() {
        let values = vec![
            "Mo-Fr 08:30-12:30,14:00-19:00".to_string(),
            "not hours".to_string(),
            "Sa 08:30-12:30".to_string(),
        ];
        let weekdays = vec!["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
        assert_eq!(
            specifications(&values),
            vec![
                Spec {
                    days: weekdays.clone(),
                    opens: "08:30".into(),
                    closes: "12:30".into(),
                },
                Spec {
                    days: weekdays,
                    opens: "14:00".into(),
                    closes: "19:00".into(),
                },
                Spec {
                    days: vec!["Saturday"],
                    opens: "08:30".into(),
                    closes: "12:30".into(),
                },
            ]
        );
    }

    #[test]
    fn specifications_edge_cases() {
        let specs = specifications(&[
            "Tu-Sa 07:00-19:30".to_string(),
            "Mo-Su 00:00-24:00".to_string(),
            "Fr-Mo 18:00-02:00".to_string(),
            "Su,We 9:05-13:00".to_string(),
        ]);
        assert_eq!(specs.len(), 4);
        assert_eq!(
            specs[0],
            Spec {
                days: vec!["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
                opens: "07:00".into(),
                closes: "19:30".into(),
            }
        );
        assert_eq!(specs[1].days, DAYS_EN.to_vec());
        assert_eq!(
            (specs[1].opens.as_str(), specs[1].closes.as_str()),
            ("00:00", "23:59")
        );
        assert_eq!(
            specs[2].days,
            vec!["Friday", "Saturday", "Sunday", "Monday"]
        );
        assert_eq!(
            (specs[2].opens.as_str(), specs[2].closes.as_str()),
            ("18:00", "02:00")
        );
        assert_eq!(specs[3].days, vec!["Sunday", "Wednesday"]);
        assert_eq!(specs[3].opens, "09:05");
        assert!(specifications(&[]).is_empty());
    }

    /// A small deterministic generator, so the fuzz tests need no dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_invariants(value: &str) {
        let words_fr = in_words(&[value.to_string()], Lang::Fr);
        let words_en = in_words(&[value.to_string()], Lang::En);
        let specs = specifications(&[value.to_string()]);
        match parse(value) {
            None => {
                assert_eq!(words_fr, [value]);
                assert_eq!(words_en, [value]);
                assert!(specs.is_empty());
            }
            Some(rule) => {
                assert!(value.len() <= MAX_LEN);
                assert!(!rule.days.is_empty() && rule.days.len() <= 7);
                for (i, d) in rule.days.iter().enumerate() {
                    assert!(*d < 7);
                    assert!(!rule.days[..i].contains(d), "duplicate day in {value:?}");
                }
                assert!(!rule.ranges.is_empty());
                for &(opens, closes) in &rule.ranges {
                    assert!(opens < END_OF_DAY && closes <= END_OF_DAY && opens != closes);
                }
                assert_eq!(specs.len(), rule.ranges.len());
                assert!(words_fr[0].contains(", ") && words_en[0].contains(", "));
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = rng.below(80);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            check_invariants(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn random_near_misses_never_panic() {
        // Pieces of real values, shuffled, to reach deep into the parser.
        const PIECES: [&str; 24] = [
            "Mo", "tu", "We", "TH", "Fr", "Sa", "Su", "-", "–", ",", " ", ":", "0", "1", "2", "4",
            "5", "9", "00", "24:00", "08:30", "19:30", "\u{a0}", "é",
        ];
        let mut rng = XorShift(0x0123_4567_89ab_cdef);
        let mut understood = 0;
        for _ in 0..50_000 {
            let mut value = String::new();
            for _ in 0..rng.below(20) {
                value.push_str(PIECES[rng.below(PIECES.len())]);
            }
            if parse(&value).is_some() {
                understood += 1;
            }
            check_invariants(&value);
        }
        // Structured garbage: day list, space, time ranges.
        for _ in 0..20_000 {
            let mut value = String::new();
            for k in 0..=rng.below(3) {
                if k > 0 {
                    value.push(',');
                }
                value.push_str(PIECES[rng.below(7)]);
                if rng.below(2) == 0 {
                    value.push('-');
                    value.push_str(PIECES[rng.below(7)]);
                }
            }
            value.push(' ');
            for k in 0..=rng.below(3) {
                if k > 0 {
                    value.push(',');
                }
                let t = |rng: &mut XorShift| format!("{:02}:{:02}", rng.below(26), rng.below(61));
                value.push_str(&t(&mut rng));
                value.push('-');
                value.push_str(&t(&mut rng));
            }
            if parse(&value).is_some() {
                understood += 1;
            }
            check_invariants(&value);
        }
        assert!(
            understood > 100,
            "the generator should reach valid values too"
        );
    }
}

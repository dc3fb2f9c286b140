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

/// A week as the dashboard's hours editor shows it: for each day, Monday first, the opening
/// ranges in minutes since midnight.
pub type Week = [Vec<(u16, u16)>; 7];

/// Reads stored values into a week; values not understood are returned to be kept as written.
#[must_use]
pub fn week_of(values: &[String]) -> (Week, Vec<String>) {
    let mut week: Week = Default::default();
    let mut other = Vec::new();
    for v in values {
        match parse(v) {
            Some(rule) => {
                for d in rule.days {
                    for r in &rule.ranges {
                        if let Some(day) = week.get_mut(d as usize) {
                            if !day.contains(r) {
                                day.push(*r);
                            }
                        }
                    }
                }
            }
            None => other.push(v.clone()),
        }
    }
    for day in &mut week {
        day.sort_unstable();
    }
    (week, other)
}

/// Writes a week as schema.org values, consecutive days with the same hours grouped
/// (`Tu-Sa 08:00-12:30,14:00-19:00`).
#[must_use]
pub fn values_of(week: &Week) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = 0;
    while d < 7 {
        if week[d].is_empty() {
            d += 1;
            continue;
        }
        let mut end = d;
        while end + 1 < 7 && week[end + 1] == week[d] {
            end += 1;
        }
        let code = |i: usize| {
            let c = CODES[i];
            format!("{}{}", c[..1].to_uppercase(), &c[1..])
        };
        let days = if end == d {
            code(d)
        } else {
            format!("{}-{}", code(d), code(end))
        };
        let ranges: Vec<String> = week[d]
            .iter()
            .map(|&(o, c)| format!("{}-{}", clock(o), clock(c)))
            .collect();
        out.push(format!("{days} {}", ranges.join(",")));
        d = end + 1;
    }
    out
}

/// Reads `HH:MM` (as a time input sends it) into minutes since midnight; `24:00` allowed.
#[must_use]
pub fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

/// `HH:MM` for a time input.
#[must_use]
pub fn hhmm(minutes: u16) -> String {
    clock(minutes)
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
mod tests;

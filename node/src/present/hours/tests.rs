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
        "Mo", "tu", "We", "TH", "Fr", "Sa", "Su", "-", "–", ",", " ", ":", "0", "1", "2", "4", "5",
        "9", "00", "24:00", "08:30", "19:30", "\u{a0}", "é",
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

#[test]
fn the_editor_week_reads_and_writes_schema_org() {
    let values = vec![
        "Tu-Sa 08:00-12:30,14:00-19:00".to_string(),
        "Su 08:00-12:30".to_string(),
        "PH off".to_string(),
    ];
    let (week, other) = week_of(&values);
    assert!(week[0].is_empty());
    assert_eq!(week[1], vec![(480, 750), (840, 1140)]);
    assert_eq!(week[6], vec![(480, 750)]);
    assert_eq!(other, vec!["PH off".to_string()]);
    assert_eq!(values_of(&week), values[..2].to_vec());
    assert_eq!(minutes("07:30"), Some(450));
    assert_eq!(minutes("24:00"), Some(1440));
    assert_eq!(minutes("24:30"), None);
    assert_eq!(minutes("7h"), None);
}

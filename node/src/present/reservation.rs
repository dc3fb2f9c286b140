//! Reservations in words, in French and English: the steps, the lines, the slot; what the
//! status page, the e-mails and the messages to a fediverse customer say.

use chrono::TimeZone;

use super::Lang;

/// What the words need of a reservation (`model::reservation::Reservation::told`).
#[derive(Debug, Clone)]
pub struct Told<'a> {
    /// Its short number.
    pub number: i64,
    /// Its status, as the API spells it (`requested`, `accepted`…).
    pub status: &'static str,
    /// Whether the shop took some lines away or reduced them.
    pub partly: bool,
    /// The shop's word.
    pub message: Option<&'a str>,
    /// ISO 4217 currency.
    pub currency: &'a str,
    /// Its lines.
    pub lines: Vec<LineTold<'a>>,
}

/// A line, as the words need it.
#[derive(Debug, Clone)]
pub struct LineTold<'a> {
    /// Product name.
    pub name: &'a str,
    /// Its unit of sale as stored (`piece`, `kg`…).
    pub unit: &'a str,
    /// Price per unit, minor units.
    pub unit_price_minor: i64,
    /// Units asked.
    pub quantity: i64,
    /// Units the shop accepted.
    pub accepted: Option<i64>,
}

impl LineTold<'_> {
    fn held(&self) -> i64 {
        self.accepted.unwrap_or(self.quantity)
    }
}

/// A status's name for people.
pub fn status_name(lang: Lang, s: &str) -> &'static str {
    match (lang, s) {
        (Lang::Fr, "requested") => "envoyée, en attente de la boutique",
        (Lang::Fr, "accepted") => "acceptée",
        (Lang::Fr, "declined") => "refusée",
        (Lang::Fr, "ready") => "prête à retirer",
        (Lang::Fr, "collected") => "retirée",
        (Lang::Fr, "cancelled") => "annulée",
        (Lang::Fr, "expired") => "expirée",
        (Lang::En, "requested") => "sent, waiting for the shop",
        (Lang::En, "accepted") => "accepted",
        (Lang::En, "declined") => "declined",
        (Lang::En, "ready") => "ready to collect",
        (Lang::En, "collected") => "collected",
        (Lang::En, "cancelled") => "cancelled",
        (Lang::En, "expired") => "expired",
        (Lang::Fr, _) => "inconnue",
        (Lang::En, _) => "unknown",
    }
}

/// The language a reservation was made in (`fr` or `en`).
pub fn lang_of(lang: &str) -> Lang {
    if lang == "en" {
        Lang::En
    } else {
        Lang::Fr
    }
}

/// A slot in words: `mercredi 6 janvier, 10 h 00 – 10 h 30`.
pub fn slot(lang: Lang, tz: chrono_tz::Tz, start: i64, end: i64) -> String {
    use chrono::{Datelike, Timelike};
    let (Some(s), Some(e)) = (
        tz.timestamp_millis_opt(start).single(),
        tz.timestamp_millis_opt(end).single(),
    ) else {
        return String::new();
    };
    let day = s.weekday().num_days_from_monday() as usize;
    match lang {
        Lang::Fr => {
            const DAYS: [&str; 7] = [
                "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
            ];
            const MONTHS: [&str; 12] = [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ];
            format!(
                "{} {} {}, {} h {:02} – {} h {:02}",
                DAYS[day],
                s.day(),
                MONTHS[s.month0() as usize],
                s.hour(),
                s.minute(),
                e.hour(),
                e.minute()
            )
        }
        Lang::En => {
            const DAYS: [&str; 7] = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ];
            const MONTHS: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            format!(
                "{} {} {}, {:02}:{:02}–{:02}:{:02}",
                DAYS[day],
                s.day(),
                MONTHS[s.month0() as usize],
                s.hour(),
                s.minute(),
                e.hour(),
                e.minute()
            )
        }
    }
}

/// An amount in minor units of `currency`, as shoppers read it.
pub fn amount(lang: Lang, minor: i64, currency: &str) -> String {
    let c = etal_protocol::Currency::from_code(currency).unwrap_or(etal_protocol::Currency::EUR);
    super::price(&etal_protocol::Money { minor, currency: c }, lang)
}

/// Each line in words: `2 × Pain de campagne (2,50 € l'unité) = 5,00 €`, with what the shop
/// accepted when it took some away.
pub fn lines(lang: Lang, r: &Told) -> Vec<String> {
    r.lines
        .iter()
        .map(|l| {
            let c = etal_protocol::Currency::from_code(r.currency)
                .unwrap_or(etal_protocol::Currency::EUR);
            let unit = super::price_per_unit(
                &etal_protocol::Money {
                    minor: l.unit_price_minor,
                    currency: c,
                },
                etal_protocol::Unit::parse(l.unit).unwrap_or(etal_protocol::Unit::Piece),
                lang,
            );
            let total = amount(
                lang,
                l.unit_price_minor.saturating_mul(l.held()),
                r.currency,
            );
            let changed = match (lang, l.accepted) {
                (Lang::Fr, Some(0)) => " — retiré par la boutique".to_string(),
                (Lang::En, Some(0)) => " — taken away by the shop".to_string(),
                (Lang::Fr, Some(a)) if a < l.quantity => {
                    format!(" — la boutique en garde {a} sur {}", l.quantity)
                }
                (Lang::En, Some(a)) if a < l.quantity => {
                    format!(" — the shop keeps {a} of {}", l.quantity)
                }
                _ => String::new(),
            };
            match lang {
                Lang::Fr | Lang::En => {
                    format!("{} × {} ({unit}) = {total}{changed}", l.quantity, l.name)
                }
            }
        })
        .collect()
}

/// What a step tells the customer, in one sentence.
pub fn step_sentence(lang: Lang, r: &Told, shop: &str, when: &str) -> String {
    let n = r.number;
    match (lang, r.status) {
        (Lang::Fr, "requested") => format!(
            "Votre réservation n° {n} chez {shop} est envoyée. La boutique va y répondre ; retrait prévu {when}."
        ),
        (Lang::En, "requested") => format!(
            "Your reservation no. {n} at {shop} is sent. The shop will answer it; pick-up planned {when}."
        ),
        (Lang::Fr, "accepted") if r.partly => format!(
            "{shop} accepte une partie de votre réservation n° {n} ; à retirer {when}."
        ),
        (Lang::En, "accepted") if r.partly => format!(
            "{shop} accepts part of your reservation no. {n}; to collect {when}."
        ),
        (Lang::Fr, "accepted") => {
            format!("{shop} accepte votre réservation n° {n} ; à retirer {when}.")
        }
        (Lang::En, "accepted") => {
            format!("{shop} accepts your reservation no. {n}; to collect {when}.")
        }
        (Lang::Fr, "declined") => {
            format!("{shop} ne peut pas honorer votre réservation n° {n}.")
        }
        (Lang::En, "declined") => {
            format!("{shop} cannot take your reservation no. {n}.")
        }
        (Lang::Fr, "ready") => {
            format!("Votre réservation n° {n} est prête chez {shop} : à retirer {when}.")
        }
        (Lang::En, "ready") => {
            format!("Your reservation no. {n} is ready at {shop}: collect it {when}.")
        }
        (Lang::Fr, "collected") => {
            format!("Votre réservation n° {n} a été retirée chez {shop}. Merci !")
        }
        (Lang::En, "collected") => {
            format!("Your reservation no. {n} was collected at {shop}. Thank you!")
        }
        (Lang::Fr, "cancelled") => {
            format!("Votre réservation n° {n} chez {shop} est annulée.")
        }
        (Lang::En, "cancelled") => {
            format!("Your reservation no. {n} at {shop} is cancelled.")
        }
        (Lang::Fr, "expired") => format!(
            "Votre réservation n° {n} chez {shop} a expiré : elle n’a pas été retirée à temps."
        ),
        (Lang::En, "expired") => format!(
            "Your reservation no. {n} at {shop} expired: it was not collected in time."
        ),
        (_, other) => format!("{n}: {other}"),
    }
}

/// The shop's word with its answer, introduced.
pub fn shop_word(lang: Lang, r: &Told) -> Option<String> {
    r.message.map(|m| match lang {
        Lang::Fr => format!("Message de la boutique : {m}"),
        Lang::En => format!("The shop says: {m}"),
    })
}

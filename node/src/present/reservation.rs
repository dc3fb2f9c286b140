//! Reservations in words, in French and English: the steps, the lines, the slot; what the
//! status page, the e-mails and the messages to a fediverse customer say.

use chrono::TimeZone;

use super::Lang;
use crate::model::reservation::{Reservation, Status};

/// A status's name for people.
pub fn status_name(lang: Lang, s: Status) -> &'static str {
    match (lang, s) {
        (Lang::Fr, Status::Requested) => "envoyée, en attente de la boutique",
        (Lang::Fr, Status::Accepted) => "acceptée",
        (Lang::Fr, Status::Declined) => "refusée",
        (Lang::Fr, Status::Ready) => "prête à retirer",
        (Lang::Fr, Status::Collected) => "retirée",
        (Lang::Fr, Status::Cancelled) => "annulée",
        (Lang::Fr, Status::Expired) => "expirée",
        (Lang::En, Status::Requested) => "sent, waiting for the shop",
        (Lang::En, Status::Accepted) => "accepted",
        (Lang::En, Status::Declined) => "declined",
        (Lang::En, Status::Ready) => "ready to collect",
        (Lang::En, Status::Collected) => "collected",
        (Lang::En, Status::Cancelled) => "cancelled",
        (Lang::En, Status::Expired) => "expired",
    }
}

/// The language a reservation was made in.
pub fn lang_of(r: &Reservation) -> Lang {
    if r.lang == "en" {
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
pub fn lines(lang: Lang, r: &Reservation) -> Vec<String> {
    r.lines
        .iter()
        .map(|l| {
            let unit = amount(lang, l.unit_price_minor, &r.currency);
            let total = amount(lang, l.unit_price_minor * l.held(), &r.currency);
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
                Lang::Fr => format!(
                    "{} × {} ({unit} l’unité) = {total}{changed}",
                    l.quantity, l.name
                ),
                Lang::En => format!(
                    "{} × {} ({unit} each) = {total}{changed}",
                    l.quantity, l.name
                ),
            }
        })
        .collect()
}

/// What a step tells the customer, in one sentence.
pub fn step_sentence(lang: Lang, r: &Reservation, shop: &str, when: &str) -> String {
    let n = r.number;
    match (lang, r.status) {
        (Lang::Fr, Status::Requested) => format!(
            "Votre réservation n° {n} chez {shop} est envoyée. La boutique va y répondre ; retrait prévu {when}."
        ),
        (Lang::En, Status::Requested) => format!(
            "Your reservation no. {n} at {shop} is sent. The shop will answer it; pick-up planned {when}."
        ),
        (Lang::Fr, Status::Accepted) if r.partly_accepted() => format!(
            "{shop} accepte une partie de votre réservation n° {n} ; à retirer {when}."
        ),
        (Lang::En, Status::Accepted) if r.partly_accepted() => format!(
            "{shop} accepts part of your reservation no. {n}; to collect {when}."
        ),
        (Lang::Fr, Status::Accepted) => {
            format!("{shop} accepte votre réservation n° {n} ; à retirer {when}.")
        }
        (Lang::En, Status::Accepted) => {
            format!("{shop} accepts your reservation no. {n}; to collect {when}.")
        }
        (Lang::Fr, Status::Declined) => {
            format!("{shop} ne peut pas honorer votre réservation n° {n}.")
        }
        (Lang::En, Status::Declined) => {
            format!("{shop} cannot take your reservation no. {n}.")
        }
        (Lang::Fr, Status::Ready) => {
            format!("Votre réservation n° {n} est prête chez {shop} : à retirer {when}.")
        }
        (Lang::En, Status::Ready) => {
            format!("Your reservation no. {n} is ready at {shop}: collect it {when}.")
        }
        (Lang::Fr, Status::Collected) => {
            format!("Votre réservation n° {n} a été retirée chez {shop}. Merci !")
        }
        (Lang::En, Status::Collected) => {
            format!("Your reservation no. {n} was collected at {shop}. Thank you!")
        }
        (Lang::Fr, Status::Cancelled) => {
            format!("Votre réservation n° {n} chez {shop} est annulée.")
        }
        (Lang::En, Status::Cancelled) => {
            format!("Your reservation no. {n} at {shop} is cancelled.")
        }
        (Lang::Fr, Status::Expired) => format!(
            "Votre réservation n° {n} chez {shop} a expiré : elle n’a pas été retirée à temps."
        ),
        (Lang::En, Status::Expired) => format!(
            "Your reservation no. {n} at {shop} expired: it was not collected in time."
        ),
    }
}

/// The shop's word with its answer, introduced.
pub fn shop_word(lang: Lang, r: &Reservation) -> Option<String> {
    r.message.as_ref().map(|m| match lang {
        Lang::Fr => format!("Message de la boutique : {m}"),
        Lang::En => format!("The shop says: {m}"),
    })
}

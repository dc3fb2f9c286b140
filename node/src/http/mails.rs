//! The mail the HTTP handlers send in the background: a voucher to its holder.

use std::sync::Arc;

use crate::domain::voucher_code;
use crate::domain::vouchers::{self, Campaign, Voucher};
use crate::http::Node;
use crate::present::{self, Lang};

/// Mails the holder their voucher's private page (in the background).
pub fn voucher(node: &Arc<Node>, v: &Voucher, c: &Campaign, lang: &str) {
    let link = node
        .cx
        .urls
        .page(&format!("vouchers/mine/{}", v.holder_secret))
        .to_string();
    let code = voucher_code::display(&v.code);
    let lang = if lang == "en" { Lang::En } else { Lang::Fr };
    let face = present::euros(v.face_minor, lang);
    let until = present::day(node.cx.settings.time_zone, c.valid_until, lang);
    let (subject, body) = match (lang, v.issued) {
        (Lang::Fr, true) => (
            format!("Votre bon d’achat de {face} — {}", c.name),
            format!("Votre bon d’achat de {face} est prêt, à dépenser jusqu’au {until}.\n\nCode : {code}\n\nMontrez-le en boutique (le QR code est sur sa page) :\n{link}"),
        ),
        (Lang::En, true) => (
            format!("Your {face} voucher — {}", c.name),
            format!("Your {face} voucher is ready, to spend until {until}.\n\nCode: {code}\n\nShow it at the shop (its page has the QR code):\n{link}"),
        ),
        (Lang::Fr, false) => (
            format!("Votre bon d’achat — {}", c.name),
            format!("Votre demande est enregistrée. {}\n\nSa page :\n{link}", vouchers::Payments::how_to_pay(&vouchers::AtTheCounter, c, v, lang)),
        ),
        (Lang::En, false) => (
            format!("Your voucher — {}", c.name),
            format!("Your request is recorded. {}\n\nIts page:\n{link}", vouchers::Payments::how_to_pay(&vouchers::AtTheCounter, c, v, lang)),
        ),
    };
    let to = v.email.clone();
    let mailer = node.mail.clone();
    tokio::spawn(async move {
        if let Err(e) = mailer.send(&to, &subject, &body).await {
            tracing::error!(error = format!("{e:#}"), "cannot send a voucher");
        }
    });
}

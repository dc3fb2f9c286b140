//! Town vouchers for residents, without an account: a campaign's public page (shareable, with
//! its preview card) where one asks with an e-mail address; the mailed link that gives the
//! voucher; the holder's private page with the QR code (it carries only the code), the short
//! code to read out, the balance, its history and where it can be spent. Not cached.

use axum::extract::Form;
use serde::Deserialize;

use super::*;
use crate::domain::voucher_code;
use crate::domain::vouchers::{self, Campaign};
use crate::http::extract::Client;

/// Routes (not cached).
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/vouchers/{id}", get(campaign_page).post(ask))
        .route(
            "/vouchers/confirm/{secret}",
            get(confirm_page).post(confirm),
        )
        .route("/vouchers/mine/{secret}", get(holder_page))
}

/// What the campaign offers, in one sentence.
fn offer_text(node: &Node, c: &Campaign, lang: Lang) -> String {
    let face = present::euros(c.face_minor, lang);
    let until = present::day(node.cx.settings.time_zone, c.valid_until, lang);
    match (lang, c.price_minor) {
        (Lang::Fr, 0) => format!("Un bon d’achat de {face} offert, à dépenser dans les commerces participants jusqu’au {until}."),
        (Lang::En, 0) => format!("A {face} voucher, free, to spend in the participating shops until {until}."),
        (Lang::Fr, p) => format!("Un bon d’achat de {face} pour {}, à dépenser dans les commerces participants jusqu’au {until}.", present::euros(p, lang)),
        (Lang::En, p) => format!("A {face} voucher for {}, to spend in the participating shops until {until}.", present::euros(p, lang)),
    }
}

/// The campaign's page and its form.
#[allow(missing_docs)]
#[derive(Template)]
#[template(path = "voucher_campaign.html")]
struct CampaignPage {
    c: Chrome,
    head: Head,
    heading: String,
    offer: String,
    places: Vec<ShopPlace>,
    map: MapData,
    shops_heading: &'static str,
    open: bool,
    closed_text: String,
    postal: bool,
    email_label: &'static str,
    postal_label: &'static str,
    button: &'static str,
    lang: &'static str,
    errors: Vec<String>,
    done: Option<String>,
    action: String,
}

async fn campaign_page(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let c = vouchers::campaign(&node.cx, &id).await?;
        render_campaign(&node, &ask, &c, vec![], None).await
    }
    .await;
    private(answer(&node, &headers, uri, result))
}

async fn render_campaign(
    node: &Node,
    ask: &Ask,
    c: &Campaign,
    errors: Vec<String>,
    done: Option<String>,
) -> Result<Response> {
    let lang = ask.lang;
    let now = node.cx.clock.now_ms();
    let figures = vouchers::figures(&node.cx, c).await?;
    let open = now >= c.issue_from && now <= c.issue_until && figures.budget_left > 0;
    let closed_text = match lang {
        Lang::Fr if now < c.issue_from => format!(
            "Les bons seront disponibles à partir du {}.",
            present::day(node.cx.settings.time_zone, c.issue_from, lang)
        ),
        Lang::En if now < c.issue_from => format!(
            "Vouchers will be available from {}.",
            present::day(node.cx.settings.time_zone, c.issue_from, lang)
        ),
        Lang::Fr => "Il n’y a plus de bons à demander pour cette campagne.".into(),
        Lang::En => "No more vouchers can be asked for in this campaign.".into(),
    };
    let places = vouchers::participants(&node.cx, c)
        .await?
        .iter()
        .map(|m| place(&node.cx.urls, m))
        .collect();
    let offer = offer_text(node, c, lang);
    let url = node.cx.urls.page(&format!("vouchers/{}", c.id)).to_string();
    let page = CampaignPage {
        head: Head {
            title: format!("{} — {}", c.name, node.cx.site().name),
            og_title: c.name.clone(),
            description: offer.clone(),
            canonical: url.clone(),
            og_type: "website",
            image: Some(OgImage {
                url: super::cards::voucher_card_url(&node.cx.urls, c),
                width: crate::card::WIDTH,
                height: crate::card::HEIGHT,
                alt: offer.clone(),
            }),
            ..Head::default()
        },
        c: chrome(node, ask, MAP_SCRIPTS),
        heading: c.name.clone(),
        offer,
        places,
        map: map_data(node),
        shops_heading: match lang {
            Lang::Fr => "Où le dépenser",
            Lang::En => "Where to spend it",
        },
        open,
        closed_text,
        postal: matches!(c.eligibility, vouchers::Eligibility::PostalCodes(_)),
        email_label: match lang {
            Lang::Fr => "Votre adresse e-mail (le bon y est envoyé)",
            Lang::En => "Your e-mail address (the voucher is sent there)",
        },
        postal_label: match lang {
            Lang::Fr => "Votre code postal",
            Lang::En => "Your postal code",
        },
        button: match lang {
            Lang::Fr => "Recevoir mon bon",
            Lang::En => "Get my voucher",
        },
        lang: match lang {
            Lang::Fr => "fr",
            Lang::En => "en",
        },
        errors,
        done,
        action: format!("/vouchers/{}", c.id),
    };
    Ok(html(StatusCode::OK, &page))
}

/// The campaign page's form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AskForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    lang: String,
}

async fn ask(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<AskForm>,
) -> Response {
    let mut ask = Ask::new(&headers, uri.clone());
    if f.lang == "en" {
        ask.lang = Lang::En;
    }
    let lang = ask.lang;
    let result = async {
        let c = vouchers::campaign(&node.cx, &id).await?;
        let postal = Some(f.postal_code.trim()).filter(|p| !p.is_empty());
        match vouchers::ask(&node.cx, &id, &f.email, postal, lang.tag(), &client).await {
            Ok(None) => {
                let done = match lang {
                    Lang::Fr => "Si cette adresse peut recevoir un bon de cette campagne, un lien vient d’y être envoyé : ouvrez-le pour obtenir votre bon.".to_string(),
                    Lang::En => "If this address may get a voucher of this campaign, a link was just sent there: open it to get your voucher.".to_string(),
                };
                render_campaign(&node, &ask, &c, vec![], Some(done)).await
            }
            Ok(Some(secret)) => {
                let link = node
                    .cx
                    .urls
                    .page(&format!("vouchers/confirm/{secret}"))
                    .to_string();
                let (subject, body) = match lang {
                    Lang::Fr => (
                        format!("{} : votre bon d’achat", c.name),
                        format!("Bonjour,\n\nPour recevoir votre bon d’achat « {} », ouvrez ce lien (valable 24 heures) :\n{link}\n\nSi vous n’avez rien demandé, ignorez ce message.", c.name),
                    ),
                    Lang::En => (
                        format!("{}: your voucher", c.name),
                        format!("Hello,\n\nTo get your voucher \"{}\", open this link (valid for 24 hours):\n{link}\n\nIf you did not ask for it, ignore this message.", c.name),
                    ),
                };
                let to = f.email.trim().to_lowercase();
                let mailer = node.mail.clone();
                tokio::spawn(async move {
                    if let Err(e) = mailer.send(&to, &subject, &body).await {
                        tracing::error!(error = format!("{e:#}"), "cannot send a voucher link");
                    }
                });
                let done = match lang {
                    Lang::Fr => "Si cette adresse peut recevoir un bon de cette campagne, un lien vient d’y être envoyé : ouvrez-le pour obtenir votre bon.".to_string(),
                    Lang::En => "If this address may get a voucher of this campaign, a link was just sent there: open it to get your voucher.".to_string(),
                };
                render_campaign(&node, &ask, &c, vec![], Some(done)).await
            }
            Err(Error::Invalid(list)) => {
                let errors = list.into_iter().map(|e| e.message).collect();
                let mut r = render_campaign(&node, &ask, &c, errors, None).await?;
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(r)
            }
            Err(Error::Conflict { detail, .. })
            | Err(Error::Deleted(detail))
            | Err(Error::TooManyAttempts { detail, .. }) => {
                let mut r = render_campaign(&node, &ask, &c, vec![detail], None).await?;
                *r.status_mut() = StatusCode::CONFLICT;
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }
    .await;
    private(answer(&node, &headers, uri, result))
}

/// A short page with a heading, a sentence and perhaps a button (the confirmation).
#[allow(missing_docs)]
#[derive(Template)]
#[template(path = "voucher_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    head: Head,
    heading: String,
    text: String,
    button: Option<(String, &'static str)>,
}

fn confirm_head(node: &Node, heading: &str) -> Head {
    Head {
        title: format!("{heading} — {}", node.cx.site().name),
        og_title: heading.to_string(),
        description: heading.to_string(),
        canonical: node.cx.urls.base().to_string(),
        og_type: "website",
        noindex: true,
        ..Head::default()
    }
}

/// The mailed link shows a button: mail scanners that open links do not take the voucher.
async fn confirm_page(
    State(node): State<Arc<Node>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri);
    let lang = ask.lang;
    let heading = match lang {
        Lang::Fr => "Votre bon d’achat",
        Lang::En => "Your voucher",
    };
    let page = ConfirmPage {
        head: confirm_head(&node, heading),
        c: chrome(&node, &ask, &[]),
        heading: heading.into(),
        text: match lang {
            Lang::Fr => "Touchez le bouton pour recevoir votre bon.".into(),
            Lang::En => "Tap the button to get your voucher.".into(),
        },
        button: Some((
            format!("/vouchers/confirm/{secret}"),
            match lang {
                Lang::Fr => "Recevoir mon bon",
                Lang::En => "Get my voucher",
            },
        )),
    };
    private(html(StatusCode::OK, &page))
}

async fn confirm(
    State(node): State<Arc<Node>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    match vouchers::confirm(&node.cx, &secret).await {
        Ok((v, c, lang)) => {
            crate::http::mails::voucher(&node, &v, &c, &lang);
            private(Redirect::to(&format!("/vouchers/mine/{}", v.holder_secret)).into_response())
        }
        Err(Error::NotFound(detail) | Error::Conflict { detail, .. } | Error::Deleted(detail)) => {
            let heading = match ask.lang {
                Lang::Fr => "Ce lien ne donne pas de bon",
                Lang::En => "This link gives no voucher",
            };
            let page = ConfirmPage {
                head: confirm_head(&node, heading),
                c: chrome(&node, &ask, &[]),
                heading: heading.into(),
                text: detail,
                button: None,
            };
            private(html(StatusCode::CONFLICT, &page))
        }
        Err(e) => private(error_page(&node, &headers, uri, e)),
    }
}

/// The holder's page.
#[allow(missing_docs)]
#[derive(Template)]
#[template(path = "voucher.html")]
struct HolderPage {
    c: Chrome,
    head: Head,
    heading: String,
    issued: bool,
    pay_text: String,
    qr: String,
    code: String,
    balance: String,
    balance_label: &'static str,
    until: String,
    history_heading: &'static str,
    history: Vec<String>,
    shops_heading: &'static str,
    places: Vec<ShopPlace>,
    map: MapData,
}

async fn holder_page(
    State(node): State<Arc<Node>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let lang = ask.lang;
    let result = async {
        let (v, c, history, shops) = vouchers::holder_view(&node.cx, &secret).await?;
        let code = voucher_code::display(&v.code);
        let qr = qrcode::QrCode::new(code.as_bytes())
            .map(|q| {
                q.render::<qrcode::render::svg::Color>()
                    .min_dimensions(220, 220)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        // The SVG's XML declaration has no place inside HTML.
        let qr = qr
            .split_once("?>")
            .map_or(qr.clone(), |(_, svg)| svg.trim().to_string());
        let heading = format!("{} — {}", c.name, present::euros(v.face_minor, lang));
        let page = HolderPage {
            head: confirm_head(&node, &heading),
            c: chrome(&node, &ask, MAP_SCRIPTS),
            heading,
            issued: v.issued,
            pay_text: vouchers::Payments::how_to_pay(&vouchers::AtTheCounter, &c, &v, lang),
            qr,
            code,
            balance: present::euros(v.balance_minor, lang),
            balance_label: match lang {
                Lang::Fr => "Reste à dépenser",
                Lang::En => "Left to spend",
            },
            until: match lang {
                Lang::Fr => format!(
                    "Valable jusqu’au {}",
                    present::day(node.cx.settings.time_zone, c.valid_until, lang)
                ),
                Lang::En => format!(
                    "Valid until {}",
                    present::day(node.cx.settings.time_zone, c.valid_until, lang)
                ),
            },
            history_heading: match lang {
                Lang::Fr => "Dépenses",
                Lang::En => "Spent",
            },
            history: history
                .into_iter()
                .map(|(r, shop)| {
                    let mut line = format!(
                        "{} · {} · {}",
                        present::day(node.cx.settings.time_zone, r.created_at, lang),
                        shop,
                        present::euros(r.amount_minor, lang)
                    );
                    if r.cancelled_at.is_some() {
                        line.push_str(match lang {
                            Lang::Fr => " (annulé)",
                            Lang::En => " (cancelled)",
                        });
                    }
                    line
                })
                .collect(),
            shops_heading: match lang {
                Lang::Fr => "Où le dépenser",
                Lang::En => "Where to spend it",
            },
            places: shops.iter().map(|m| place(&node.cx.urls, m)).collect(),
            map: map_data(&node),
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    private(answer(&node, &headers, uri, result))
}

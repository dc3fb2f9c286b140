//! FEP-0837 orders from the fediverse. An `Offer` of an `Agreement` for a product's primary
//! intent becomes a reservation whose customer is the remote actor (`offer`); the shop's
//! answers reach that actor (`tell`): `Accept` with the finalized `Agreement` as `result`,
//! `Reject`, and for every later step a direct `Note` mentioning them, which any fediverse app
//! shows.

use etal_protocol::ap::{
    self, Activity, ActivityType, Agreement, Amount, Commitment, Object, ObjectRef,
};
use etal_protocol::{Money, Unit};
use serde_json::{json, Value};
use url::Url;

use super::to_ap;
use super::Federation;
use crate::domain::reservations::{self, Request, Reservation, Status};
use crate::domain::{audience, read};
use crate::error::{Error, Result};
use crate::model::actor::LocalActor;
use crate::model::merchant::Merchant;
use crate::model::remote::RemoteActor;
use crate::present::{self, reservation as words, Lang};
use crate::urls::LocalRef;

/// Why an `Offer` is refused before anything is stored.
fn refuse(detail: impl Into<String>) -> Error {
    Error::Conflict {
        detail: detail.into(),
        field: None,
    }
}

/// The product and units an `Offer`'s agreement asks for, checked against the product as
/// published: its primary intent, a whole number of its units, and (when given) the price.
async fn read_offer(fed: &Federation, agreement: &Agreement) -> Result<(Merchant, String, i64)> {
    let c = &agreement.stipulates;
    if c.satisfies.fragment() != Some("primary") {
        return Err(refuse(
            "stipulates.satisfies must be a product's primary intent (…#primary)",
        ));
    }
    let mut note = c.satisfies.clone();
    note.set_fragment(None);
    let Some(LocalRef::Product(id)) = fed.cx.urls.parse_local(&note) else {
        return Err(refuse(format!("{note} is not a product of this node")));
    };
    let product = crate::domain::products::get(&fed.cx, &id.to_string()).await?;
    if !reservations::reservable(&fed.cx, &product).await? {
        return Err(refuse(format!(
            "\"{}\" cannot be reserved",
            product.fields.name
        )));
    }
    let shop = read::shop_by_id(&fed.cx, product.merchant_id)
        .await?
        .ok_or_else(|| refuse("no such shop"))?;
    let units = units_of(product.fields.unit, &c.resource_quantity)?;
    if let Some(r) = &agreement.stipulates_reciprocal {
        check_price(&product.fields.price, units, r)?;
    }
    Ok((shop, id.to_string(), units))
}

/// Units of sale in a quantity: `{hasUnit: "one", hasNumericalValue: "2"}` is 2 loaves; for a
/// product sold by the dozen, 24 is 2 dozens.
fn units_of(unit: Unit, q: &Amount) -> Result<i64> {
    let (name, per) = unit.om2();
    if q.has_unit != name {
        return Err(refuse(format!(
            "the quantity must be in \"{name}\", not \"{}\"",
            q.has_unit
        )));
    }
    let per: i64 = per.parse().unwrap_or(1);
    let n = q
        .number()
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0 && n % per == 0)
        .ok_or_else(|| {
            refuse(format!(
                "the quantity must be a whole number of {per} {name}"
            ))
        })?;
    let units = n / per;
    if units > reservations::MAX_QUANTITY {
        return Err(refuse(format!(
            "at most {} units in one reservation",
            reservations::MAX_QUANTITY
        )));
    }
    Ok(units)
}

/// The reciprocal commitment must be the published price times the units, in the product's
/// currency.
fn check_price(price: &Money, units: i64, r: &Commitment) -> Result<()> {
    if r.satisfies.fragment() != Some("reciprocal") {
        return Err(refuse(
            "stipulatesReciprocal.satisfies must be …#reciprocal",
        ));
    }
    let total = Money {
        minor: price.minor.saturating_mul(units),
        currency: price.currency,
    };
    let offered = r
        .resource_quantity
        .number()
        .and_then(|n| Money::parse(&n, price.currency).ok());
    if offered.map(|m| m.minor) != Some(total.minor) {
        return Err(refuse(format!(
            "the price is {} {} for {units}, as published",
            total.amount_string(),
            price.currency.code()
        )));
    }
    Ok(())
}

/// Reads an `Offer` received from `actor` into the reservation it asks for, checked against
/// the product as published; `Err` says why it is refused (the caller answers `Reject`).
pub async fn read(fed: &Federation, a: &Activity, actor: &RemoteActor) -> Result<Request> {
    let agreement: Agreement = match a.object.object() {
        Some(Object::Other(v)) => serde_json::from_value(v.clone())
            .map_err(|e| refuse(format!("the offer's object is not an Agreement: {e}")))?,
        _ => return Err(refuse("the offer's object must be an embedded Agreement")),
    };
    if agreement.kind != "Agreement" {
        return Err(refuse("the offer's object must be an Agreement"));
    }
    let (shop, product, units) = read_offer(fed, &agreement).await?;
    let request = Request {
        merchant: shop.slug.clone(),
        lines: vec![(product, units)],
        pickup: None,
        customer: crate::model::reservation::Customer {
            name: actor
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .or_else(|| actor.preferred_username.clone()),
            email: None,
            phone: None,
            actor: Some(actor.ap_id.clone()),
        },
        note: None,
        lang: "fr".into(),
        offer_id: Some(a.id.to_string()),
        // Counted per person: every user of one large server is not one client.
        client: actor.ap_id.clone(),
    };
    Ok(request)
}

/// Queues, in the caller's transaction, a `Reject` of an `Offer`, saying why.
pub async fn reject(
    fed: &Federation,
    tx: &mut crate::domain::Tx,
    a: &Activity,
    actor: &RemoteActor,
    why: &str,
) -> Result<()> {
    let (url, local) = answering_actor(fed, a).await;
    let mut reject = to_ap::direct(
        to_ap::new_activity_id(&fed.cx.urls),
        ActivityType::Reject,
        &url,
        &a.actor,
        ObjectRef::Id(a.id.clone()),
    );
    reject.context = ap::context::basic();
    let mut doc = serde_json::to_value(&reject).map_err(|e| Error::Internal(e.into()))?;
    doc["summary"] = json!(present::esc(why));
    let body = serde_json::to_string(&doc).map_err(|e| Error::Internal(e.into()))?;
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    audience::answer(tx, local, &id, &body, &actor.inbox, fed.cx.clock.now_ms()).await
}

/// Who answers an `Offer`: the shop of the product it names, or the shop it is addressed to,
/// or else the node.
async fn answering_actor(fed: &Federation, a: &Activity) -> (Url, LocalActor) {
    let urls = &fed.cx.urls;
    let named = match a.object.object() {
        Some(Object::Other(v)) => v
            .pointer("/stipulates/satisfies")
            .or_else(|| v.pointer("/vf:stipulates/vf:satisfies"))
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok()),
        _ => None,
    };
    let mut slugs = Vec::new();
    if let Some(mut note) = named {
        note.set_fragment(None);
        if let Some(LocalRef::Product(id)) = urls.parse_local(&note) {
            if let Ok(p) = crate::domain::products::get(&fed.cx, &id.to_string()).await {
                slugs.push(p.merchant_slug);
            }
        }
    }
    for u in &a.to {
        if let Some(LocalRef::Merchant(slug)) = urls.parse_local(u) {
            slugs.push(slug);
        }
    }
    for slug in slugs {
        if let Ok(m) = crate::domain::merchants::get(&fed.cx, &slug).await {
            return (urls.merchant(&m.slug), LocalActor::Merchant(m.id));
        }
    }
    (urls.node_actor(), LocalActor::Node)
}

async fn enqueue(fed: &Federation, from: LocalActor, doc: &Value, to: &RemoteActor) -> Result<()> {
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    let body = serde_json::to_string(doc).map_err(|e| Error::Internal(e.into()))?;
    let mut tx = fed.cx.begin().await?;
    audience::answer(&mut tx, from, &id, &body, &to.inbox, fed.cx.clock.now_ms()).await?;
    fed.cx.commit(tx).await?;
    fed.cx.queued();
    Ok(())
}

/// The finalized `Agreement` of an accepted reservation made from an `Offer`.
pub fn agreement(fed: &Federation, r: &Reservation, shop: &Merchant) -> Agreement {
    let urls = &fed.cx.urls;
    let id = urls.reservation(&r.id);
    let line = &r.lines[0];
    let note = urls.product(&line.product_id);
    let with = |fragment: &str, base: &Url| {
        let mut u = base.clone();
        u.set_fragment(Some(fragment));
        u
    };
    let unit = Unit::parse(&line.unit).unwrap_or(Unit::Piece);
    let (name, per) = unit.om2();
    let per: i64 = per.parse().unwrap_or(1);
    let currency =
        etal_protocol::Currency::from_code(&r.currency).unwrap_or(etal_protocol::Currency::EUR);
    let total = Money {
        minor: line.unit_price_minor.saturating_mul(line.held()),
        currency,
    };
    Agreement {
        kind: "Agreement".into(),
        id: Some(id.clone()),
        attributed_to: Some(urls.merchant(&shop.slug)),
        stipulates: Commitment {
            kind: "Commitment".into(),
            id: Some(with("primary", &id)),
            satisfies: with("primary", &note),
            resource_quantity: Amount {
                has_unit: name.into(),
                has_numerical_value: json!((line.held() * per).to_string()),
            },
        },
        stipulates_reciprocal: Some(Commitment {
            kind: "Commitment".into(),
            id: Some(with("reciprocal", &id)),
            satisfies: with("reciprocal", &note),
            resource_quantity: Amount {
                has_unit: "one".into(),
                has_numerical_value: json!(total.amount_string()),
            },
        }),
        url: Some(ap::Link {
            kind: "Link".into(),
            href: id,
            media_type: Some("text/html".into()),
        }),
    }
}

/// Tells a fediverse customer of a step of their reservation: `Accept` (with the finalized
/// agreement) or `Reject` of their `Offer`, and a direct `Note` for what else there is to say.
pub async fn tell(fed: &Federation, r: &Reservation, step: Status) -> Result<()> {
    let Some(actor_id) = &r.customer.actor else {
        return Ok(());
    };
    let Some(actor) = audience::stored_actor(&fed.cx, actor_id).await? else {
        return Ok(());
    };
    let Some(shop) = read::shop_by_id(&fed.cx, r.merchant_id).await? else {
        return Ok(());
    };
    let shop_url = fed.cx.urls.merchant(&shop.slug);
    let local = LocalActor::Merchant(shop.id);
    let to = Url::parse(actor_id).map_err(|e| Error::Internal(e.into()))?;
    let offer = r.offer_id.as_deref().and_then(|o| Url::parse(o).ok());
    let mut note_too = true;
    match (step, &offer) {
        (Status::Accepted, Some(offer)) => {
            let mut accept = to_ap::direct(
                to_ap::new_activity_id(&fed.cx.urls),
                ActivityType::Accept,
                &shop_url,
                &to,
                ObjectRef::Id(offer.clone()),
            );
            accept.context = ap::context::full();
            let mut doc = serde_json::to_value(&accept).map_err(|e| Error::Internal(e.into()))?;
            doc["result"] = serde_json::to_value(agreement(fed, r, &shop))
                .map_err(|e| Error::Internal(e.into()))?;
            enqueue(fed, local, &doc, &actor).await?;
            // A full acceptance without a word says it all.
            note_too = r.partly_accepted() || r.message.is_some();
        }
        (Status::Declined, Some(offer)) => {
            let reject = to_ap::direct(
                to_ap::new_activity_id(&fed.cx.urls),
                ActivityType::Reject,
                &shop_url,
                &to,
                ObjectRef::Id(offer.clone()),
            );
            let mut doc = serde_json::to_value(&reject).map_err(|e| Error::Internal(e.into()))?;
            if let Some(m) = &r.message {
                doc["summary"] = json!(present::esc(m));
            }
            enqueue(fed, local, &doc, &actor).await?;
        }
        // Never accepted (no line has an answer): the Offer is refused, as the FEP wants
        // every Offer answered by Accept or Reject.
        (Status::Cancelled | Status::Expired, Some(offer))
            if r.lines.iter().all(|l| l.accepted.is_none()) =>
        {
            let reject = to_ap::direct(
                to_ap::new_activity_id(&fed.cx.urls),
                ActivityType::Reject,
                &shop_url,
                &to,
                ObjectRef::Id(offer.clone()),
            );
            let mut doc = serde_json::to_value(&reject).map_err(|e| Error::Internal(e.into()))?;
            doc["summary"] = json!(match step {
                Status::Cancelled => "cancelled by the customer",
                _ => "expired: not answered in time",
            });
            enqueue(fed, local, &doc, &actor).await?;
        }
        (Status::Requested, _) => note_too = false,
        _ => {}
    }
    if note_too {
        let doc = message(fed, r, &shop, &actor, step);
        enqueue(fed, local, &doc, &actor).await?;
    }
    Ok(())
}

/// A direct `Note` to the customer, mentioning them, in a `Create`.
fn message(
    fed: &Federation,
    r: &Reservation,
    shop: &Merchant,
    actor: &RemoteActor,
    step: Status,
) -> Value {
    let urls = &fed.cx.urls;
    let lang = words::lang_of(&r.lang);
    let when = words::slot(
        lang,
        fed.cx.settings.time_zone,
        r.pickup_start,
        r.pickup_end,
    );
    let mut r = r.clone();
    r.status = step;
    let mut parts = vec![present::esc(words::step_sentence(
        lang,
        &r.told(),
        &shop.fields.name,
        &when,
    ))];
    if matches!(step, Status::Accepted | Status::Ready) {
        parts.extend(words::lines(lang, &r.told()).iter().map(present::esc));
    }
    if let Some(w) = words::shop_word(lang, &r.told()) {
        parts.push(present::esc(&w));
    }
    let status = urls.reservation(&r.id);
    let link = match lang {
        Lang::Fr => "Suivre la réservation",
        Lang::En => "Follow the reservation",
    };
    let host = Url::parse(&actor.ap_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let user = actor.preferred_username.clone().unwrap_or_default();
    let handle = format!("@{user}@{host}");
    let href = actor.url.clone().unwrap_or(actor.ap_id.clone());
    let content = format!(
        "<p><span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span> {}</p><p><a href=\"{status}\">{link}</a></p>",
        present::esc(&href),
        present::esc(&user),
        parts.join("<br>"),
    );
    let id = format!("{status}/messages/{}", step.as_str());
    let now = crate::clock::time(fed.cx.clock.now_ms());
    let note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": urls.merchant(&shop.slug),
        "to": [actor.ap_id],
        "cc": [],
        "content": content,
        "contentMap": {r.lang.clone(): content},
        "published": now,
        "tag": [{"type": "Mention", "href": actor.ap_id, "name": handle}],
    });
    json!({
        "@context": ap::context::basic(),
        "id": to_ap::new_activity_id(urls),
        "type": "Create",
        "actor": urls.merchant(&shop.slug),
        "to": [actor.ap_id],
        "cc": [],
        "published": now,
        "object": note,
    })
}

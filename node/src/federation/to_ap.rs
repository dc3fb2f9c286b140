//! To ActivityPub: stored merchants and products as the documents the node publishes (actors,
//! product notes, tombstones, activities). The other direction is `from_ap`.

use chrono::{DateTime, Utc};
use serde_json::json;
use url::Url;
use uuid::Uuid;

use crate::domain::merchants::Merchant;
use crate::domain::products::Product;
use crate::present::{self, esc, Lang};
use crate::urls::Urls;
use etal_protocol::ap::{
    self, context, Activity, ActivityType, Actor, ActorType, Attachment, Endpoints, ImageRef,
    Intent, Note, Object, ObjectRef, Place, PostalAddress, PropertyValue, PublicKey, Quantity, Tag,
    Tombstone,
};
use etal_protocol::taxonomy;

/// A constant of a vocabulary (`as:Public`, schema.org availabilities) as a URL.
fn url(s: &str) -> Url {
    Url::parse(s).expect("vocabulary URLs are valid")
}

fn with_fragment(u: &Url, fragment: &str) -> Url {
    let mut u = u.clone();
    u.set_fragment(Some(fragment));
    u
}

/// Hashtags of a product: its category's, then its own tags, as Mastodon writes them.
pub fn hashtags(p: &Product) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let category = p.fields.category.as_deref().and_then(taxonomy::find);
    let candidates = category
        .map(|c| c.hashtag.to_string())
        .into_iter()
        .chain(p.fields.tags.iter().cloned());
    for raw in candidates {
        let tag: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !tag.is_empty() && !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
    }
    out
}

fn place(m: &Merchant) -> Option<Place> {
    let f = &m.fields;
    Some(Place {
        kind: "Place".into(),
        name: Some(f.name.clone()),
        latitude: f.geo.map(|g| g.lat),
        longitude: f.geo.map(|g| g.lon),
        address: Some(address(m)),
    })
}

fn address(m: &Merchant) -> PostalAddress {
    let a = &m.fields.address;
    PostalAddress {
        kind: "PostalAddress".into(),
        street_address: a.street.clone(),
        postal_code: a.postal_code.clone(),
        address_locality: a.city.clone(),
        address_country: Some("FR".into()),
        insee_code: a.insee_code.clone(),
    }
}

fn field(name: &str, value: String) -> ap::actor::ActorAttachment {
    ap::actor::ActorAttachment::Field(PropertyValue {
        kind: "PropertyValue".into(),
        name: name.into(),
        value,
    })
}

/// A merchant as an `Organization` actor.
pub fn merchant_actor(urls: &Urls, m: &Merchant) -> Actor {
    let f = &m.fields;
    let a = &f.address;
    let mut attachment = vec![field(
        "Adresse",
        esc(format!(
            "{}{} {}",
            a.street
                .as_deref()
                .map(|s| format!("{s}, "))
                .unwrap_or_default(),
            a.postal_code,
            a.city
        )),
    )];
    if !f.opening_hours.is_empty() {
        let words = present::hours::in_words(&f.opening_hours, Lang::Fr);
        attachment.push(field("Horaires", esc(words.join(" ; "))));
    }
    if let Some(p) = &f.phone {
        attachment.push(field("Téléphone", esc(p)));
    }
    if let Some(w) = &f.website {
        attachment.push(field(
            "Site web",
            format!(
                "<a href=\"{0}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{0}</a>",
                esc(w)
            ),
        ));
    }
    let page = urls.merchant(&m.slug);
    Actor {
        context: context::actor(),
        id: page.clone(),
        kind: ActorType::Organization,
        preferred_username: Some(m.slug.clone()),
        name: Some(f.name.clone()),
        summary: f.description.as_ref().map(|d| format!("<p>{}</p>", esc(d))),
        url: Some(json!(page)),
        icon: Some(ImageRef {
            kind: "Image".into(),
            media_type: Some("image/png".into()),
            url: urls.merchant_part(&m.slug, "icon.png"),
        }),
        image: Some(ImageRef {
            kind: "Image".into(),
            media_type: Some("image/png".into()),
            url: urls.merchant_part(&m.slug, "header.png"),
        }),
        inbox: urls.merchant_part(&m.slug, "inbox"),
        outbox: Some(urls.merchant_part(&m.slug, "outbox")),
        followers: Some(urls.merchant_part(&m.slug, "followers")),
        following: Some(urls.merchant_part(&m.slug, "following")),
        featured: Some(urls.merchant_part(&m.slug, "featured")),
        endpoints: Some(Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        }),
        public_key: m.public_key_pem.as_ref().map(|pem| PublicKey {
            id: urls.merchant_key(&m.slug),
            owner: page.clone(),
            public_key_pem: pem.clone(),
        }),
        manually_approves_followers: Some(false),
        discoverable: Some(true),
        indexable: Some(f.indexable),
        published: Some(m.created_at),
        updated: (m.updated_at != m.created_at).then_some(m.updated_at),
        attachment,
        location: place(m),
        address: Some(address(m)),
        telephone: f.phone.clone(),
        email: f.email.clone(),
        opening_hours: f.opening_hours.clone(),
        category: f.category.clone(),
        siret: f.siret.clone(),
    }
}

/// The node's own `Application` actor.
pub fn node_actor(urls: &Urls, public_pem: &str) -> Actor {
    Actor {
        context: context::actor(),
        id: urls.node_actor(),
        kind: ActorType::Application,
        preferred_username: Some(NODE_USERNAME.into()),
        name: Some(format!("Étal {}", urls.host())),
        summary: Some(
            "<p>The marketplace node of this town. Follow it to receive everything its shops publish.</p>"
                .into(),
        ),
        url: Some(json!(format!("{}/", urls.base()))),
        icon: None,
        image: None,
        inbox: urls.node_inbox(),
        outbox: Some(urls.node_outbox()),
        followers: Some(urls.node_followers()),
        following: Some(urls.node_following()),
        featured: None,
        endpoints: Some(Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        }),
        public_key: Some(PublicKey {
            id: urls.node_key(),
            owner: urls.node_actor(),
            public_key_pem: public_pem.to_string(),
        }),
        manually_approves_followers: Some(false),
        discoverable: Some(false),
        indexable: Some(false),
        published: None,
        updated: None,
        attachment: vec![],
        location: None,
        address: None,
        telephone: None,
        email: None,
        opening_hours: vec![],
        category: None,
        siret: None,
    }
}

/// The WebFinger user name of the node actor.
pub const NODE_USERNAME: &str = "etal";

/// A product as a `Note` Mastodon shows well, carrying FEP-0837 and schema.org terms.
pub fn product_note(
    urls: &Urls,
    m: &Merchant,
    p: &Product,
    with_context: bool,
    reservable: bool,
) -> Note {
    let f = &p.fields;
    let id = urls.product(&p.id);
    let tags = hashtags(p);
    let mut content = format!(
        "<p><strong>{}</strong><br>{} · {}</p>",
        esc(&f.name),
        esc(present::price_per_unit(&f.price, f.unit, Lang::Fr)),
        present::availability(f.availability, Lang::Fr)
    );
    if let Some(d) = &f.description {
        content.push_str(&format!("<p>{}</p>", esc(d)));
    }
    content.push_str(&format!(
        "<p><a href=\"{}\">{} · {}</a></p>",
        esc(&id),
        esc(&m.fields.name),
        esc(&m.fields.address.city)
    ));
    if !tags.is_empty() {
        let links: Vec<String> = tags
            .iter()
            .map(|t| {
                format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    esc(urls.tag(t)),
                    esc(t)
                )
            })
            .collect();
        content.push_str(&format!("<p>{}</p>", links.join(" ")));
    }
    if reservable {
        // Two taps from a timeline to the product's reserve form.
        content.push_str(&format!(
            "<p><a href=\"{}#reserver\">Réserver</a></p>",
            esc(&id)
        ));
    }
    let (unit_name, unit_amount) = f.unit.om2();
    Note {
        context: if with_context {
            context::full()
        } else {
            serde_json::Value::Null
        },
        id: id.clone(),
        kind: "Note".into(),
        attributed_to: Some(urls.merchant(&m.slug)),
        // No `name`: GoToSocial shows a Note's name as a content warning. The name is in the
        // content and on the primary intent.
        name: None,
        content_map: Some([("fr".to_string(), content.clone())].into()),
        content: Some(content),
        summary: None,
        url: Some(json!(id)),
        in_reply_to: None,
        published: Some(p.created_at),
        // Only a change made after its Create went out: what the Create carried is not an
        // edit (GoToSocial marks "edited" any status whose `updated` is not before
        // `published`).
        updated: p
            .announced_at
            .filter(|carried| p.updated_at > *carried)
            .map(|_| p.updated_at),
        to: vec![url(ap::PUBLIC)],
        cc: vec![urls.merchant_part(&m.slug, "followers")],
        attachment: p
            .images
            .iter()
            .take(4)
            .map(|i| {
                let v = i.variant("full");
                Attachment {
                    kind: "Image".into(),
                    media_type: Some(i.media_type.clone()),
                    url: urls.media(&v.path),
                    // Every photo Mastodon shows gets a description: the product's name
                    // when the shopkeeper gave none.
                    name: i.alt.clone().or_else(|| Some(f.name.clone())),
                    summary: None,
                    width: Some(v.width),
                    height: Some(v.height),
                    blurhash: Some(i.blurhash.clone()),
                }
            })
            .collect(),
        tag: tags
            .iter()
            .map(|t| Tag {
                kind: "Hashtag".into(),
                href: Some(urls.tag(t)),
                name: Some(format!("#{t}")),
            })
            .collect(),
        sensitive: Some(false),
        location: place(m),
        purpose: Some("offer".into()),
        publishes: Some(Intent {
            kind: "Intent".into(),
            id: with_fragment(&id, "primary"),
            name: Some(f.name.clone()),
            action: "transfer".into(),
            resource_conforms_to: None,
            resource_quantity: Quantity {
                has_unit: unit_name.into(),
                has_numerical_value: Some(unit_amount.into()),
            },
            available_quantity: f.stock.map(|s| Quantity {
                has_unit: unit_name.into(),
                has_numerical_value: Some(s.to_string()),
            }),
        }),
        reciprocal: Some(Intent {
            kind: "Intent".into(),
            id: with_fragment(&id, "reciprocal"),
            name: None,
            action: "transfer".into(),
            resource_conforms_to: f.price.currency.wikidata().map(url),
            resource_quantity: Quantity {
                has_unit: "one".into(),
                has_numerical_value: Some(f.price.amount_string()),
            },
            available_quantity: None,
        }),
        unit_based: f.unit.countable().then_some(true),
        price: Some(f.price.amount_string()),
        price_currency: Some(f.price.currency.code().into()),
        availability: Some(url(f.availability.schema_org())),
        gtin: f.gtin.clone(),
        unit_code: Some(f.unit.unece_code().into()),
        category: f.category.clone(),
        description: f.description.clone(),
    }
}

/// A shop's answer to a reply: a public `Note` in reply to it, mentioning its author (so that
/// Mastodon threads it and notifies them).
pub fn shop_reply_note(
    urls: &Urls,
    m: &Merchant,
    r: &crate::model::remote::ShopReply,
    author: &crate::model::remote::RemoteActor,
    with_context: bool,
) -> Note {
    let id = urls.merchant_part(&m.slug, &format!("replies/{}", r.id));
    let author_id = url(&r.to_actor);
    let host = author_id.host_str().unwrap_or_default().to_string();
    let user = author
        .preferred_username
        .clone()
        .unwrap_or_else(|| "?".into());
    let profile = author
        .url
        .clone()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .unwrap_or_else(|| r.to_actor.clone());
    let lines: Vec<String> = r.content.lines().map(esc).collect();
    let content = format!(
        "<p><span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span> {}</p>",
        esc(&profile),
        esc(&user),
        lines.join("<br>")
    );
    let published = crate::clock::time(r.created_at);
    Note {
        context: if with_context {
            context::full()
        } else {
            serde_json::Value::Null
        },
        id: id.clone(),
        kind: "Note".into(),
        attributed_to: Some(urls.merchant(&m.slug)),
        name: None,
        content_map: Some([("fr".to_string(), content.clone())].into()),
        content: Some(content),
        summary: None,
        url: Some(json!(urls.merchant(&m.slug))),
        in_reply_to: Some(url(&r.in_reply_to)),
        published: Some(published),
        updated: None,
        to: vec![url(ap::PUBLIC)],
        cc: vec![author_id.clone(), urls.merchant_part(&m.slug, "followers")],
        attachment: vec![],
        tag: vec![Tag {
            kind: "Mention".into(),
            href: Some(author_id),
            name: Some(format!("@{user}@{host}")),
        }],
        sensitive: Some(false),
        location: None,
        purpose: None,
        publishes: None,
        reciprocal: None,
        unit_based: None,
        price: None,
        price_currency: None,
        availability: None,
        gtin: None,
        unit_code: None,
        category: None,
        description: None,
    }
}

/// What a deleted product (`Note`) or shop (`Organization`) leaves; `with_context` when it is
/// served on its own rather than inside a Delete.
pub fn tombstone(
    id: &Url,
    former_type: &str,
    deleted: DateTime<Utc>,
    with_context: bool,
) -> Tombstone {
    Tombstone {
        context: if with_context {
            context::basic()
        } else {
            serde_json::Value::Null
        },
        id: id.clone(),
        kind: "Tombstone".into(),
        former_type: Some(former_type.into()),
        deleted: Some(deleted),
    }
}

/// An activity addressed like a public post of `actor` (`to` Public, `cc` its followers).
pub fn public_activity(
    id: Url,
    kind: ActivityType,
    actor: &Url,
    followers: &Url,
    object: ObjectRef,
    published: DateTime<Utc>,
) -> Activity {
    Activity {
        context: context::full(),
        id: id.clone(),
        kind,
        actor: actor.clone(),
        object,
        to: vec![url(ap::PUBLIC)],
        cc: vec![followers.clone()],
        published: Some(published),
    }
}

/// The node actor's `Announce` of one of its merchants' activities, embedded whole so a
/// receiver can tell Create, Update and Delete apart.
pub fn announce(urls: &Urls, mut inner: Activity) -> Activity {
    inner.context = serde_json::Value::Null;
    let published = inner.published.unwrap_or_else(Utc::now);
    Activity {
        context: context::full(),
        id: url(&format!("{}/announce", inner.id)),
        kind: ActivityType::Announce,
        actor: urls.node_actor(),
        object: ObjectRef::Object(Box::new(Object::Activity(Box::new(inner)))),
        to: vec![url(ap::PUBLIC)],
        cc: vec![urls.node_followers()],
        published: Some(published),
    }
}

/// A direct activity (`Accept`, `Follow`, `Undo`) from `actor` to `to`.
pub fn direct(id: Url, kind: ActivityType, actor: &Url, to: &Url, object: ObjectRef) -> Activity {
    Activity {
        context: context::basic(),
        id: id.clone(),
        kind,
        actor: actor.clone(),
        object,
        to: vec![to.clone()],
        cc: vec![],
        published: None,
    }
}

/// A fresh activity IRI for a direct activity.
pub fn new_activity_id(urls: &Urls) -> Url {
    urls.activity(&Uuid::now_v7())
}

//! Who runs the node (`/about`), the follow box's redirect (`/follow`), oEmbed (`/oembed`).

use super::*;
use crate::federation::intents::{self, Intent};

pub(super) async fn about(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = about_page(&node, &ask).await;
    answer(&node, &headers, uri, result)
}

async fn about_page(node: &Node, ask: &Ask) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let shops = crate::domain::read::counts(&node.cx).await?.0;
    let products = crate::domain::read::counts(&node.cx).await?.1;
    let site = node.cx.site();
    let operator = site.operator.clone().unwrap_or_else(|| match lang {
        Lang::Fr => format!(
            "Le nœud {} n’a pas encore indiqué qui le gère.",
            node.cx.urls.host()
        ),
        Lang::En => format!(
            "The node {} has not said yet who runs it.",
            node.cx.urls.host()
        ),
    });
    let contact_href = site.contact.as_deref().and_then(|c| {
        if c.contains('@') && !c.contains('/') {
            Some(format!("mailto:{c}"))
        } else if c.starts_with("https://") || c.starts_with("http://") {
            Some(c.to_string())
        } else {
            None
        }
    });
    let counts = match lang {
        Lang::Fr => format!(
            "{} commerces, {} produits.",
            count(shops, lang),
            count(products, lang)
        ),
        Lang::En => format!(
            "{} shops, {} products.",
            count(shops, lang),
            count(products, lang)
        ),
    };
    let page = AboutPage {
        head: Head {
            title: format!("{} — {}", t.about, site.name),
            og_title: format!("{} — {}", t.about, site.name),
            description: site
                .description
                .clone()
                .unwrap_or_else(|| t.data_licence_text.to_string()),
            canonical: format!("{}/about", node.cx.urls.base()),
            og_type: "website",
            image: Some(site_image(node)),
            ..Head::default()
        },
        c: chrome(node, ask, &[]),
        operator,
        contact: site.contact.clone(),
        contact_href,
        counts,
        licence_text: match lang {
            Lang::Fr => format!(
                "Les fiches des commerces et des produits sont des données ouvertes, sous {} : réutilisables librement, en citant la source.",
                site.licence.name()
            ),
            Lang::En => format!(
                "Shop and product listings are open data, under the {}: free to reuse, crediting the source.",
                site.licence.name()
            ),
        },
        licence_name: site.licence.name(),
        licence_url: site.licence.url(),
    };
    Ok(html(StatusCode::OK, &page))
}

/// `/follow?shop=…&server=…` (or `product=…` instead of `shop`): sends the visitor to their
/// own server's page for following the shop (or opening the product).
///
/// `server` is the visitor's handle (`alice@mastodon.social`): their WebFinger's FEP-3b86
/// intent template, else its OStatus `subscribe` template, is where they go; without one (or
/// without an answer), a page says what to paste in their app's search box. A bare server
/// name (`mastodon.social`, what the box first asked) still goes to Mastodon's
/// `/authorize_interaction`.
pub(super) async fn follow(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(_): RawQuery,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    match follow_answer(&node, &ask).await {
        Ok(r) => r,
        Err(e @ Error::Unreadable(_)) => e.into_response(),
        Err(e) => error_page(&node, &headers, uri, e),
    }
}

/// What the follow box is about.
struct FollowTarget {
    /// The shop's actor or the product's Note.
    object: url::Url,
    intent: Intent,
    /// What to paste instead: the shop's handle, or the product's address.
    address: String,
    /// Its name, to link back to it.
    name: String,
}

async fn follow_target(node: &Node, ask: &Ask) -> Result<FollowTarget> {
    if let Some(id) = ask.param("product") {
        let p = products::get(&node.cx, id).await?;
        if !p.local {
            return Err(Error::NotFound(format!("no product \"{id}\" here")));
        }
        crate::domain::read::live_shops(&node.cx, &[p.merchant_id])
            .await?
            .pop()
            .ok_or_else(|| Error::Deleted("the shop of this product was deleted".into()))?;
        let object = node.cx.urls.product(&p.id);
        return Ok(FollowTarget {
            address: object.to_string(),
            object,
            intent: Intent::Object,
            name: p.fields.name,
        });
    }
    let slug = ask
        .param("shop")
        .ok_or_else(|| Error::Unreadable("shop: which shop to follow is missing".into()))?;
    let m = merchants::get(&node.cx, slug).await?;
    Ok(FollowTarget {
        object: node.cx.urls.merchant(&m.slug),
        intent: Intent::Follow,
        address: handle(node, &m.slug),
        name: m.fields.name,
    })
}

async fn follow_answer(node: &Node, ask: &Ask) -> Result<Response> {
    let target = follow_target(node, ask).await?;
    let server = ask.param("server").unwrap_or_default();
    let typed = typed_address(server, node.fed.fetcher.allow_private()).ok_or_else(|| {
        Error::Unreadable(format!(
            "server: {server:?} is neither a fediverse address such as alice@mastodon.social \
             nor a server name such as mastodon.social"
        ))
    })?;
    let handle = match typed {
        Typed::Server(host) => {
            let to = format!(
                "https://{host}/authorize_interaction?uri={}",
                url::form_urlencoded::byte_serialize(target.object.as_str().as_bytes())
                    .collect::<String>()
            );
            return Ok(Redirect::to(&to).into_response());
        }
        Typed::Handle(handle) => handle,
    };
    match intents::intent_url(&node.fed, &handle, &target.object, target.intent).await {
        Ok(Some(to)) => return Ok(Redirect::to(to.as_str()).into_response()),
        Ok(None) => tracing::debug!(%handle, "follow box: no usable intent template"),
        Err(e) => tracing::debug!(%handle, error = %e, "follow box: no WebFinger answer"),
    }
    Ok(paste_page(node, ask, target))
}

/// The page for servers without a way to follow from them (GoToSocial): what to paste in
/// the app's search box.
fn paste_page(node: &Node, ask: &Ask, target: FollowTarget) -> Response {
    let t = texts(ask.lang);
    let (heading, text) = match target.intent {
        Intent::Follow => (t.follow_title, t.follow_paste_shop),
        Intent::Object => (t.follow_paste_product_title, t.follow_paste_product),
    };
    let back_url = target.object.to_string();
    let page = FollowPage {
        head: Head {
            title: format!("{heading} — {}", node.cx.site().name),
            og_title: heading.to_string(),
            description: text.to_string(),
            canonical: back_url.clone(),
            og_type: "website",
            image: Some(site_image(node)),
            noindex: true,
            ..Head::default()
        },
        c: chrome(node, ask, &["site.js"]),
        heading: heading.to_string(),
        text: text.to_string(),
        address: target.address,
        back_url,
        back_name: target.name,
    };
    let mut res = html(StatusCode::OK, &page);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What someone typed in the follow box.
#[derive(Debug, PartialEq, Eq)]
pub enum Typed {
    /// Their handle, `alice@host` (without the `@` in front).
    Handle(String),
    /// Their server's name, as the box first asked: `mastodon.social`.
    Server(String),
}

/// Reads what someone typed in the follow box: their handle (`alice@mastodon.social`,
/// `@alice@mastodon.social`, `acct:alice@mastodon.social`) or their server's name
/// (`mastodon.social`, `https://mastodon.social/`). A host without a dot
/// (`localhost:8080`) is read only in a handle, and only if `single_label` (the node may
/// fetch from private networks).
pub fn typed_address(typed: &str, single_label: bool) -> Option<Typed> {
    let t = typed.trim();
    if t.starts_with("https://") || t.starts_with("http://") {
        return server_host(t).map(Typed::Server);
    }
    let t = t.strip_prefix("acct:").unwrap_or(t);
    let t = t.strip_prefix('@').unwrap_or(t);
    let Some((user, host)) = t.split_once('@') else {
        return server_host(t).map(Typed::Server);
    };
    let user_ok = !user.is_empty()
        && user.len() <= 100
        && user
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '~'));
    let host = valid_host(host, !single_label)?;
    user_ok.then(|| Typed::Handle(format!("{user}@{host}")))
}

/// The host of what someone typed as their server: `mastodon.social`,
/// `https://mastodon.social/`, `@alice@mastodon.social` or `alice@mastodon.social`.
pub fn server_host(typed: &str) -> Option<String> {
    let t = typed.trim();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let t = t.split('/').next().unwrap_or("");
    let t = t.rsplit('@').next().unwrap_or("");
    valid_host(t, true)
}

/// `host` (with a port, if any) lowercased, if it is a DNS name (with a dot, if `need_dot`).
fn valid_host(host: &str, need_dot: bool) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host.as_str(), None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let valid = name.len() <= 253
        && (name.contains('.') || !need_dot)
        && name.split('.').all(label_ok)
        && port.is_none_or(|p| p.parse::<u16>().is_ok());
    valid.then_some(host)
}

/// oEmbed (JSON) of a product page: `/oembed?url=…`.
pub(super) async fn oembed(
    State(node): State<Arc<Node>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ask = Ask::new(&headers, uri);
    let result = async {
        if ask.param("format").is_some_and(|f| f != "json") {
            return Ok((StatusCode::NOT_IMPLEMENTED, "only format=json is served").into_response());
        }
        let url = ask
            .param("url")
            .ok_or_else(|| Error::Unreadable("url: the page to embed is missing".into()))?;
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::Unreadable(format!("url: {url:?} is not a URL")))?;
        let id = match node.cx.urls.parse_local(&parsed) {
            Some(crate::urls::LocalRef::Product(id)) => id,
            _ => {
                return Err(Error::NotFound(format!(
                    "url: {url} is not a product page of this node"
                )))
            }
        };
        let p = products::get(&node.cx, &id.to_string()).await?;
        let m = crate::domain::read::shop_by_id(&node.cx, p.merchant_id)
            .await?
            .ok_or_else(|| Error::NotFound("no shop".into()))?;
        let price = present::price_per_unit(&p.fields.price, p.fields.unit, ask.lang);
        let doc = json!({
            "version": "1.0",
            "type": "link",
            "title": format!("{} — {}", p.fields.name, price),
            "author_name": m.fields.name,
            "author_url": node.cx.urls.merchant(&m.slug).to_string(),
            "provider_name": node.cx.site().name,
            "provider_url": format!("{}/", node.cx.urls.base()),
            "cache_age": 3600,
            "thumbnail_url": cards::product_card_url(&node.cx.urls, &p, m.version),
            "thumbnail_width": crate::card::WIDTH,
            "thumbnail_height": crate::card::HEIGHT,
        });
        let mut res = axum::Json(doc).into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        Ok(res)
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// `/open-data/`: the node's open data, in French or English.
pub(super) async fn open_data(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = open_data_page(&node, &ask).await;
    answer(&node, &headers, uri, result)
}

async fn open_data_page(node: &Node, ask: &Ask) -> Result<Response> {
    let lang = ask.lang;
    let site = node.cx.site();
    let base = node.cx.urls.base();
    let shops = crate::domain::read::counts(&node.cx).await?.0;
    let fr = lang == Lang::Fr;
    let title = if fr { "Données ouvertes" } else { "Open data" }.to_string();
    let intro = if fr {
        format!(
            "Les fiches des commerces de {} qui l’ont accepté, et de leurs produits, à télécharger et réutiliser librement ({} commerces sur le site).",
            site.name,
            count(shops, lang)
        )
    } else {
        format!(
            "The listings of the shops of {} that agreed to it, and of their products, to download and reuse freely ({} shops on the site).",
            site.name,
            count(shops, lang)
        )
    };
    let file = |path: &str, fr_text: &str, en_text: &str| {
        (
            format!("{base}/open-data/{path}"),
            path.to_string(),
            if fr { fr_text } else { en_text }.to_string(),
        )
    };
    let files = vec![
        file(
            "merchants.csv",
            "les commerces, une ligne chacun (CSV, UTF-8)",
            "the shops, a line each (CSV, UTF-8)",
        ),
        file(
            "products.csv",
            "les produits, une ligne chacun (CSV, UTF-8)",
            "the products, a line each (CSV, UTF-8)",
        ),
        file(
            "products.ndjson",
            "les produits, un objet JSON par ligne",
            "the products, one JSON object a line",
        ),
        file(
            "datapackage.json",
            "la description des fichiers (Data Package, avec leurs schémas et la licence)",
            "what the files are (a Data Package, with their schemas and the licence)",
        ),
        file(
            "catalog.ttl",
            "le catalogue DCAT (Turtle ; aussi en JSON-LD : catalog.jsonld), pour data.gouv.fr et les autres moissonneurs",
            "the DCAT catalogue (Turtle; also in JSON-LD: catalog.jsonld), for data.gouv.fr and other harvesters",
        ),
        file(
            "changes",
            "ce qui a changé depuis un curseur (?since=…), pour se tenir à jour : chaque fichier donne le curseur d’où repartir (en-tête Change-Feed-Cursor, et dans datapackage.json)",
            "what changed since a cursor (?since=…), to keep up to date: each file gives the cursor to start from (the Change-Feed-Cursor header, and in datapackage.json)",
        ),
        file(
            "merchants.tableschema.json",
            "le schéma de merchants.csv (Table Schema)",
            "the schema of merchants.csv (Table Schema)",
        ),
        file(
            "products.tableschema.json",
            "le schéma de products.csv (Table Schema)",
            "the schema of products.csv (Table Schema)",
        ),
        file(
            "product.schema.json",
            "le schéma d’une ligne de products.ndjson (JSON Schema)",
            "the schema of a line of products.ndjson (JSON Schema)",
        ),
        file(
            "changes.schema.json",
            "le schéma d’une page du flux des changements (JSON Schema)",
            "the schema of a page of the change feed (JSON Schema)",
        ),
    ];
    let licence_text = if fr {
        format!(
            "Licence : {} ; citez « {} » ({base}) comme source.",
            site.licence.name(),
            site.name
        )
    } else {
        format!(
            "Licence: {}; credit \"{}\" ({base}) as the source.",
            site.licence.name(),
            site.name
        )
    };
    let page = OpenDataPage {
        head: Head {
            title: format!("{title} — {}", site.name),
            og_title: format!("{title} — {}", site.name),
            description: intro.clone(),
            canonical: format!("{base}/open-data/"),
            og_type: "website",
            image: Some(site_image(node)),
            ..Head::default()
        },
        c: chrome(node, ask, &[]),
        title,
        intro,
        licence_text,
        licence_name: site.licence.name(),
        licence_url: site.licence.url(),
        files_heading: if fr { "Les fichiers" } else { "The files" },
        files,
        how_heading: if fr {
            "Pour les moissonner"
        } else {
            "Harvesting them"
        },
        how_text: if fr {
            "Les fichiers sont produits à la demande depuis la base, compressés en gzip si vous le demandez (Accept-Encoding), et répondent 304 à If-None-Match ou If-Modified-Since quand rien n’a changé. Seuls y figurent les commerces qui ont accepté d’être repris par les agrégateurs."
        } else {
            "The files are made on request from the database, gzipped if you ask (Accept-Encoding), and answer 304 to If-None-Match or If-Modified-Since when nothing changed. Only the shops that agreed to be listed by aggregators are in them."
        },
    };
    Ok(html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follow_box_reads_handles_and_server_names() {
        let handle = |h: &str| Some(Typed::Handle(h.into()));
        let server = |h: &str| Some(Typed::Server(h.into()));
        assert_eq!(
            typed_address(" alice@Mastodon.Social ", false),
            handle("alice@mastodon.social")
        );
        assert_eq!(
            typed_address("@Alice_B@mastodon.social", false),
            handle("Alice_B@mastodon.social")
        );
        assert_eq!(
            typed_address("acct:alice@mastodon.social", false),
            handle("alice@mastodon.social")
        );
        assert_eq!(
            typed_address("mastodon.social", false),
            server("mastodon.social")
        );
        assert_eq!(
            typed_address("@mastodon.social", false),
            server("mastodon.social")
        );
        assert_eq!(
            typed_address("https://mastodon.social/", false),
            server("mastodon.social")
        );
        assert_eq!(typed_address("alice@localhost:8080", false), None);
        assert_eq!(
            typed_address("alice@localhost:8080", true),
            handle("alice@localhost:8080")
        );
        assert_eq!(typed_address("localhost:8080", true), None);
        for bad in [
            "",
            "javascript:alert(1)",
            "alice@",
            "a/b@mastodon.social",
            "alice@mastodon.social/x",
            "alice@mastodon.social:99999",
            "alice bob@mastodon.social",
            "alice@bob@mastodon.social",
        ] {
            assert_eq!(typed_address(bad, true), None, "{bad}");
        }
    }
}

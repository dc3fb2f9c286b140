//! Who runs the node (`/about`), the follow box's redirect (`/follow`), oEmbed (`/oembed`).

use super::*;

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

/// `/follow?shop=…&server=…`: sends the visitor to their own server's page for following
/// the shop (Mastodon's and most servers' `authorize_interaction`).
pub(super) async fn follow(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(_): RawQuery,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let slug = ask
            .param("shop")
            .ok_or_else(|| Error::Unreadable("shop: which shop to follow is missing".into()))?;
        let m = merchants::get(&node.cx, slug).await?;
        let server = ask.param("server").unwrap_or_default();
        let host = server_host(server).ok_or_else(|| {
            Error::Unreadable(format!(
                "server: {server:?} is not a server name such as mastodon.social"
            ))
        })?;
        let target = format!(
            "https://{host}/authorize_interaction?uri={}",
            url::form_urlencoded::byte_serialize(
                node.cx.urls.merchant(&m.slug).as_str().as_bytes()
            )
            .collect::<String>()
        );
        Ok::<_, Error>(Redirect::to(&target).into_response())
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e @ Error::Unreadable(_)) => e.into_response(),
        Err(e) => error_page(&node, &headers, uri, e),
    }
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
    let host = t.to_ascii_lowercase();
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
        && name.contains('.')
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

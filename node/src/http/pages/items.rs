//! A shop's page and a product's page (the same URLs answer ActivityPub documents to
//! servers that ask for them).

use super::*;

pub(super) async fn shop(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if wants_activity_json(&headers) {
        return documents::merchant_document(&node, &slug).await;
    }
    let ask = Ask::new(&headers, uri.clone());
    let result = shop_page(&node, &ask, &slug).await;
    answer(&node, &headers, uri, result)
}

async fn shop_page(node: &Node, ask: &Ask, slug: &str) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let m = merchants::get(&node.cx, slug).await?;
    let (items, total) = products::search(
        &node.cx,
        &SearchQuery {
            merchant: Some(m.id),
            offset: (ask.page() - 1) * PER_PAGE,
            limit: PER_PAGE,
            ..SearchQuery::default()
        },
    )
    .await?;
    let f = &m.fields;
    let url = node.cx.urls.merchant(&m.slug).to_string();
    let mut crumbs = vec![home_crumb(node, t)];
    if let Some(c) = &f.category {
        crumbs.push((
            present::category_label(c, lang),
            format!("{}/categories/{c}", node.cx.urls.base()),
        ));
    }
    crumbs.push((f.name.clone(), url.clone()));
    let hours_words = hours::in_words(&f.opening_hours, lang);
    let description = match &f.description {
        Some(d) => first_sentence(d, 200),
        None => format!("{} — {}", f.name, address_line(&m)),
    };
    let mut business = local_business(&node.cx.urls, &m);
    business["@context"] = json!("https://schema.org");
    let ld = json!({
        "@context": "https://schema.org",
        "@graph": [business, breadcrumbs(&crumbs)],
    });
    let page = ShopPage {
        head: Head {
            title: format!("{} — {}", f.name, node.cx.site().name),
            og_title: f.name.clone(),
            description,
            canonical: page_canonical(&url, ask.page()),
            og_type: "website",
            image: Some(shop_image(node, &m)),
            activity: Some(url.clone()),
            creator: Some(handle(node, &m.slug)),
            feed: Some(node.cx.urls.merchant_part(&m.slug, "feed.atom").to_string()),
            json_ld: Some(json_ld(&ld)),
            noindex: !f.indexable,
            ..Head::default()
        },
        c: chrome(node, ask, MAP_SCRIPTS),
        crumbs,
        icon: node.cx.urls.merchant_part(&m.slug, "icon.png").to_string(),
        name: f.name.clone(),
        category: f
            .category
            .as_deref()
            .map(|c| present::category_label(c, lang)),
        description: f.description.clone(),
        address: address_line(&m),
        map_url: directions_url(&m),
        hours: hours_words,
        phone: f.phone.as_deref().map(views::phone),
        website: f.website.clone(),
        email: f.email.clone(),
        follow: FollowBox {
            handle: handle(node, &m.slug),
            slug: m.slug.clone(),
        },
        places: vec![place(&node.cx.urls, &m)],
        map: map_data(node),
        count: results_text(total, lang),
        products: items
            .iter()
            .map(|p| product_card(&node.cx.urls, p, &f.name, lang))
            .collect(),
        pager: ask.pager(total),
        feed: node.cx.urls.merchant_part(&m.slug, "feed.atom").to_string(),
    };
    Ok(html(StatusCode::OK, &page))
}

pub(super) async fn product(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if wants_activity_json(&headers) {
        return documents::product_document(&node, &id).await;
    }
    let ask = Ask::new(&headers, uri.clone());
    let result = product_page(&node, &ask, &id).await;
    answer(&node, &headers, uri, result)
}

async fn product_page(node: &Node, ask: &Ask, id: &str) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let p = products::get(&node.cx, id).await?;
    if !p.local {
        // A mirrored product lives on its own node: send visitors there, but only to a
        // page of the node that published it.
        let page = super::views::page_of(&node.cx.urls, &p);
        return if page != node.cx.urls.product(&p.id).as_str() {
            Ok(Redirect::to(&page).into_response())
        } else {
            Err(Error::NotFound(format!("no product \"{id}\" here")))
        };
    }
    let m = crate::domain::read::live_shops(&node.cx, &[p.merchant_id])
        .await?
        .pop()
        .ok_or_else(|| Error::Deleted("the shop of this product was deleted".into()))?;
    let f = &p.fields;
    let reserve = crate::domain::reservations::reservable(&node.cx, &p)
        .await?
        .then(|| ReserveBox {
            product: p.id.to_string(),
            max: f.stock.unwrap_or(999).clamp(1, 999),
            lang: match lang {
                Lang::Fr => "fr",
                Lang::En => "en",
            },
            quantity: match lang {
                Lang::Fr => "Quantité",
                Lang::En => "Quantity",
            },
            button: match lang {
                Lang::Fr => "Réserver",
                Lang::En => "Reserve",
            },
            hint: match lang {
                Lang::Fr => "Retrait en boutique, paiement sur place.",
                Lang::En => "Collect at the shop, pay there.",
            },
        });
    let url = node.cx.urls.product(&p.id).to_string();
    let mut crumbs = vec![home_crumb(node, t)];
    crumbs.push((
        m.fields.name.clone(),
        node.cx.urls.merchant(&m.slug).to_string(),
    ));
    crumbs.push((f.name.clone(), url.clone()));
    let price = present::price_per_unit(&f.price, f.unit, lang);
    let image = product_image(node, &p, &m, lang);
    let description = {
        let mut d = format!(
            "{price} · {} · {}",
            present::availability(f.availability, lang),
            m.fields.name
        );
        if let Some(text) = &f.description {
            d.push_str(" — ");
            d.push_str(&first_sentence(text, 160));
        }
        d
    };
    let ld = json!({
        "@context": "https://schema.org",
        "@graph": [product_ld(&node.cx.urls, &m, &p, &image.url), breadcrumbs(&crumbs)],
    });
    let mut photos = p
        .images
        .iter()
        .map(|i| img(&node.cx.urls, i, "large", &f.name));
    let main_photo = photos.next();
    let more_photos = p
        .images
        .iter()
        .skip(1)
        .map(|i| img(&node.cx.urls, i, "small", &f.name))
        .collect();
    drop(photos);
    let page = ProductPage {
        head: Head {
            title: format!("{} — {} — {}", f.name, price, m.fields.name),
            og_title: format!("{} — {}", f.name, price),
            description,
            canonical: url.clone(),
            og_type: "product",
            price: Some((f.price.amount_string(), f.price.currency.code().to_string())),
            activity: Some(url.clone()),
            creator: Some(handle(node, &m.slug)),
            oembed: Some(format!(
                "{}/oembed?format=json&url={}",
                node.cx.urls.base(),
                url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
            )),
            json_ld: Some(json_ld(&ld)),
            noindex: !m.fields.indexable,
            image: Some(image),
            feed: Some(node.cx.urls.merchant_part(&m.slug, "feed.atom").to_string()),
        },
        c: chrome(node, ask, &["site.js"]),
        crumbs,
        main_photo,
        more_photos,
        card: cards::product_card_url(&node.cx.urls, &p, m.version),
        name: f.name.clone(),
        price,
        availability: present::availability(f.availability, lang),
        availability_class: match f.availability {
            Availability::InStock => "in",
            _ => "out",
        },
        stock: f
            .stock
            .map(|s| format!("{} {}", count(s, lang), t.stock_left)),
        description: f.description.clone(),
        tags: f
            .tags
            .iter()
            .map(|tg| (tg.clone(), node.cx.urls.tag(tg).to_string()))
            .collect(),
        shop_url: node.cx.urls.merchant(&m.slug).to_string(),
        shop_name: m.fields.name.clone(),
        shop_address: address_line(&m),
        map_url: directions_url(&m),
        hours: hours::in_words(&m.fields.opening_hours, lang),
        phone: m.fields.phone.as_deref().map(views::phone),
        follow: FollowBox {
            handle: handle(node, &m.slug),
            slug: m.slug.clone(),
        },
        reserve,
    };
    Ok(html(StatusCode::OK, &page))
}

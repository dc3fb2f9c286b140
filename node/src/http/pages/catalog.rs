//! The pages that list products: home, search results, a category, a tag.

use super::*;

pub(super) async fn home(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = home_page(&node, &ask).await;
    answer(&node, &headers, uri, result)
}

async fn home_page(node: &Node, ask: &Ask) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let (newest, total) = products::search(
        &node.cx,
        &SearchQuery {
            limit: 12,
            // An aggregator's home shows what it harvested.
            origin: if node.cx.settings.aggregator {
                Origin::All
            } else {
                Origin::Local
            },
            ..SearchQuery::default()
        },
    )
    .await?;
    let shops = crate::domain::read::shops(&node.cx, None, HOME_SHOPS).await?;
    let shop_count = crate::domain::read::counts(&node.cx).await?.0;
    let site = &node.cx.site().name.clone();
    let intro = match lang {
        Lang::Fr => format!(
            "{} commerces, {} produits : cherchez, comparez, suivez vos commerçants sur le fédivers.",
            count(shop_count, lang),
            count(total, lang)
        ),
        Lang::En => format!(
            "{} shops, {} products: search, compare, follow your shopkeepers on the fediverse.",
            count(shop_count, lang),
            count(total, lang)
        ),
    };
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": site,
        "url": node.cx.urls.base(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": format!("{}/search?q={{q}}", node.cx.urls.base()),
            "query-input": "required name=q",
        },
    });
    let page = HomePage {
        head: Head {
            title: site.clone(),
            og_title: site.clone(),
            description: intro.clone(),
            canonical: format!("{}/", node.cx.urls.base()),
            og_type: "website",
            image: Some(site_image(node)),
            activity: Some(node.cx.urls.node_actor().to_string()),
            feed: Some(format!("{}/feed.atom", node.cx.urls.base())),
            json_ld: Some(json_ld(&ld)),
            ..Head::default()
        },
        c: chrome(node, ask, MAP_SCRIPTS),
        intro,
        categories: category_links(lang, None),
        newest: cards(node, &newest, lang).await?,
        all_products: match lang {
            Lang::Fr => "Tous les produits".into(),
            Lang::En => "All products".into(),
        },
        shops: shops.iter().map(|m| place(&node.cx.urls, m)).collect(),
        map: map_data(node),
    };
    let _ = t;
    Ok(html(StatusCode::OK, &page))
}

/// Reads the search filters; a filter that makes no sense is reported, not fatal.
fn search_query(ask: &Ask, node_merchant: Option<Uuid>) -> (SearchQuery, Option<String>) {
    let t = ask.lang;
    let mut error = None;
    let mut q = SearchQuery {
        q: ask.param("q").map(str::to_string),
        category: ask
            .param("category")
            .filter(|c| taxonomy::CATEGORIES.iter().any(|x| x.code == *c))
            .map(str::to_string),
        availability: ask.param("availability").and_then(Availability::parse),
        merchant: node_merchant,
        origin: Origin::Local,
        offset: (ask.page() - 1) * PER_PAGE,
        limit: PER_PAGE,
        ..SearchQuery::default()
    };
    let num = |name: &str| ask.param(name).map(|v| v.replace(',', ".").parse::<f64>());
    match (num("lat"), num("lon")) {
        (None, None) => {}
        (Some(Ok(lat)), Some(Ok(lon)))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            let km = match num("km") {
                Some(Ok(km)) if km > 0.0 && km <= MAX_RADIUS_KM => km,
                None => 10.0,
                _ => {
                    error = Some(match t {
                        Lang::Fr => format!(
                            "Le rayon doit être entre 0 et {MAX_RADIUS_KM} km ; 10 km utilisés."
                        ),
                        Lang::En => format!(
                            "The radius must be between 0 and {MAX_RADIUS_KM} km; 10 km used."
                        ),
                    });
                    10.0
                }
            };
            q.near = Some(Near {
                at: Geo { lat, lon },
                km,
            });
        }
        _ => {
            error = Some(match t {
                Lang::Fr => "Latitude et longitude doivent être des nombres en degrés (par exemple 48.64 et 1.83) ; filtre ignoré.".to_string(),
                Lang::En => "Latitude and longitude must be numbers in degrees (for example 48.64 and 1.83); filter ignored.".to_string(),
            });
        }
    }
    (q, error)
}

pub(super) async fn search(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = search_page(&node, &ask).await;
    answer(&node, &headers, uri, result)
}

async fn search_page(node: &Node, ask: &Ask) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let shop = match ask.param("shop") {
        Some(slug) => Some(merchants::get(&node.cx, slug).await?),
        None => None,
    };
    let (mut query, mut error) = search_query(ask, shop.as_ref().map(|m| m.id));
    if node.cx.settings.aggregator {
        // National search: every harvested node.
        query.origin = Origin::All;
    }
    let near_code = ask.param("near").unwrap_or_default().to_string();
    if !near_code.is_empty() && query.near.is_none() {
        let km = ask
            .param("km")
            .and_then(|k| k.replace(',', ".").parse::<f64>().ok())
            .filter(|k| *k > 0.0 && *k <= MAX_RADIUS_KM)
            .unwrap_or(10.0);
        match products::place(&node.cx, &near_code, "near").await {
            Ok(place) => query.near = Some(Near { at: place.at, km }),
            Err(_) => {
                error = Some(match lang {
                    Lang::Fr => format!("« {near_code} » n’est pas un code postal ou INSEE où un commerce est connu ; filtre ignoré."),
                    Lang::En => format!("“{near_code}” is not a postal or INSEE code where a shop is known; filter ignored."),
                })
            }
        }
    }
    let town = ask
        .param("town")
        .filter(|t| crate::model::commune::communes().by_insee(t).is_some())
        .map(str::to_string);
    if let Some(t) = &town {
        products::in_town(&node.cx, &mut query, t).await?;
    }
    let ranked = products::search_ranked(&node.cx, &query).await?;
    let (found, total, capped, counted, closest) = (
        ranked.products,
        ranked.total,
        ranked.capped,
        ranked.towns_counted,
        ranked.towns_closest,
    );
    let shops = result_shops(node, &found).await?;
    let results = ranked_text(total, capped, lang);
    let towns = ranked
        .towns
        .into_iter()
        .map(|t| {
            let url = ask.with_all(&[("page", None), ("town", Some(t.insee))]);
            (t.city, url, t.count)
        })
        .collect();
    let heading = match (&query.q, &shop) {
        (Some(q), _) => match lang {
            Lang::Fr => format!("Résultats pour « {q} »"),
            Lang::En => format!("Results for “{q}”"),
        },
        (None, Some(m)) => format!("{} — {}", t.products, m.fields.name),
        (None, None) => t.products.to_string(),
    };
    let category_options = taxonomy::CATEGORIES
        .iter()
        .map(|c| {
            let label = present::category_label(c.code, lang);
            (
                c.code.to_string(),
                if c.parent.is_some() {
                    format!("— {label}")
                } else {
                    label
                },
                query.category.as_deref() == Some(c.code),
            )
        })
        .collect();
    let availability_options = Availability::ALL
        .iter()
        .map(|a| {
            (
                a.as_str().to_string(),
                present::availability(*a, lang).to_string(),
                query.availability == Some(*a),
            )
        })
        .collect();
    let near = query.near;
    let page = SearchPage {
        head: Head {
            title: format!("{heading} — {}", node.cx.site().name),
            og_title: heading.clone(),
            description: results.clone(),
            canonical: format!("{}{}", node.cx.urls.base(), ask.with("lang", None)),
            og_type: "website",
            image: Some(site_image(node)),
            noindex: true,
            ..Head::default()
        },
        c: chrome(node, ask, MAP_SCRIPTS),
        heading,
        category_options,
        availability_options,
        shop: shop.map(|m| m.slug),
        near_open: near.is_some(),
        lat: near.map(|n| n.at.lat.to_string()).unwrap_or_default(),
        lon: near.map(|n| n.at.lon.to_string()).unwrap_or_default(),
        km: near.map(|n| n.km.to_string()).unwrap_or_default(),
        near_code,
        town,
        towns,
        towns_note: (capped || counted < total).then(|| {
            let n = count(counted, lang);
            match (lang, closest) {
                (Lang::Fr, false) => format!("Parmi les {n} résultats les plus récents."),
                (Lang::Fr, true) => format!("Parmi les {n} résultats les plus proches."),
                (Lang::En, false) => format!("Among the {n} newest results."),
                (Lang::En, true) => format!("Among the {n} closest results."),
            }
        }),
        error,
        count: match (capped, lang) {
            (false, _) => results,
            (true, Lang::Fr) => format!(
                "{results} : les plus pertinents parmi les plus récents. Précisez la recherche (mots, catégorie, commune) pour voir les autres."
            ),
            (true, Lang::En) => format!(
                "{results}: the most relevant among the newest. Narrow the search (words, category, town) to see the others."
            ),
        },
        results: cards(node, &found, lang).await?,
        shops,
        map: map_data(node),
        pager: ask.pager(total),
    };
    Ok(html(StatusCode::OK, &page))
}

pub(super) async fn category(
    State(node): State<Arc<Node>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = category_page(&node, &ask, &code).await;
    answer(&node, &headers, uri, result)
}

async fn category_page(node: &Node, ask: &Ask, code: &str) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let cat = taxonomy::CATEGORIES
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| Error::NotFound(format!("no category \"{code}\"")))?;
    let label = present::category_label(cat.code, lang);
    let (items, total) = products::search(
        &node.cx,
        &SearchQuery {
            category: Some(cat.code.to_string()),
            offset: (ask.page() - 1) * PER_PAGE,
            limit: PER_PAGE,
            ..SearchQuery::default()
        },
    )
    .await?;
    let shops = crate::domain::read::shops_in_category(&node.cx, cat.code, HOME_SHOPS).await?;
    let mut crumbs = vec![home_crumb(node, t)];
    if let Some(parent) = cat.parent {
        crumbs.push((
            present::category_label(parent, lang),
            format!("{}/categories/{parent}", node.cx.urls.base()),
        ));
    }
    let canonical = format!("{}/categories/{}", node.cx.urls.base(), cat.code);
    crumbs.push((label.clone(), canonical.clone()));
    let description = match lang {
        Lang::Fr => format!(
            "{label} : {} chez les commerçants de {}.",
            results_text(total, lang),
            node.cx.site().name
        ),
        Lang::En => format!(
            "{label}: {} from the shops of {}.",
            results_text(total, lang),
            node.cx.site().name
        ),
    };
    let page = ListingPage {
        head: Head {
            title: format!("{label} — {}", node.cx.site().name),
            og_title: label.clone(),
            description,
            canonical: page_canonical(&canonical, ask.page()),
            og_type: "website",
            image: Some(site_image(node)),
            json_ld: Some(json_ld(&json!({
                "@context": "https://schema.org",
                "@graph": [breadcrumbs(&crumbs)],
            }))),
            ..Head::default()
        },
        c: chrome(node, ask, MAP_SCRIPTS),
        crumbs,
        heading: label,
        links: category_links(lang, Some(cat.code)),
        shops: shops.iter().map(|m| place(&node.cx.urls, m)).collect(),
        map: map_data(node),
        count: results_text(total, lang),
        products: cards(node, &items, lang).await?,
        pager: ask.pager(total),
    };
    Ok(html(StatusCode::OK, &page))
}

pub(super) async fn tag(
    State(node): State<Arc<Node>>,
    Path(tag): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = tag_page(&node, &ask, &tag).await;
    answer(&node, &headers, uri, result)
}

async fn tag_page(node: &Node, ask: &Ask, tag: &str) -> Result<Response> {
    let lang = ask.lang;
    let t = texts(lang);
    let before = ask.param("before").and_then(|b| Uuid::parse_str(b).ok());
    let (items, more) = products::list(
        &node.cx,
        &ListQuery {
            tag: Some(tag.to_string()),
            before,
            limit: PER_PAGE,
            ..ListQuery::default()
        },
    )
    .await?;
    let heading = format!("#{}", tag.trim_start_matches('#'));
    let canonical = node.cx.urls.tag(tag).to_string();
    let crumbs = vec![home_crumb(node, t), (heading.clone(), canonical.clone())];
    let pager = Pager {
        page: 1,
        prev: before.map(|_| ask.with("before", None)),
        next: if more {
            items
                .last()
                .map(|p| ask.with("before", Some(p.id.to_string())))
        } else {
            None
        },
    };
    let page = ListingPage {
        head: Head {
            title: format!("{heading} — {}", node.cx.site().name),
            og_title: heading.clone(),
            description: format!("{} {heading}", t.tagged),
            canonical,
            og_type: "website",
            image: Some(site_image(node)),
            noindex: items.is_empty(),
            ..Head::default()
        },
        c: chrome(node, ask, &[]),
        crumbs,
        heading,
        links: vec![],
        shops: vec![],
        map: map_data(node),
        count: String::new(),
        products: cards(node, &items, lang).await?,
        pager,
    };
    Ok(html(StatusCode::OK, &page))
}

/// "12 résultats", or "Plus de 1 000 résultats" when the count stopped at a bound.
fn ranked_text(total: i64, capped: bool, lang: Lang) -> String {
    if !capped {
        return results_text(total, lang);
    }
    match lang {
        Lang::Fr => format!("Plus de {} résultats", count(total, lang)),
        Lang::En => format!("More than {} results", count(total, lang)),
    }
}

/// The shops of a page of results, for its map, in the order they first appear. A harvested
/// shop links to its page on its own node (its actor's address there, which answers HTML).
async fn result_shops(node: &Node, found: &[Product]) -> Result<Vec<ShopPlace>> {
    let mut ids: Vec<Uuid> = Vec::new();
    let mut remote = std::collections::HashSet::new();
    for p in found {
        if !ids.contains(&p.merchant_id) {
            ids.push(p.merchant_id);
        }
        if !p.local {
            remote.insert(p.merchant_id);
        }
    }
    let shops = crate::domain::read::live_shops(&node.cx, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| shops.iter().find(|m| m.id == *id))
        .map(|m| {
            let here = place(&node.cx.urls, m);
            let web = m.ap_id.starts_with("https://") || m.ap_id.starts_with("http://");
            if remote.contains(&m.id) && web {
                ShopPlace {
                    url: m.ap_id.clone(),
                    ..here
                }
            } else {
                here
            }
        })
        .collect())
}

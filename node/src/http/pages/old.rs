//! Public pages: the town's shops, a shop, a product. Plain HTML for now; the same URLs will
//! answer ActivityPub documents to servers that ask for them.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::collections as routes;
use super::negotiation::wants_activity_json;
use crate::db;
use crate::domain::merchants;
use crate::domain::products::{self, ListQuery, Product};
use crate::error::{Error, Result};
use crate::present::{esc, price_fr};
use crate::Node;
use etal_protocol::Availability;

/// Routes of the public pages.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/", get(home))
        .route("/shops/{slug}", get(shop))
        .route("/products/{id}", get(product))
        .route("/tags/{tag}", get(tag))
}

fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title>{head}<style>body{{font-family:system-ui,sans-serif;max-width:60rem;\
         margin:auto;padding:1rem;line-height:1.5}}img{{max-width:100%;height:auto;border-radius:.5rem}}\
         ul.grid{{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:1rem}}\
         </style></head><body>{body}</body></html>",
        esc(title)
    )
}

fn error_page(e: Error) -> Response {
    let status = super::problem::status_of(&e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return e.into_response();
    }
    let text = e.to_string();
    (
        status,
        Html(page(
            &text,
            "",
            &format!("<h1>{}</h1><p><a href=\"/\">Accueil</a></p>", esc(&text)),
        )),
    )
        .into_response()
}

async fn home(State(node): State<Arc<Node>>) -> Response {
    match home_html(&node).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(e),
    }
}

async fn home_html(node: &Node) -> Result<String> {
    let shops = db::merchants::list(node.db.pool(), None, 500).await?;
    let mut body = format!(
        "<h1>Commerces de {}</h1><ul class=\"grid\">",
        esc(node.urls.host())
    );
    for m in &shops {
        let _ = write!(
            body,
            "<li><a href=\"{}\"><strong>{}</strong></a><br>{}</li>",
            esc(node.urls.merchant(&m.slug)),
            esc(&m.fields.name),
            esc(&m.fields.address.city)
        );
    }
    body.push_str("</ul><p><a href=\"/api/docs\">API</a></p>");
    Ok(page("Commerces", "", &body))
}

fn product_card(p: &Product, node: &Node) -> String {
    let img = p.images.first().map_or(String::new(), |i| {
        let v = i.variant("small");
        format!(
            "<img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\" loading=\"lazy\"><br>",
            esc(node.urls.media(&v.path)),
            v.width,
            v.height,
            esc(i.alt.as_deref().unwrap_or(""))
        )
    });
    format!(
        "<li><a href=\"{}\">{img}<strong>{}</strong></a><br>{} / {}</li>",
        esc(node.urls.product(&p.id)),
        esc(&p.fields.name),
        esc(price_fr(&p.fields.price)),
        esc(p.fields.unit.label_fr())
    )
}

async fn shop(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if wants_activity_json(&headers) {
        return routes::merchant_document(&node, &slug).await;
    }
    let result = async {
        let m = merchants::get(&node, &slug).await?;
        let (items, _) = products::list(
            &node,
            &ListQuery {
                merchant: Some(slug.clone()),
                limit: 100,
                ..ListQuery::default()
            },
        )
        .await?;
        let f = &m.fields;
        let mut body = format!("<h1>{}</h1>", esc(&f.name));
        if let Some(d) = &f.description {
            let _ = write!(body, "<p>{}</p>", esc(d));
        }
        let a = &f.address;
        let _ = write!(
            body,
            "<p>{}{} {}</p>",
            a.street.as_deref().map(|s| format!("{}, ", esc(s))).unwrap_or_default(),
            esc(&a.postal_code),
            esc(&a.city)
        );
        if !f.opening_hours.is_empty() {
            let _ = write!(body, "<p>Horaires : {}</p>", esc(f.opening_hours.join(" ; ")));
        }
        body.push_str("<ul class=\"grid\">");
        for p in &items {
            body.push_str(&product_card(p, &node));
        }
        body.push_str("</ul>");
        let head = format!(
            "<link rel=\"canonical\" href=\"{0}\"><meta property=\"og:title\" content=\"{1}\">\
             <meta property=\"og:url\" content=\"{0}\"><meta property=\"og:type\" content=\"website\">",
            esc(node.urls.merchant(&m.slug)),
            esc(&f.name)
        );
        Ok::<_, Error>(page(&f.name, &head, &body))
    }
    .await;
    match result {
        Ok(html) => vary(Html(html).into_response()),
        Err(e) => error_page(e),
    }
}

/// Marks a negotiated answer as depending on `Accept`, for caches.
fn vary(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

async fn tag(State(node): State<Arc<Node>>, Path(tag): Path<String>) -> Response {
    let result = async {
        let (items, _) = products::list(
            &node,
            &ListQuery {
                tag: Some(tag.clone()),
                limit: 100,
                ..ListQuery::default()
            },
        )
        .await?;
        let mut body = format!("<h1>#{}</h1><ul class=\"grid\">", esc(&tag));
        for p in &items {
            body.push_str(&product_card(p, &node));
        }
        body.push_str("</ul>");
        Ok::<_, Error>(page(&format!("#{tag}"), "", &body))
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(e),
    }
}

async fn product(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if wants_activity_json(&headers) {
        return routes::product_document(&node, &id).await;
    }
    let result = async {
        let p = products::get(&node, &id).await?;
        let m = merchants::get(&node, &p.merchant_slug).await?;
        let f = &p.fields;
        let url = node.urls.product(&p.id);
        let mut head = format!(
            "<link rel=\"canonical\" href=\"{0}\"><meta property=\"og:type\" content=\"product\">\
             <meta property=\"og:title\" content=\"{1}\"><meta property=\"og:url\" content=\"{0}\">\
             <meta property=\"product:price:amount\" content=\"{2}\">\
             <meta property=\"product:price:currency\" content=\"{3}\">",
            esc(&url),
            esc(&f.name),
            f.price.amount_string(),
            f.price.currency.code()
        );
        let mut body = format!(
            "<p><a href=\"{}\">{}</a></p><h1>{}</h1><p><strong>{} / {}</strong> · {}</p>",
            esc(node.urls.merchant(&m.slug)),
            esc(&m.fields.name),
            esc(&f.name),
            esc(price_fr(&f.price)),
            esc(f.unit.label_fr()),
            match f.availability {
                Availability::InStock => "en stock",
                Availability::OutOfStock => "épuisé",
                Availability::Preorder => "sur commande",
            }
        );
        for (n, i) in p.images.iter().enumerate() {
            let v = i.variant("large");
            let src = node.urls.media(&v.path);
            if n == 0 {
                let _ = write!(
                    head,
                    "<meta property=\"og:image\" content=\"{}\"><meta property=\"og:image:width\" content=\"{}\">\
                     <meta property=\"og:image:height\" content=\"{}\"><meta property=\"og:image:alt\" content=\"{}\">",
                    esc(&src),
                    v.width,
                    v.height,
                    esc(i.alt.as_deref().unwrap_or(&f.name))
                );
            }
            let _ = write!(
                body,
                "<p><img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\"></p>",
                esc(&src),
                v.width,
                v.height,
                esc(i.alt.as_deref().unwrap_or(""))
            );
        }
        if let Some(d) = &f.description {
            let _ = write!(body, "<p>{}</p>", esc(d));
            let _ = write!(head, "<meta property=\"og:description\" content=\"{}\">", esc(d));
        }
        Ok::<_, Error>(page(&f.name, &head, &body))
    }
    .await;
    match result {
        Ok(html) => {
            vary(([(header::CACHE_CONTROL, "public, max-age=60")], Html(html)).into_response())
        }
        Err(e) => error_page(e),
    }
}

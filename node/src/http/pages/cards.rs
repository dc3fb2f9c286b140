//! Share images: a 1200×630 JPEG card per product and per shop (photo, name, price, shop,
//! town), drawn on first request by `crate::card`, kept on disk under `{data_dir}/cards/`
//! by version, so a change to the product or shop draws a new one (and its URL changes, so
//! social networks fetch it again).

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;

use crate::card::{self, CardInput};
use crate::domain::{merchants, products};
use crate::error::{Error, Result};
use crate::http::Node;
use crate::model::merchant::Merchant;
use crate::model::product::Product;
use crate::present::{self, Lang};
use crate::urls::Urls;

/// Cards drawn at once (each takes a core for tens of milliseconds).
static DRAWING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// Routes of the cards.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/cards/products/{file}", get(product_card))
        .route("/shops/{slug}/card.jpg", get(shop_card))
        .route("/cards/site.jpg", get(site_card))
        .route("/cards/vouchers/{file}", get(voucher_card))
}

/// A short fingerprint of the node's name, so that its card's URL changes with it.
fn name_tag(name: &str) -> String {
    crate::http::cache::fingerprint(name.as_bytes(), 5)
}

/// The card of the node itself, for the pages that show no shop or product.
pub fn site_card_url(node: &Node) -> String {
    format!(
        "{}/cards/site.jpg?v={}",
        node.cx.urls.base(),
        name_tag(&node.cx.site().name)
    )
}

async fn site_card(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let tag = format!("site-{}", name_tag(&node.cx.site().name));
    let file = node
        .cx
        .settings
        .data_dir
        .join("cards")
        .join(format!("{tag}.jpg"));
    let job = Job {
        title: node.cx.site().name.clone(),
        price: None,
        shop: Some("Commerces et produits du coin".into()),
        town: Some(node.cx.urls.host().to_string()),
        site: "Étal".into(),
        photo: None,
        accent: [11, 93, 59],
    };
    serve(&headers, &tag, file, job)
        .await
        .unwrap_or_else(|e| e.into_response())
}

/// The share card of a voucher campaign: its name, what it offers, the node.
pub fn voucher_card_url(urls: &Urls, c: &crate::domain::vouchers::Campaign) -> String {
    format!("{}/cards/vouchers/{}.jpg", urls.base(), c.id)
}

async fn voucher_card(
    State(node): State<Arc<Node>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let id = file
            .strip_suffix(".jpg")
            .ok_or_else(|| Error::NotFound("no such card".into()))?;
        let c = crate::domain::vouchers::campaign(&node.cx, id).await?;
        let euros = |minor: i64| {
            crate::present::price(
                &etal_protocol::Money {
                    minor,
                    currency: etal_protocol::Currency::EUR,
                },
                crate::present::Lang::Fr,
            )
        };
        let price = if c.price_minor == 0 {
            format!("Bon de {} offert", euros(c.face_minor))
        } else {
            format!(
                "Bon de {} pour {}",
                euros(c.face_minor),
                euros(c.price_minor)
            )
        };
        // A campaign does not change once made: its id is its version.
        let tag = format!(
            "voucher-{}-{}",
            c.id.simple(),
            name_tag(&node.cx.site().name)
        );
        let file = node
            .cx
            .settings
            .data_dir
            .join("cards")
            .join(format!("{tag}.jpg"));
        let job = Job {
            title: c.name.clone(),
            price: Some(price),
            shop: Some("Bons d’achat des commerces".into()),
            town: Some(node.cx.site().name.clone()),
            site: node.cx.urls.host().to_string(),
            photo: None,
            accent: [11, 93, 59],
        };
        serve(&headers, &tag, file, job).await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}

/// The card of a product, versioned by the product and its shop (whose name it shows), so
/// that networks fetch it again after either changes.
pub fn product_card_url(urls: &Urls, p: &Product, merchant_version: i64) -> String {
    format!(
        "{}/cards/products/{}.jpg?v={}.{merchant_version}",
        urls.base(),
        p.id,
        p.version
    )
}

async fn product_card(
    State(node): State<Arc<Node>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let id = file
            .strip_suffix(".jpg")
            .ok_or_else(|| Error::NotFound("cards are .jpg files".into()))?;
        let mut p = products::get(&node.cx, id).await?;
        if !p.local {
            // Mirrored products have their cards on their own node.
            return Err(Error::NotFound(format!("no card for \"{id}\" here")));
        }
        p.images = crate::domain::read::photos(&node.cx, p.id).await?;
        let m = crate::domain::read::shop_by_id(&node.cx, p.merchant_id)
            .await?
            .ok_or_else(|| Error::NotFound("no shop".into()))?;
        let tag = format!("p{}-{}-{}", p.id.simple(), p.version, m.version);
        let file = node
            .cx
            .settings
            .data_dir
            .join("cards")
            .join("p")
            .join(format!("{tag}.jpg"));
        let photo = p.images.first().map(|i| {
            crate::media::media_dir(&node.cx.settings.data_dir).join(&i.variant("large").path)
        });
        let price = present::price_per_unit(&p.fields.price, p.fields.unit, Lang::Fr);
        let job = Job {
            title: p.fields.name.clone(),
            price: Some(price),
            shop: Some(m.fields.name.clone()),
            town: Some(m.fields.address.city.clone()),
            site: node.cx.site().name.clone(),
            photo,
            accent: crate::avatar::colour(m.fields.category.as_deref()),
        };
        serve(&headers, &tag, file, job).await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}

async fn shop_card(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let m: Merchant = merchants::get(&node.cx, &slug).await?;
        let tag = format!("m{}-{}", m.id.simple(), m.version);
        let file = node
            .cx
            .settings
            .data_dir
            .join("cards")
            .join("m")
            .join(format!("{tag}.jpg"));
        // The shop's newest product photo, if any.
        let (newest, _) = products::search(
            &node.cx,
            &crate::model::search::SearchQuery {
                merchant: Some(m.id),
                limit: 6,
                ..Default::default()
            },
        )
        .await?;
        let photo = newest.iter().find_map(|p| {
            p.images.first().map(|i| {
                crate::media::media_dir(&node.cx.settings.data_dir).join(&i.variant("large").path)
            })
        });
        let job = Job {
            title: m.fields.name.clone(),
            price: m
                .fields
                .category
                .as_deref()
                .map(|c| present::category_label(c, Lang::Fr)),
            shop: m.fields.address.street.clone(),
            town: Some(format!(
                "{} {}",
                m.fields.address.postal_code, m.fields.address.city
            )),
            site: node.cx.site().name.clone(),
            photo,
            accent: crate::avatar::colour(m.fields.category.as_deref()),
        };
        serve(&headers, &tag, file, job).await
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}

struct Job {
    title: String,
    price: Option<String>,
    shop: Option<String>,
    town: Option<String>,
    site: String,
    photo: Option<PathBuf>,
    accent: [u8; 3],
}

fn draw(job: &Job) -> Vec<u8> {
    // The photo is one of the node's own stored copies (at most 1200 px): safe to decode.
    let photo = job
        .photo
        .as_ref()
        .and_then(|p| image::ImageReader::open(p).ok())
        .and_then(|r| r.with_guessed_format().ok())
        .and_then(|r| r.decode().ok());
    card::render(&CardInput {
        title: &job.title,
        price: job.price.as_deref(),
        shop: job.shop.as_deref(),
        town: job.town.as_deref(),
        site: &job.site,
        photo: photo.as_ref(),
        accent: job.accent,
    })
}

async fn serve(headers: &HeaderMap, tag: &str, file: PathBuf, job: Job) -> Result<Response> {
    let etag = format!("\"{tag}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let bytes = match tokio::fs::read(&file).await {
        Ok(b) => b,
        Err(_) => {
            let _permit = DRAWING.acquire().await.map_err(anyhow::Error::from)?;
            let target = file.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
                let bytes = draw(&job);
                let dir = target.parent().expect("cards have a folder");
                std::fs::create_dir_all(dir)?;
                // Older versions of the same card go.
                let stem = target
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.split('-').next())
                    .unwrap_or_default()
                    .to_string();
                if let Ok(entries) = std::fs::read_dir(dir) {
                    for e in entries.flatten() {
                        let name = e.file_name();
                        let name = name.to_string_lossy();
                        if name.starts_with(&format!("{stem}-"))
                            && !name.ends_with(".tmp")
                            && e.path() != target
                        {
                            let _ = std::fs::remove_file(e.path());
                        }
                    }
                }
                // A name of its own: two first requests for one card may draw it at once.
                let tmp = target.with_extension(format!("{}.tmp", uuid::Uuid::now_v7().simple()));
                std::fs::write(&tmp, &bytes)?;
                std::fs::rename(&tmp, &target)?;
                Ok(bytes)
            })
            .await
            .map_err(anyhow::Error::from)?
            .map_err(anyhow::Error::from)?
        }
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

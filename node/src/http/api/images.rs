//! `/api/v1/products/{id}/images`: up to four photos a product.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::ToSchema;

use super::views::ImageView;
use crate::domain::authz::{allow, Action, Caller};
use crate::domain::images::{self, ImagePatch};
use crate::domain::products;
use crate::error::{Error, Result};
use crate::http::extract::ApiJson;
use crate::http::problem::Problem;
use crate::http::Node;
use crate::media::MAX_UPLOAD_BYTES;

/// The multipart form of an upload (for the API docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// JPEG, PNG or WebP, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Alternative text.
    alt: Option<String>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge(format!(
            "a photo may be at most {} MB",
            MAX_UPLOAD_BYTES / 1024 / 1024
        ))
    } else {
        Error::Unreadable(format!("cannot read the multipart form: {}", e.body_text()))
    }
}

/// Adds a photo: multipart field `file` (JPEG, PNG or WebP, ≤ 10 MB), optional `alt`.
/// The photo is turned upright, stripped of EXIF and stored with resized copies.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", tag = "images",
    params(("id" = String, Path, description = "Product id")),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = ImageView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 10 MB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart, or not JPEG/PNG/WebP", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unreadable image, fifth photo, alt too long", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node holds as many uploads in memory as it takes: try again after Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response> {
    // Refuse before reading ten megabytes.
    let product = products::get(&node.cx, &id).await?;
    allow(&who, Action::EditProducts(product.merchant_id))?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(Error::UnsupportedFormat(
            "send the photo as multipart/form-data with a field named file".into(),
        ));
    }
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| Error::Unreadable(e.body_text()))?;
    let mut file: Option<bytes::Bytes> = None;
    let mut alt: Option<String> = None;
    // What the photo holds counts against the node's budget for uploads in memory.
    let mut buffered = crate::media::Buffered::default();
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let mut data = bytes::BytesMut::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if data.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        return Err(Error::TooLarge(format!(
                            "a photo may be at most {} MB",
                            MAX_UPLOAD_BYTES / 1024 / 1024
                        )));
                    }
                    buffered
                        .grow(chunk.len())
                        .map_err(|busy| Error::Busy(busy.to_string()))?;
                    data.extend_from_slice(&chunk);
                }
                file = Some(data.freeze());
            }
            "alt" => alt = Some(field.text().await.map_err(multipart_error)?),
            other => {
                return Err(Error::field(
                    other.to_string(),
                    "is not a field of this form (file, alt)",
                ));
            }
        }
    }
    let file = file.ok_or_else(|| Error::field("file", "is required"))?;
    let image = images::upload(&node.cx, &who, &id, file, alt).await?;
    drop(buffered);
    Ok((
        StatusCode::CREATED,
        Json(ImageView::new(image, &node.cx.urls)),
    )
        .into_response())
}

/// Changes a photo's alt text or position.
#[utoipa::path(patch, path = "/api/v1/products/{id}/images/{image_id}", tag = "images",
    params(("id" = String, Path, description = "Product id"), ("image_id" = String, Path, description = "Photo id")),
    request_body = ImagePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ImageView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path((id, image_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ImagePatch>,
) -> Result<Json<ImageView>> {
    let image = images::update(&node.cx, &who, &id, &image_id, body).await?;
    Ok(Json(ImageView::new(image, &node.cx.urls)))
}

/// Removes a photo and its files.
#[utoipa::path(delete, path = "/api/v1/products/{id}/images/{image_id}", tag = "images",
    params(("id" = String, Path, description = "Product id"), ("image_id" = String, Path, description = "Photo id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path((id, image_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    images::delete(&node.cx, &who, &id, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

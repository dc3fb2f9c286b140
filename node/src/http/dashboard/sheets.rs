//! A shop's catalogue as a spreadsheet: the import page and the CSV and XLSX downloads.

use askama::Template;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::read_multipart;
use super::wares::{shop_dash, shop_for};
use super::{Dash, Visit};
use crate::domain::authz::Action;
use crate::error::Error;
use crate::present::Lang;

struct ReportRow {
    line: usize,
    column: String,
    message: String,
}

struct ReportView {
    summary: String,
    rows: Vec<ReportRow>,
}

#[derive(Template)]
#[template(path = "dash/import.html")]
struct ImportPage {
    d: Dash,
    title: String,
    slug: String,
    report: Option<ReportView>,
}

/// `GET /dashboard/shops/{slug}/import`.
pub async fn import_form(v: Visit, Path(slug): Path<String>) -> Response {
    match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => v.render(
            StatusCode::OK,
            &ImportPage {
                d: shop_dash(&v, &m, "import"),
                title: v.w().import_title.into(),
                slug: m.slug.clone(),
                report: None,
            },
        ),
        Err(r) => r,
    }
}

/// `POST /dashboard/shops/{slug}/import`: imports a CSV file and shows the report.
pub async fn import(v: Visit, Path(slug): Path<String>, form: Multipart) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (f, files, _buffered) = match read_multipart(&v, form, super::MAX_IMPORT_BYTES).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(file) = files.into_iter().next() else {
        return v.error(Error::field("file", "choose a CSV file"));
    };
    let valid_only = f.get("valid_only") == "1";
    let report = match crate::domain::spreadsheet::import(
        &v.node.cx,
        &v.caller(),
        &slug,
        file,
        valid_only,
        &mut |_| {},
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    let w = v.w();
    let summary = if report.written || report.bad_rows == 0 {
        match v.lang {
            Lang::Fr => format!(
                "{} lignes lues : {} produits ajoutés, {} modifiés, {} inchangés, {} lignes refusées.",
                report.rows, report.created, report.updated, report.unchanged, report.bad_rows
            ),
            Lang::En => format!(
                "{} rows read: {} products added, {} changed, {} unchanged, {} rows refused.",
                report.rows, report.created, report.updated, report.unchanged, report.bad_rows
            ),
        }
    } else {
        format!(
            "{} ({} / {})",
            w.import_refused, report.bad_rows, report.rows
        )
    };
    let status = if report.written || report.bad_rows == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    v.render(
        status,
        &ImportPage {
            d: shop_dash(&v, &m, "import"),
            title: w.import_title.into(),
            slug: m.slug.clone(),
            report: Some(ReportView {
                summary,
                rows: report
                    .errors
                    .into_iter()
                    .map(|e| ReportRow {
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    })
                    .collect(),
            }),
        },
    )
}

/// `GET /dashboard/shops/{slug}/products.csv`: the catalogue as a spreadsheet.
pub async fn export(v: Visit, Path(slug): Path<String>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    match crate::domain::spreadsheet::export(&v.node.cx, &v.caller(), &slug).await {
        Ok(csv) => {
            use axum::http::{header, HeaderValue};
            let mut res = csv.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{slug}-products.csv\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => v.error(e),
    }
}

/// `GET /dashboard/shops/{slug}/products.xlsx`: the catalogue as an Excel workbook.
pub async fn export_xlsx(v: Visit, Path(slug): Path<String>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    match crate::domain::spreadsheet::export_xlsx(&v.node.cx, &v.caller(), &slug).await {
        Ok(bytes) => {
            use axum::http::{header, HeaderValue};
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{slug}-products.xlsx\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => v.error(e),
    }
}

//! The open data files (`merchants.csv`, `products.csv`, `products.ndjson`), made once per
//! change of the data and kept on disk gzipped (`{data_dir}/open-data/`), then served from
//! there to every download: whole or by byte ranges (206, so that harvesters resume large
//! downloads), gzipped as kept or unzipped on the fly for clients that do not take gzip.
//!
//! Each file carries the change feed's cursor it is consistent with (`Change-Feed-Cursor`,
//! and in `datapackage.json`): the cursor is read before the file is made, so the file holds
//! every change up to it (and perhaps some after, which the feed gives again). A harvester
//! loads the file, then reads the feed from that cursor.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use uuid::Uuid;

use crate::domain::open_data;
use crate::error::{Error, Result};
use crate::http::Node;
use crate::open_data::to_open_data;

/// Rows read from the database at a time.
const PAGE: i64 = 1000;
/// The header of a file giving the change feed's cursor it is consistent with.
pub const CURSOR_HEADER: &str = "change-feed-cursor";

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dump {
    /// `merchants.csv`.
    MerchantsCsv,
    /// `products.csv`.
    ProductsCsv,
    /// `products.ndjson`.
    ProductsNdjson,
}

impl Dump {
    /// Every file.
    pub const ALL: [Dump; 3] = [Dump::MerchantsCsv, Dump::ProductsCsv, Dump::ProductsNdjson];

    /// Its name under `/open-data/`.
    pub fn name(self) -> &'static str {
        match self {
            Dump::MerchantsCsv => "merchants.csv",
            Dump::ProductsCsv => "products.csv",
            Dump::ProductsNdjson => "products.ndjson",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Dump::MerchantsCsv | Dump::ProductsCsv => "text/csv; charset=utf-8; header=present",
            Dump::ProductsNdjson => "application/x-ndjson",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A file as made.
#[derive(Debug, Clone)]
pub struct Made {
    /// The change feed's cursor it is consistent with (`0`: before any change).
    pub cursor: String,
    /// Where it is kept, gzipped.
    path: PathBuf,
    /// Its length unzipped, and gzipped.
    plain_len: u64,
    gz_len: u64,
    /// The last change of the data it holds (ms), for `Last-Modified`.
    modified: i64,
}

/// The files made so far in this process; one is made at a time per file, and a download
/// that finds its file out of date waits for the new one.
#[derive(Debug, Default)]
pub struct Dumps {
    made: [tokio::sync::Mutex<Option<Made>>; 3],
    count: std::sync::atomic::AtomicU64,
}

impl Dumps {
    /// How many files this process made so far.
    pub fn made(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn cursor_of(head: Option<(i64, Uuid)>) -> String {
    match head {
        Some((seq, id)) => format!("{seq}.{id}"),
        None => "0".into(),
    }
}

/// The file as it is now: made again if the data changed since it was last made (or if it
/// never was in this process).
pub async fn current(node: &Arc<Node>, kind: Dump) -> Result<Made> {
    let cursor = cursor_of(open_data::head(&node.cx).await?);
    let mut slot = node.dumps.made[kind.index()].lock().await;
    if let Some(made) = slot.as_ref() {
        if made.cursor == cursor && made.path.exists() {
            return Ok(made.clone());
        }
    }
    let made = make(node, kind, cursor).await?;
    node.dumps
        .count
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    slot.replace(made.clone());
    // Earlier versions of the file go (those of an earlier run too); a download under way
    // keeps reading the one it opened.
    if let Ok(entries) = std::fs::read_dir(made.path.parent().unwrap_or(&made.path)) {
        let prefix = format!("{}.", kind.name());
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with(&prefix) && name.ends_with(".gz") && entry.path() != made.path {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(made)
}

/// Makes a file from the database into `{data_dir}/open-data/`.
async fn make(node: &Arc<Node>, kind: Dump, cursor: String) -> Result<Made> {
    let (_, products_at, _, merchants_at) = open_data::version(&node.cx).await?;
    let dir = node.cx.settings.data_dir.join("open-data");
    std::fs::create_dir_all(&dir).map_err(|e| Error::Internal(e.into()))?;
    let path = dir.join(format!("{}.{}.gz", kind.name(), cursor.replace('.', "-")));
    let tmp = dir.join(format!(".{}.{}.tmp", kind.name(), Uuid::now_v7()));
    let file = std::fs::File::create(&tmp).map_err(|e| Error::Internal(e.into()))?;
    let mut gz = GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::new(6));
    let mut rows = Rows {
        node: node.clone(),
        kind,
        after_id: None,
        after_slug: None,
        started: false,
    };
    let mut plain_len = 0u64;
    let mut chunk = Vec::new();
    loop {
        chunk.clear();
        let more = rows
            .next(&mut chunk)
            .await
            .map_err(|e| Error::Internal(e.context("cannot read the open data")))?;
        plain_len += chunk.len() as u64;
        // Compressing takes the CPU: off the async workers, a page at a time.
        let (back, done) = tokio::task::spawn_blocking(move || {
            let written = gz.write_all(&chunk);
            ((gz, chunk), written)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?;
        (gz, chunk) = back;
        done.map_err(|e| Error::Internal(e.into()))?;
        if !more {
            break;
        }
    }
    let gz_len = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut out = gz.finish()?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(|e| Error::Internal(e.into()))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::Internal(e.into()))?;
    tracing::info!(file = kind.name(), %cursor, bytes = plain_len, gzipped = gz_len, "open data file made");
    Ok(Made {
        cursor,
        path,
        plain_len,
        gz_len,
        modified: products_at.max(merchants_at),
    })
}

/// Where a file's rows are.
struct Rows {
    node: Arc<Node>,
    kind: Dump,
    after_id: Option<Uuid>,
    after_slug: Option<String>,
    started: bool,
}

impl Rows {
    /// Writes the next page of rows (and the header first); whether more may follow.
    async fn next(&mut self, out: &mut Vec<u8>) -> anyhow::Result<bool> {
        let (cx, urls) = (&self.node.cx, &self.node.cx.urls);
        let first = !self.started;
        self.started = true;
        match self.kind {
            Dump::MerchantsCsv => {
                let page = open_data::shops_page(cx, self.after_slug.as_deref(), PAGE).await?;
                let mut w = csv::WriterBuilder::new().from_writer(out);
                if first {
                    w.write_record(to_open_data::MERCHANT_COLUMNS)?;
                }
                for m in &page {
                    w.write_record(to_open_data::merchant_row(urls, m))?;
                }
                w.flush()?;
                self.after_slug = page.last().map(|m| m.slug.clone());
                Ok(page.len() as i64 == PAGE)
            }
            Dump::ProductsCsv | Dump::ProductsNdjson => {
                let page = open_data::products_page(cx, self.after_id, PAGE).await?;
                let ids: Vec<Uuid> = page.iter().map(|p| p.id).collect();
                let images = open_data::photos(cx, &ids).await?;
                if self.kind == Dump::ProductsCsv {
                    let mut w = csv::WriterBuilder::new().from_writer(&mut *out);
                    if first {
                        w.write_record(to_open_data::PRODUCT_COLUMNS)?;
                    }
                    for p in &page {
                        w.write_record(to_open_data::product_row(urls, p, images.get(&p.id)))?;
                    }
                    w.flush()?;
                } else {
                    for p in &page {
                        let line = to_open_data::product_record(urls, p, images.get(&p.id));
                        serde_json::to_writer(&mut *out, &line)?;
                        out.push(b'\n');
                    }
                }
                self.after_id = page.last().map(|p| p.id);
                Ok(page.len() as i64 == PAGE)
            }
        }
    }
}

/// Whether the client takes gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// The one byte range asked for, on a representation of `len` bytes: `Ok(None)` for the
/// whole (no `Range`, several ranges, or a unit other than bytes), `Err` if it cannot be
/// satisfied.
fn range_of(headers: &HeaderMap, len: u64) -> std::result::Result<Option<(u64, u64)>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        // The last `b` bytes.
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (len.saturating_sub(n), len.saturating_sub(1))
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end: u64 = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(len.saturating_sub(1))
        };
        (start, end)
    };
    if len == 0 || start >= len || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Serves a file: 304 when the client has it, 206 for a byte range, 416 for one outside it.
pub async fn serve(node: &Arc<Node>, headers: &HeaderMap, kind: Dump) -> Result<Response> {
    let made = current(node, kind).await?;
    // Opened now: a newer file made meanwhile removes this one, but not from under a reader.
    let file = std::fs::File::open(&made.path).map_err(|e| Error::Internal(e.into()))?;
    let gzip = accepts_gzip(headers);
    let site = node.cx.site();
    // Strong: byte ranges of one version of one representation.
    let etag = format!(
        "\"{}-{}{}\"",
        kind.name(),
        made.cursor,
        if gzip { "-gzip" } else { "" }
    );
    let modified = crate::clock::time(made.modified);
    let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| modified.timestamp() <= since.timestamp()),
    };
    let len = if gzip { made.gz_len } else { made.plain_len };
    // `If-Range`: a range of the version the client has, else the whole.
    let same_version = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag || v.trim() == last_modified);
    let range = if same_version {
        range_of(headers, len)
    } else {
        Ok(None)
    };
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match range {
            Err(()) => {
                let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(res);
            }
            Ok(range) => {
                let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
                let count = if len == 0 { 0 } else { end - start + 1 };
                let body = body_of(file, gzip, start, count);
                let mut res = Response::new(body);
                if range.is_some() {
                    *res.status_mut() = StatusCode::PARTIAL_CONTENT;
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                        res.headers_mut().insert(header::CONTENT_RANGE, v);
                    }
                }
                let h = res.headers_mut();
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(kind.content_type()),
                );
                if gzip {
                    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                if let Ok(v) =
                    HeaderValue::from_str(&format!("inline; filename=\"{}\"", kind.name()))
                {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                res
            }
        }
    };
    let h = res.headers_mut();
    for (name, value) in [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, last_modified),
        (
            header::CACHE_CONTROL,
            "public, max-age=300, must-revalidate".to_string(),
        ),
        (
            header::LINK,
            format!(
                "<{}>; rel=\"license\"; title=\"{}\", <{}/open-data/datapackage.json>; rel=\"describedby\"; type=\"application/json\"",
                site.licence.url(),
                site.licence.name(),
                node.cx.urls.base()
            ),
        ),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&made.cursor) {
        h.insert(CURSOR_HEADER, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(res)
}

/// `count` bytes from `start` of the file, gzipped as kept or unzipped, read off the async
/// workers a chunk at a time.
fn body_of(file: std::fs::File, gzip: bool, start: u64, count: u64) -> Body {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let send = |chunk: std::io::Result<Bytes>| tx.blocking_send(chunk).is_ok();
        let mut reader: Box<dyn Read> = if gzip {
            let mut file = file;
            if let Err(e) = file.seek(std::io::SeekFrom::Start(start)) {
                send(Err(e));
                return;
            }
            Box::new(file)
        } else {
            let mut plain = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
            // Unzipped, a range starts after the bytes before it.
            if let Err(e) = std::io::copy(&mut (&mut plain).take(start), &mut std::io::sink()) {
                send(Err(e));
                return;
            }
            Box::new(plain)
        };
        let mut left = count;
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let want = buf.len().min(left as usize);
            match reader.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => {
                    left -= n as u64;
                    if !send(Ok(Bytes::copy_from_slice(&buf[..n]))) {
                        return;
                    }
                }
                Err(e) => {
                    send(Err(e));
                    return;
                }
            }
        }
    });
    Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, len: u64) -> std::result::Result<Option<(u64, u64)>, ()> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        range_of(&h, len)
    }

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-99", 1000), Ok(Some((0, 99))));
        assert_eq!(range("bytes=900-", 1000), Ok(Some((900, 999))));
        assert_eq!(range("bytes=-100", 1000), Ok(Some((900, 999))));
        assert_eq!(range("bytes=900-5000", 1000), Ok(Some((900, 999))));
        assert_eq!(range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(range("items=0-1", 1000), Ok(None));
        assert_eq!(range("bytes=1000-", 1000), Err(()));
        assert_eq!(range("bytes=5-1", 1000), Err(()));
        assert_eq!(range("bytes=x-1", 1000), Err(()));
    }
}

//! One signed POST of an activity to an inbox, and what its answer means.

use url::Url;

use crate::federation::signing::{self, SigningKey};
use etal_protocol::ap;

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 410: the inbox is gone for good; its followers go too.
    Gone,
    /// Another 4xx: this delivery will never succeed, but the host is alive.
    Refused(u16),
    /// Network error, timeout, 5xx, 408 or 429: try again later.
    Retry(String),
    /// Not sent because of a fault of ours (no key at hand): try again, the host is not to blame.
    Deferred(String),
}

/// POSTs `body` to `inbox`, signed by `key`.
pub async fn send(
    client: &reqwest::Client,
    key: &SigningKey,
    inbox: &str,
    body: &str,
    allow_private: bool,
) -> Outcome {
    let url = match Url::parse(inbox) {
        Ok(u) => u,
        Err(e) => return Outcome::Refused(0).or_log(inbox, &e.to_string()),
    };
    if let Err(e) = crate::federation::fetch::check_url(&url, allow_private) {
        return Outcome::Refused(0).or_log(inbox, &e.to_string());
    }
    let digest = signing::digest_header(body.as_bytes());
    let date = signing::http_date(chrono::Utc::now());
    let signed = signing::sign_post(key, &url, &digest, ap::ACTIVITY_JSON, &date);
    let res = client
        .post(url)
        .header("content-type", ap::ACTIVITY_JSON)
        .header("date", signed.date)
        .header("digest", digest)
        .header("signature", signed.signature)
        .body(body.to_string())
        .send()
        .await;
    match res {
        Err(e) => Outcome::Retry(e.to_string()),
        Ok(r) => {
            let status = r.status().as_u16();
            match status {
                200..=299 => Outcome::Delivered,
                410 => Outcome::Gone,
                408 | 429 => Outcome::Retry(format!("HTTP {status}")),
                400..=499 => Outcome::Refused(status),
                _ => Outcome::Retry(format!("HTTP {status}")),
            }
        }
    }
}

impl Outcome {
    fn or_log(self, inbox: &str, why: &str) -> Outcome {
        tracing::warn!(inbox, why, "delivery refused before sending");
        self
    }
}

//! The merchant and admin space over HTTP, as a browser uses it: cookies, forms with their
//! CSRF token, redirects. (`tests/browser/` drives the same pages in Chromium.)

mod access;
mod accounts;
mod moderation;
mod shop;
mod spreadsheet;

use std::io::Cursor;

use etal_node::model::account::Role;
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::harness::TestNode;

/// A browser: its cookies, no automatic redirects.
pub struct Browser {
    pub client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    /// The client address a loopback proxy would say it forwards for.
    forwarded: Option<String>,
}

/// A page as the browser got it.
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Got {
    /// Where a redirect goes.
    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// The first `_csrf` value of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"_csrf\" value=\"")
            .unwrap_or_else(|| panic!("no form token in {}", self.html));
        let rest = &self.html[at + "name=\"_csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

impl Browser {
    pub fn new(t: &TestNode) -> Browser {
        Browser::at(&t.url)
    }

    /// A browser for the node at `base`.
    pub fn at(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: vec![],
            forwarded: None,
        }
    }

    /// This browser as seen through a reverse proxy on the node's machine: from `ip`.
    pub fn from(mut self, ip: &str) -> Browser {
        self.forwarded = Some(ip.to_string());
        self
    }

    /// Takes the cookies of another browser (the same person in a second tab).
    pub fn cookies_from(&mut self, other: &Browser) {
        self.cookies = other.cookies.clone();
    }

    /// The node's address.
    pub fn base(&self) -> String {
        self.base.clone()
    }

    /// Changes the address the proxy forwards for.
    pub fn set_from(&mut self, ip: &str) {
        self.forwarded = Some(ip.to_string());
    }

    /// Forgets the session cookie, keeping the others (signed out, same browser).
    pub fn forget_session_only(&mut self) {
        self.cookies.retain(|(k, _)| k != "etal_session");
    }

    /// Whether the node gave this browser a device cookie.
    pub fn has_device(&self) -> bool {
        self.cookies.iter().any(|(k, _)| k == "etal_device")
    }

    pub fn cookie_header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let s: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        HeaderValue::from_str(&s.join("; ")).ok()
    }

    async fn run(&mut self, req: reqwest::RequestBuilder) -> Got {
        let req = match self.cookie_header() {
            Some(c) => req.header(COOKIE, c),
            None => req,
        };
        let req = match &self.forwarded {
            Some(ip) => req.header("x-forwarded-for", ip.as_str()),
            None => req,
        };
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
        let html = res.text().await.unwrap();
        Got {
            status,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Got {
        let req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html");
        self.run(req).await
    }

    /// Posts a form as a page of this site does (same origin).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Got {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields));
        self.run(req).await
    }

    /// Posts a form with extra headers (a forged one, say).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Got {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.run(req).await
    }

    /// Posts a multipart form.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Got {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .multipart(form);
        self.run(req).await
    }

    /// The token of the forms on `path`.
    pub async fn token(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
        page.csrf()
    }

    /// Signs in through the login form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Got {
        let token = self.token("/login").await;
        self.post(
            "/login",
            &[("_csrf", &token), ("email", email), ("password", password)],
        )
        .await
    }

    pub fn has_session(&self) -> bool {
        self.cookies.iter().any(|(k, _)| k == "etal_session")
    }
}

fn encode(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The path of a link the node made.
pub fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    u.path().to_string()
}

/// An account with a password, signed in: the invitation accepted through its page.
pub async fn person(t: &TestNode, email: &str, shop: Option<(&str, Role)>, admin: bool) -> Browser {
    let merchant = match shop {
        Some((slug, role)) => Some((
            etal_node::domain::merchants::get(&t.node.cx, slug)
                .await
                .unwrap()
                .id,
            role,
        )),
        None => None,
    };
    let link = etal_node::domain::people::create_or_invite(&t.node.cx, email, merchant, admin)
        .await
        .unwrap()
        .expect("a new account gets an invitation");
    let mut b = Browser::new(t);
    let path = path_of(&link.url);
    let token = b.token(&path).await;
    let done = b
        .post(&path, &[("_csrf", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(b.has_session());
    b
}

/// The password every test account gets.
pub const PASSWORD: &str = "une phrase assez longue";

/// A JPEG photo.
pub fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A one-message SMTP server: accepts whatever is sent and hands over the message.
pub async fn smtp_sink() -> (u16, tokio::sync::mpsc::Receiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = tx.send(std::mem::take(&mut data)).await;
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

/// The first link containing `path_part` in the next mail.
pub async fn link_in_mail(
    inbox: &mut tokio::sync::mpsc::Receiver<String>,
    path_part: &str,
) -> String {
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv())
        .await
        .expect("a mail arrives")
        .unwrap();
    let mail = mail.replace("=\n", "").replace("=3D", "=");
    mail.split_whitespace()
        .find(|w| w.contains(path_part))
        .unwrap_or_else(|| panic!("no {path_part} link in {mail}"))
        .to_string()
}

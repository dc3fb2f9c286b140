//! The HTTP server under attack: slow clients, costly pictures, content sniffing.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::federation::shop_with_product;
use crate::harness::{spawn, spawn_with};

#[tokio::test]
async fn a_connection_that_trickles_its_headers_is_closed() {
    let t = spawn_with(|s| s.limits.header_timeout = Duration::from_secs(1)).await;
    let addr = t
        .url
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /api/v1/merchants HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await;
    match read {
        Err(_) => panic!("the connection is still open after 10 s"),
        // Closed (0 bytes), reset, or a 408 before closing: all end the connection.
        Ok(Ok(n)) => assert!(
            n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Ok(Err(_)) => {}
    }
    // A connection that sends nothing at all is closed too.
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    assert!(read.is_ok(), "a silent connection is still open after 10 s");
    // The server still serves.
    assert_eq!(t.get("/api/v1/merchants").await.status, 200);
}

#[tokio::test]
async fn generated_pictures_are_drawn_once() {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let drawn = t.node.avatars.drawn();
    for _ in 0..3 {
        for picture in ["icon.png", "header.png"] {
            let res = t
                .client
                .get(format!("{}/shops/boulangerie/{picture}", t.url))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "image/png");
            assert!(!res.bytes().await.unwrap().is_empty());
        }
    }
    assert_eq!(t.node.avatars.drawn() - drawn, 2);
}

#[tokio::test]
async fn every_response_says_nosniff_and_pages_carry_a_content_security_policy() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    for path in [
        "/".to_string(),
        "/shops/boulangerie".to_string(),
        format!("/products/{pid}"),
        "/api/v1/merchants".to_string(),
        "/api/docs/".to_string(),
        "/nothing-here".to_string(),
    ] {
        let res = t
            .client
            .get(format!("{}{path}", t.url))
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let html = h["content-type"].to_str().unwrap().starts_with("text/html");
        if html {
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
                "{path}: {csp}"
            );
        }
    }
    let photo = t.get(&format!("/api/v1/products/{pid}")).await.body["images"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = t.client.get(&photo).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

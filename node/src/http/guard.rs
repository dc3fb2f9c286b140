//! The server's guards against clients that hold it: who a client is (its address, or the one
//! a reverse proxy on the node's machine forwards for it), how many connections and requests
//! each client may hold at once, and request bodies that must keep coming at a minimum rate
//! and end before a deadline (a body that trickles a byte every few seconds is cut).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// A client as limits count it: an IPv4 address, or an IPv6 /64 (what one subscriber gets).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The address a reverse proxy on the node's machine (a loopback peer) forwards for: the last
/// of `X-Forwarded-For` (the one that proxy saw; earlier ones are the client's to invent).
pub fn forwarded_for(headers: &HeaderMap, peer: SocketAddr) -> Option<IpAddr> {
    if !peer.ip().is_loopback() {
        return None;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

/// The client of a request: the peer, or the address a loopback proxy forwards for.
pub fn client_of(headers: &HeaderMap, peer: SocketAddr) -> String {
    client_key(forwarded_for(headers, peer).unwrap_or(peer.ip()))
}

/// What each client holds at once, counted: connections (by peer) or requests (by forwarded
/// address). A client may hold `per_client`; when the server is short of room (`short`), a
/// client already holding an eighth of that gets no more, so that slots stay for the others.
#[derive(Debug)]
pub struct Holds {
    held: Mutex<HashMap<String, usize>>,
    per_client: usize,
}

/// One thing held by a client; dropping it gives it back.
#[derive(Debug)]
pub struct Hold {
    holds: Arc<Holds>,
    key: String,
}

impl Holds {
    /// Counts for clients that may hold `per_client` each.
    pub fn new(per_client: usize) -> Arc<Holds> {
        Arc::new(Holds {
            held: Mutex::new(HashMap::new()),
            per_client: per_client.max(1),
        })
    }

    /// One more for `key`, unless it holds its share already.
    pub fn take(self: &Arc<Self>, key: String, short: bool) -> Option<Hold> {
        let cap = if short {
            (self.per_client / 8).max(1)
        } else {
            self.per_client
        };
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Hold {
            holds: self.clone(),
            key,
        })
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut held = self.holds.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Requests in flight per client behind a reverse proxy on the node's machine (its peer is
/// loopback, so connections cannot be counted per client): past the client's share, 429 and
/// the connection closes. Requests from the machine itself without `X-Forwarded-For` (local
/// tools) are not limited.
pub async fn limit_forwarded(
    State(holds): State<Arc<Holds>>,
    req: Request,
    next: Next,
) -> Response {
    let forwarded = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .and_then(|peer| forwarded_for(req.headers(), peer.0));
    let Some(ip) = forwarded else {
        return next.run(req).await;
    };
    let Some(_hold) = holds.take(client_key(ip), false) else {
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "10")],
            "too many requests at once from this address",
        )
            .into_response();
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return res;
    };
    next.run(req).await
}

/// How fast a request body must come.
#[derive(Debug, Clone, Copy)]
pub struct BodyPace {
    /// Time before the rate counts (a slow start is fine).
    pub grace: Duration,
    /// Least average rate after the grace, in bytes a second.
    pub min_rate: u64,
    /// Longest a body may take, whatever its rate.
    pub deadline: Duration,
}

/// Why a body was cut.
#[derive(Debug, thiserror::Error)]
#[error("the request body came too slowly (at least {min_rate} bytes a second after {grace:?}, all of it within {deadline:?})")]
pub struct TooSlow {
    min_rate: u64,
    grace: Duration,
    deadline: Duration,
}

/// A request body that must keep [`BodyPace`]: by the time `t` after its start, at least
/// `min_rate × (t − grace)` bytes must have come, and all of it by `deadline`. One timer, set
/// for the moment the body would fall behind; each chunk that arrives moves it on.
pub struct PacedBody<B> {
    inner: B,
    pace: BodyPace,
    started: Instant,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> PacedBody<B> {
    /// Guards `inner`, starting now.
    pub fn new(inner: B, pace: BodyPace) -> PacedBody<B> {
        PacedBody {
            inner,
            pace,
            started: Instant::now(),
            received: 0,
            timer: None,
        }
    }

    /// When the body falls behind unless more comes.
    fn due(&self) -> Instant {
        let rate = self.pace.min_rate.max(1);
        let allowed = Duration::from_millis(self.received.saturating_mul(1000) / rate);
        let behind = self.started + self.pace.grace + allowed;
        behind.min(self.started + self.pace.deadline)
    }
}

impl<B> Body for PacedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let due = this.due();
                    if let Some(t) = this.timer.as_mut() {
                        t.as_mut().reset(due);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let due = this.due();
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Err(Box::new(TooSlow {
                        min_rate: this.pace.min_rate,
                        grace: this.pace.grace,
                        deadline: this.pace.deadline,
                    }))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_hold_their_share_and_give_it_back() {
        let holds = Holds::new(16);
        let mine: Vec<Hold> = (0..16)
            .map(|_| holds.take("203.0.113.7".into(), false).unwrap())
            .collect();
        assert!(holds.take("203.0.113.7".into(), false).is_none());
        assert!(holds.take("203.0.113.8".into(), false).is_some());
        // Short of room: a client holding two or more gets nothing more.
        let _a = holds.take("198.51.100.1".into(), true).unwrap();
        let _b = holds.take("198.51.100.1".into(), true).unwrap();
        assert!(holds.take("198.51.100.1".into(), true).is_none());
        drop(mine);
        assert!(holds.held.lock().unwrap().get("203.0.113.7").is_none());
        assert!(holds.take("203.0.113.7".into(), false).is_some());
    }

    #[test]
    fn ipv6_clients_count_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.4".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.4");
    }

    /// A body that gives `size` bytes each `gap`, `left` times.
    struct Trickle {
        gap: Duration,
        size: usize,
        next: Option<Pin<Box<Sleep>>>,
        left: usize,
    }

    impl Body for Trickle {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.left == 0 {
                return Poll::Ready(None);
            }
            let gap = self.gap;
            let t = self
                .next
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(gap)));
            match t.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.next = None;
                    self.left -= 1;
                    Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; self.size])))))
                }
                Poll::Pending => Poll::Pending,
            }
        }
    }

    #[tokio::test]
    async fn a_trickle_is_cut_after_the_grace() {
        use http_body_util::BodyExt;
        // The defaults divided by 50: 200 ms of grace, 4 KiB/s.
        let pace = BodyPace {
            grace: Duration::from_millis(200),
            min_rate: 4096,
            deadline: Duration::from_secs(6),
        };
        let started = Instant::now();
        let trickle = Trickle {
            gap: Duration::from_millis(240),
            size: 1,
            next: None,
            left: 100_000,
        };
        let err = PacedBody::new(trickle, pace).collect().await.unwrap_err();
        assert!(err.to_string().contains("too slowly"), "{err}");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(240), "cut after {took:?}");
        // A steady body keeps going past the grace: 64 KiB a second for a second.
        let steady = Trickle {
            gap: Duration::from_millis(2),
            size: 128,
            next: None,
            left: 500,
        };
        let body = PacedBody::new(steady, pace).collect().await.unwrap();
        assert_eq!(body.to_bytes().len(), 64_000);
    }
}

//! Building and running a node: open storage, seed the demo if asked, serve HTTP until a
//! shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::Node;

/// A node ready to serve.
pub struct App {
    node: Arc<Node>,
    listener: TcpListener,
}

impl App {
    /// Binds `settings.listen`, opens the node and seeds the demo town if asked.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        App::with_listener(settings, listener).await
    }

    /// Like [`App::build`] on a listener already bound (tests bind port 0 first, then derive
    /// the public URL from the port).
    pub async fn with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<App> {
        App::with_clock(settings, listener, Arc::new(crate::clock::SystemClock)).await
    }

    /// Like [`App::with_listener`], with the clock the delivery schedules use.
    pub async fn with_clock(
        settings: Settings,
        listener: TcpListener,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> anyhow::Result<App> {
        if settings.allow_private_networks {
            tracing::warn!(
                "--allow-private-networks is on: loopback and private peers, http:// and explicit \
                 ports are accepted. Use it for local testing only."
            );
        }
        let demo = settings.demo;
        let node = Arc::new(Node::open_with_clock(settings, clock).await?);
        if demo {
            crate::demo::seed(&node)
                .await
                .context("cannot seed the demo town")?;
        }
        Ok(App { node, listener })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    /// The node's shared state.
    pub fn node(&self) -> Arc<Node> {
        self.node.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::http::router(self.node.clone());
        tracing::info!(
            address = %self.local_addr(),
            public_url = %self.node.urls.base(),
            "Étal node listening"
        );
        let worker = crate::delivery::spawn(self.node.clone());
        let harvester = self
            .node
            .settings
            .aggregator
            .then(|| crate::federation::harvest::spawn(self.node.clone()));
        // Other node processes on the same PostgreSQL: notice their writes.
        let changes = (self.node.db.backend() == crate::db::Backend::Postgres)
            .then(|| tokio::spawn(crate::http::freshness::watch_changes(self.node.clone())));
        let limits = self.node.settings.limits.clone();
        let served = serve(self.listener, router, &limits, stop)
            .await
            .context("server error");
        worker.abort();
        if let Some(h) = harvester {
            h.abort();
        }
        if let Some(c) = changes {
            c.abort();
        }
        served?;
        self.node.db.close().await;
        Ok(())
    }
}

/// Serves HTTP/1.1 with the limits a public server needs. A client must start its request
/// within `header_timeout` and send its headers within it (a connection that sends nothing,
/// trickles its headers, or idles between requests is closed); a connection lives at most
/// `max_connection_age`, so that clients that stop reading cannot hold it; and at most
/// `max_connections` are served at once (more wait in the kernel's backlog). HTTP/2 is left to
/// the reverse proxy in front of the node.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: &crate::config::Limits,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (header_timeout, max_age) = (limits.header_timeout, limits.max_connection_age);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        // Handlers that need the client's address (the sign-in throttle) read it here.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        ));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // Nothing is spent on a connection until its first byte arrives.
            let mut first = [0u8; 1];
            let started = tokio::time::timeout(header_timeout, stream.peek(&mut first)).await;
            if matches!(started, Ok(Ok(n)) if n > 0) {
                let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                let _ = tokio::time::timeout(max_age, conn).await;
            }
            drop(permit);
        });
    }
    // Requests under way finish (for up to 10 s); idle connections close.
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

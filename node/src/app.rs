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
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(stop)
            .await
            .context("server error");
        worker.abort();
        served?;
        self.node.db.close().await;
        Ok(())
    }
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

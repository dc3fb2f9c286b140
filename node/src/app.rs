//! Building and running a node: open storage, seed the demo if asked, serve HTTP until a
//! shutdown signal; and write a generated national dataset into new nodes (`etal dev gen-dataset`).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::http::Node;

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
        // A spreadsheet import a stopped process left half applied is finished now.
        crate::domain::spreadsheet::recover(&node.cx)
            .await
            .map_err(|e| anyhow::anyhow!("cannot finish an interrupted import: {e}"))?;
        if demo {
            crate::demo::seed(&node.cx)
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
            public_url = %self.node.cx.urls.base(),
            "Étal node listening"
        );
        let worker = crate::delivery::spawn(self.node.fed.clone(), self.node.hosts.clone());
        let notices =
            crate::delivery::notices::spawn(self.node.fed.clone(), self.node.mail.clone());
        let harvester = self
            .node
            .cx
            .settings
            .aggregator
            .then(|| crate::open_data::harvest::spawn(self.node.fed.clone()));
        // Other node processes on the same PostgreSQL: notice their writes.
        let changes = (self.node.cx.db.backend() == crate::db::Backend::Postgres)
            .then(|| tokio::spawn(crate::http::freshness::watch_changes(self.node.clone())));
        let limits = self.node.cx.settings.limits.clone();
        let served = serve(self.listener, router, &limits, stop)
            .await
            .context("server error");
        worker.abort();
        notices.abort();
        if let Some(h) = harvester {
            h.abort();
        }
        if let Some(c) = changes {
            c.abort();
        }
        served?;
        self.node.cx.db.close().await;
        Ok(())
    }
}

/// Serves HTTP/1.1 with the limits a public server needs. A client must start its request
/// within `header_timeout` and send its headers within it (a connection that sends nothing,
/// trickles its headers, or idles between requests is closed); a connection lives at most
/// `max_connection_age`, so that clients that stop reading cannot hold it; and at most
/// `max_connections` are served at once (more wait in the kernel's backlog), at most
/// `max_connections_per_client` of them by one client; request bodies keep a minimum pace
/// (`http::guard`). HTTP/2 is left to the reverse proxy in front of the node.
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
    let reserve = limits.max_connections / 8;
    let clients = crate::http::guard::Holds::new(limits.max_connections_per_client);
    let pace = crate::http::guard::BodyPace {
        grace: limits.body_grace,
        min_rate: limits.min_body_rate,
        deadline: limits.body_deadline,
    };
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
        // One client holds its share of the connections at most (a reverse proxy on this
        // machine is counted per forwarded address, request by request: `guard`).
        let hold = if peer.ip().is_loopback() {
            None
        } else {
            let short = slots.available_permits() < reserve;
            match clients.take(crate::http::guard::client_key(peer.ip()), short) {
                Some(h) => Some(h),
                None => {
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // Handlers that need the client's address (the sign-in throttle) read it here; bodies
        // must keep their pace.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |req: axum::http::Request<hyper::body::Incoming>| {
                let mut req = req.map(|b| crate::http::guard::PacedBody::new(b, pace));
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
            drop(hold);
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

/// `etal dev gen-dataset`: the shops of `plan` written into new nodes' folders under `out`
/// (node N answers at `http://HOST:(first_port+N-1)`), listed in `out/nodes.tsv`.
pub async fn generate_dataset(
    plan: crate::dev::dataset::Plan,
    out: &std::path::Path,
    first_port: u16,
    host: &str,
) -> anyhow::Result<()> {
    let crate::dev::dataset::Plan {
        merchants,
        products,
        nodes,
        ..
    } = plan;
    anyhow::ensure!(
        (1..=1000).contains(&nodes),
        "--nodes must be between 1 and 1000"
    );
    anyhow::ensure!(
        merchants >= 1 && products >= merchants,
        "--merchants must be at least 1 and --products at least --merchants"
    );
    anyhow::ensure!(
        usize::from(first_port) + nodes <= 65_536,
        "--first-port leaves too few ports"
    );
    let started = std::time::Instant::now();
    let mut keys = Vec::new();
    for _ in 0..8 {
        keys.push(crate::keys::generate_async().await?);
    }
    std::fs::create_dir_all(out)?;
    let mut list = String::from("node\turl\tdata_dir\tshops\tproducts\n");
    let (mut all_shops, mut all_products) = (0, 0);
    for i in 0..nodes {
        let dir = out.join(format!("node-{:02}", i + 1));
        let url = format!("http://{host}:{}", usize::from(first_port) + i);
        let settings = crate::config::Settings::for_dir(&dir, &url, None);
        let cx = crate::domain::Context::open(settings).await?;
        let shops = crate::dev::dataset::shops_of_node(&plan, i);
        let (s, p) = crate::domain::dataset::write(&cx, shops, &keys, &mut |done, total| {
            if done == total {
                eprintln!("node {:>2}: {done} shops", i + 1);
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", dir.display(), e))?;
        cx.db.close().await;
        list.push_str(&format!("{}\t{url}\t{}\t{s}\t{p}\n", i + 1, dir.display()));
        all_shops += s;
        all_products += p;
    }
    std::fs::write(out.join("nodes.tsv"), list)?;
    println!(
        "{all_shops} shops and {all_products} products on {nodes} nodes in {} ({:.1} s); see {}",
        out.display(),
        started.elapsed().as_secs_f64(),
        out.join("nodes.tsv").display()
    );
    Ok(())
}

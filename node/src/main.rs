//! `etal`: run a node (`etal serve`) or administer one (`etal admin …`).

use clap::{Parser, Subcommand};
use etal_node::app::App;
use etal_node::config::{Options, Settings};
use etal_node::domain::Context;
use etal_node::domain::{auth, follows};
use etal_node::http::Node;
use tracing_subscriber::EnvFilter;

/// Étal: a federated open-data marketplace for local shops.
#[derive(Parser)]
#[command(name = "etal", version, about)]
struct Cli {
    #[command(flatten)]
    options: Options,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node.
    Serve,
    /// Administer the node (works whether the server runs or not).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import a spreadsheet (works whether the server runs or not).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export a spreadsheet.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Aggregator mode: the nodes this one harvests (run the server with --aggregator).
    Aggregator {
        #[command(subcommand)]
        command: AggregatorCommand,
    },
    /// Developer tools.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Federation between nodes.
    Node {
        #[command(subcommand)]
        command: NodeCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a shop's products from a CSV file (columns: schemas/products-spreadsheet.md).
    /// All rows or none, with a report of every bad row; rows whose id or sku exists update.
    Products {
        /// The CSV file (UTF-8 or Windows-1252; `;`, `,` or tab separated).
        file: std::path::PathBuf,
        /// The shop's slug.
        #[arg(long, value_name = "SLUG")]
        merchant: String,
        /// Import the valid rows even if others are bad.
        #[arg(long)]
        valid_only: bool,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Write a shop's products as CSV (UTF-8 with a BOM, `;`-separated, decimal commas).
    Products {
        /// The shop's slug.
        #[arg(long, value_name = "SLUG")]
        merchant: String,
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Follow another node: its shops and products are then mirrored here. The Follow is
    /// queued; the running server delivers it.
    Follow {
        /// The other node's address, its actor URL, or @user@host.
        target: String,
    },
    /// Stop following a node.
    Unfollow {
        /// The followed actor's URL.
        target: String,
    },
    /// List the nodes this node follows.
    Following,
}

#[derive(Subcommand)]
enum DevCommand {
    /// Generate a realistic national dataset (French shops over real communes, products fit
    /// for their trade) into new nodes' folders, for tests and benchmarks. Node N answers at
    /// http://HOST:(FIRST_PORT+N-1) with `--data-dir OUT/node-NN`; OUT/nodes.tsv lists them.
    /// The shops share a few key pairs (generating 14,019 would take many minutes): not for
    /// production.
    GenDataset {
        /// Shops in all.
        #[arg(long, default_value_t = 14_019)]
        merchants: usize,
        /// Products in all.
        #[arg(long, default_value_t = 273_560)]
        products: usize,
        /// Nodes to spread them over (by département).
        #[arg(long, default_value_t = 20)]
        nodes: usize,
        /// Folder to write the nodes into.
        #[arg(long, default_value = "etal-dataset")]
        out: std::path::PathBuf,
        /// Port of the first node.
        #[arg(long, default_value_t = 18_101)]
        first_port: u16,
        /// Host name in the nodes' addresses.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Seed: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum AggregatorCommand {
    /// Harvest a node: its whole open data through its change feed, then its changes live
    /// (its actor is followed). Works whether the server runs or not; the running server
    /// starts at once.
    Follow {
        /// The node's address, e.g. https://commerces.rambouillet.fr
        url: String,
    },
    /// List the harvested nodes with their state (new, backfilling, live, down).
    Sources,
    /// Stop harvesting a node (what was harvested stays until its shops delete it).
    Unfollow {
        /// The node's address.
        url: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// People who sign in to the dashboard.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (a node admin, or with --merchant the shop's owner) and print the
    /// link where its password is chosen; it is also mailed when --smtp-url is set.
    Create {
        /// The person's e-mail address.
        #[arg(long)]
        email: String,
        /// Make them the owner of this shop (by slug) instead of a node admin.
        #[arg(long, value_name = "SLUG")]
        merchant: Option<String>,
        /// With --merchant: their role at the shop.
        #[arg(long, value_parser = ["owner", "staff"], default_value = "owner")]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a bearer token and print it (shown once; only its hash is stored).
    Create {
        /// What the token is for, e.g. "town hall" or "Martin's phone".
        #[arg(long)]
        name: String,
        /// Scope the token to this merchant's slug (default: node admin).
        #[arg(long, value_name = "SLUG")]
        merchant: Option<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::resolve(&cli.options)?;
    match cli.command {
        Command::Serve => App::build(settings).await?.run().await,
        Command::Admin {
            command:
                AdminCommand::Token {
                    command: TokenCommand::Create { name, merchant },
                },
        } => {
            let cx = Context::open(settings).await?;
            let token = auth::create_token(&cx, &name, merchant.as_deref())
                .await
                .map_err(shown)?;
            println!("{token}");
            cx.db.close().await;
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::User {
                    command:
                        UserCommand::Create {
                            email,
                            merchant,
                            role,
                        },
                },
        } => {
            let node = Node::open(settings).await?;
            let shop = match &merchant {
                Some(slug) => {
                    let m = etal_node::domain::merchants::get(&node.cx, slug)
                        .await
                        .map_err(shown)?;
                    let role = etal_node::model::account::Role::parse(&role)
                        .unwrap_or(etal_node::model::account::Role::Owner);
                    Some((m.id, role))
                }
                None => None,
            };
            let link =
                etal_node::domain::people::create_or_invite(&node.cx, &email, shop, shop.is_none())
                    .await
                    .map_err(shown)?;
            match link {
                Some(link) => {
                    if node.mail.can_mail() {
                        let body = format!(
                            "Bonjour,\n\nChoisissez votre mot de passe pour {} ici :\n\n{}\n",
                            node.cx.site().name,
                            link.url
                        );
                        if let Err(e) = node
                            .mail
                            .send(
                                &link.email,
                                &format!("Invitation : {}", node.cx.site().name),
                                &body,
                            )
                            .await
                        {
                            eprintln!("warning: the mail could not be sent ({e:#}); pass the link on yourself");
                        }
                    }
                    println!("{}", link.url);
                    eprintln!(
                        "{} can choose a password at the link above (valid {} days).",
                        link.email,
                        etal_node::domain::accounts::INVITE_DAYS
                    );
                }
                None => eprintln!("{email} already has a password; the role was given."),
            }
            node.cx.db.close().await;
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Products { merchant, output },
        } => {
            let cx = Context::open(settings).await?;
            let csv = etal_node::domain::spreadsheet::export(
                &cx,
                &etal_node::domain::authz::Caller::Operator,
                &merchant,
            )
            .await
            .map_err(shown)?;
            cx.db.close().await;
            match output {
                Some(path) => std::fs::write(&path, csv)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&csv)?;
                }
            }
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Products {
                    file,
                    merchant,
                    valid_only,
                },
        } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let cx = Context::open(settings).await?;
            let mut bar = ProgressBar::default();
            let report = etal_node::domain::spreadsheet::import(
                &cx,
                &etal_node::domain::authz::Caller::Operator,
                &merchant,
                bytes::Bytes::from(bytes),
                valid_only,
                &mut |p| bar.show(p),
            )
            .await
            .map_err(shown)?;
            bar.finish();
            for e in &report.errors {
                eprintln!("line {}, column {}: {}", e.line, e.column, e.message);
            }
            if report.errors.len() < report.bad_rows {
                eprintln!("… and more: {} bad rows in all", report.bad_rows);
            }
            println!(
                "{} rows: {} added, {} changed, {} unchanged, {} refused{}",
                report.rows,
                report.created,
                report.updated,
                report.unchanged,
                report.bad_rows,
                if report.written || report.bad_rows == 0 {
                    ""
                } else {
                    " — nothing imported (fix the rows, or use --valid-only)"
                }
            );
            cx.db.close().await;
            if report.bad_rows > 0 && !report.written {
                anyhow::bail!("{} bad rows", report.bad_rows);
            }
            Ok(())
        }
        Command::Dev {
            command:
                DevCommand::GenDataset {
                    merchants,
                    products,
                    nodes,
                    out,
                    first_port,
                    host,
                    seed,
                },
        } => {
            let plan = etal_node::dev::dataset::Plan {
                merchants,
                products,
                nodes,
                seed,
            };
            etal_node::app::generate_dataset(plan, &out, first_port, &host).await
        }
        Command::Aggregator { command } => {
            let node = Node::open(settings).await?;
            match command {
                AggregatorCommand::Follow { url } => {
                    // The source is recorded before the Follow leaves, so that its Accept
                    // finds it (and starts no outbox walk beside the feed).
                    let actor = etal_node::federation::follows::resolve(&node.fed, &url)
                        .await
                        .map_err(shown)?;
                    etal_node::domain::sources::add(&node.cx, &url, Some(actor.as_str()))
                        .await
                        .map_err(shown)?;
                    etal_node::federation::follows::follow(&node.fed, actor.as_str())
                        .await
                        .map_err(shown)?;
                    println!("harvesting {url} (its actor {actor} is followed for live changes)");
                    if !node.cx.settings.aggregator {
                        eprintln!("note: the server harvests when it runs with --aggregator");
                    }
                }
                AggregatorCommand::Unfollow { url } => {
                    let source = etal_node::domain::sources::get(&node.cx, &url)
                        .await
                        .map_err(shown)?;
                    if let Some(actor) = &source.actor {
                        let _ = etal_node::federation::follows::unfollow(&node.fed, actor).await;
                    }
                    etal_node::domain::sources::remove(&node.cx, &source.url)
                        .await
                        .map_err(shown)?;
                    println!("no longer harvesting {}", source.url);
                }
                AggregatorCommand::Sources => {
                    let now = node.cx.clock.now_ms();
                    println!("state\tfollow\tshops\tproducts\tsynced\tfailures\turl\terror");
                    for v in etal_node::domain::sources::list(&node.cx)
                        .await
                        .map_err(shown)?
                    {
                        let s = &v.source;
                        let synced = s.synced_at.map_or_else(
                            || "never".to_string(),
                            |t| format!("{}s ago", (now - t).max(0) / 1000),
                        );
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            s.state,
                            v.follow.as_deref().unwrap_or("-"),
                            v.shops,
                            v.products,
                            synced,
                            s.failures,
                            s.url,
                            s.last_error.as_deref().unwrap_or("")
                        );
                    }
                }
            }
            node.cx.db.close().await;
            Ok(())
        }
        Command::Node { command } => {
            let node = Node::open(settings).await?;
            match command {
                NodeCommand::Follow { target } => {
                    let actor = etal_node::federation::follows::follow(&node.fed, &target)
                        .await
                        .map_err(shown)?;
                    println!("following {actor} (pending until it accepts)");
                }
                NodeCommand::Unfollow { target } => {
                    etal_node::federation::follows::unfollow(&node.fed, &target)
                        .await
                        .map_err(shown)?;
                    println!("unfollowed {target}");
                }
                NodeCommand::Following => {
                    for f in follows::list(&node.cx).await.map_err(shown)? {
                        println!("{}\t{}", f.state.as_str(), f.target);
                    }
                }
            }
            node.cx.db.close().await;
            Ok(())
        }
    }
}

/// A domain error as the command line says it: its problem's detail with the fields at fault.
fn shown(e: etal_node::error::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        etal_node::http::problem::problem_of(&e).detail_with_fields()
    )
}

/// An import's progress on stderr: indicatif's bar on a terminal; in a log (no terminal), a
/// line at each tenth.
#[derive(Default)]
struct ProgressBar {
    bar: Option<(bool, indicatif::ProgressBar)>,
    logged: Option<(bool, usize)>,
}

impl ProgressBar {
    fn show(&mut self, p: etal_node::domain::spreadsheet::Progress) {
        use etal_node::domain::spreadsheet::Progress;
        use std::io::IsTerminal;
        let (writing, done, total) = match p {
            Progress::Checked(d, t) => (false, d, t),
            Progress::Written(d, t) => (true, d, t),
        };
        let phase = if writing { "writing" } else { "checking" };
        if !std::io::stderr().is_terminal() {
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if self.logged != Some((writing, tenth)) {
                self.logged = Some((writing, tenth));
                eprintln!("{phase:<8} {:>3} %  {done}/{total}", tenth * 10);
            }
            return;
        }
        if self.bar.as_ref().is_none_or(|(w, _)| *w != writing) {
            if let Some((_, old)) = self.bar.take() {
                old.finish();
            }
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg:<8} [{bar:30}] {percent:>3} %  {pos}/{len}",
            ) {
                bar.set_style(style.progress_chars("#> "));
            }
            bar.set_message(phase);
            self.bar = Some((writing, bar));
        }
        if let Some((_, bar)) = &self.bar {
            bar.set_position(done as u64);
        }
    }

    fn finish(&mut self) {
        if let Some((_, bar)) = self.bar.take() {
            bar.finish();
        }
    }
}

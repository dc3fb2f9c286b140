//! `etal`: run a node (`etal serve`) or administer one (`etal admin …`).

use clap::{Parser, Subcommand};
use etal_node::app::App;
use etal_node::config::{Options, Settings};
use etal_node::domain::{auth, follows};
use etal_node::Node;
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
    /// Federation between nodes.
    Node {
        #[command(subcommand)]
        command: NodeCommand,
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
enum AdminCommand {
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
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
            let node = Node::open(settings).await?;
            let token = auth::create_token(&node, &name, merchant.as_deref())
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}",
                        etal_node::http::problem::problem_of(&e).detail_with_fields()
                    )
                })?;
            println!("{token}");
            node.db.close().await;
            Ok(())
        }
        Command::Node { command } => {
            let node = Node::open(settings).await?;
            let shown = |e: etal_node::error::Error| {
                anyhow::anyhow!(
                    "{}",
                    etal_node::http::problem::problem_of(&e).detail_with_fields()
                )
            };
            match command {
                NodeCommand::Follow { target } => {
                    let actor = etal_node::federation::follows::follow(&node, &target)
                        .await
                        .map_err(shown)?;
                    println!("following {actor} (pending until it accepts)");
                }
                NodeCommand::Unfollow { target } => {
                    etal_node::federation::follows::unfollow(&node, &target)
                        .await
                        .map_err(shown)?;
                    println!("unfollowed {target}");
                }
                NodeCommand::Following => {
                    for f in follows::list(&node).await.map_err(shown)? {
                        println!("{}\t{}", f.state, f.target);
                    }
                }
            }
            node.db.close().await;
            Ok(())
        }
    }
}

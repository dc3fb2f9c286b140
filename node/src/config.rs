//! Settings of a node: command-line flags, `ETAL_*` environment variables and an optional TOML
//! file, merged in that order of precedence over built-in defaults.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::builder::BoolishValueParser;
use serde::Deserialize;
use url::Url;

/// Options shared by every `etal` command (`serve`, `admin …`): each is a flag, an environment
/// variable and a key of the `--config` TOML file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// TOML file with any of the keys below (listen, public_url, database_url, data_dir, demo,
    /// allow_private_networks, publish_delay).
    #[arg(long, env = "ETAL_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ETAL_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The node's public address: every public and ActivityPub URL is built from it
    /// [default: http://localhost:8080].
    #[arg(long, env = "ETAL_PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// sqlite://PATH (embedded, created if missing) or postgres://… [default:
    /// sqlite://etal-data/etal.db].
    #[arg(long, env = "ETAL_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Folder for uploaded media [default: etal-data].
    #[arg(long, env = "ETAL_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed a demo town (merchants and products with photos) once; later starts keep it.
    #[arg(long, env = "ETAL_DEMO", global = true, value_parser = BoolishValueParser::new(),
          num_args = 0, default_missing_value = "true")]
    pub demo: Option<bool>,
    /// Accept http:// and loopback peers with explicit ports: for local testing only.
    #[arg(long, env = "ETAL_ALLOW_PRIVATE_NETWORKS", global = true,
          value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true")]
    pub allow_private_networks: Option<bool>,
    /// Seconds a new shop or product waits before its Create is sent to the fediverse, so
    /// that photos uploaded right after creation travel in the Create rather than in an
    /// Update ("edited") [default: 10].
    #[arg(
        long,
        env = "ETAL_PUBLISH_DELAY",
        global = true,
        value_name = "SECONDS"
    )]
    pub publish_delay: Option<f64>,
    /// Aggregator mode: harvest the nodes added with `etal aggregator follow` (their change
    /// feeds, then their live activities) and offer national search over them.
    #[arg(long, env = "ETAL_AGGREGATOR", global = true, value_parser = BoolishValueParser::new(),
          num_args = 0, default_missing_value = "true")]
    pub aggregator: Option<bool>,
    /// Aggregator mode: seconds between two reads of a caught-up source's change feed (live
    /// activities arrive meanwhile), and the first wait after a failure [default: 30].
    #[arg(
        long,
        env = "ETAL_HARVEST_EVERY",
        global = true,
        value_name = "SECONDS"
    )]
    pub harvest_every: Option<f64>,
    /// Most products one shop may have (API, dashboard and spreadsheet imports alike)
    /// [default: 300000].
    #[arg(
        long,
        env = "ETAL_MAX_PRODUCTS_PER_SHOP",
        global = true,
        value_name = "COUNT"
    )]
    pub max_products_per_shop: Option<u64>,
    /// The node's name on its pages, e.g. "Commerces de Rambouillet" [default: the host
    /// name; "Commerces de Rambouillet" with --demo].
    #[arg(long, env = "ETAL_NAME", global = true, value_name = "TEXT")]
    pub name: Option<String>,
    /// Who runs the node, shown on /about (e.g. "Mairie de Rambouillet").
    #[arg(long, env = "ETAL_OPERATOR", global = true, value_name = "TEXT")]
    pub operator: Option<String>,
    /// How to reach whoever runs the node, shown on /about (an e-mail address or URL).
    #[arg(long, env = "ETAL_CONTACT", global = true, value_name = "TEXT")]
    pub contact: Option<String>,
    /// Map tiles URL template [default: OpenStreetMap's, https://tile.openstreetmap.org/{z}/{x}/{y}.png].
    #[arg(long, env = "ETAL_TILE_URL", global = true, value_name = "URL")]
    pub tile_url: Option<String>,
    /// Attribution shown on the map [default: "© OpenStreetMap contributors"].
    #[arg(
        long,
        env = "ETAL_TILE_ATTRIBUTION",
        global = true,
        value_name = "TEXT"
    )]
    pub tile_attribution: Option<String>,
    /// SMTP server for invitations and password resets: smtp://[user:pass@]host[:port],
    /// smtps://… (TLS) or smtp://…?tls=required (STARTTLS). Without it, links are written to
    /// the log and shown to the admin.
    #[arg(long, env = "ETAL_SMTP_URL", global = true, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Sender of the node's e-mail [default: "NAME <noreply@HOST>"].
    #[arg(long, env = "ETAL_MAIL_FROM", global = true, value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// The town's time zone, in which opening hours and pick-up slots are read (an IANA
    /// name) [default: Europe/Paris].
    #[arg(long, env = "ETAL_TIME_ZONE", global = true, value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// Days a finished reservation keeps its customer's name, contact and note before they
    /// are erased [default: 30].
    #[arg(
        long,
        env = "ETAL_RESERVATION_RETENTION_DAYS",
        global = true,
        value_name = "DAYS"
    )]
    pub reservation_retention_days: Option<u32>,
    /// Reservations one client address may send in an hour [default: 30].
    #[arg(
        long,
        env = "ETAL_RESERVATIONS_PER_CLIENT_HOUR",
        global = true,
        value_name = "N"
    )]
    pub reservations_per_client_hour: Option<u32>,
}

/// The keys of the optional TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOptions {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    demo: Option<bool>,
    allow_private_networks: Option<bool>,
    publish_delay: Option<f64>,
    aggregator: Option<bool>,
    harvest_every: Option<f64>,
    max_products_per_shop: Option<u64>,
    name: Option<String>,
    operator: Option<String>,
    contact: Option<String>,
    tile_url: Option<String>,
    tile_attribution: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    time_zone: Option<String>,
    reservation_retention_days: Option<u32>,
}

/// Default of `--max-products-per-shop`: above the national catalogue (273,560 products)
/// in one shop, far above any real shop's.
pub const DEFAULT_MAX_PRODUCTS_PER_SHOP: u64 = 300_000;

/// Default of `--harvest-every`.
pub const DEFAULT_HARVEST_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Default of `--publish-delay`: long enough for a phone to upload a photo or two after
/// creating a product.
pub const DEFAULT_PUBLISH_DELAY: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolved settings of a node.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Socket address to bind.
    pub listen: String,
    /// Public base URL, without a trailing slash.
    pub public_url: Url,
    /// Database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Folder for media files.
    pub data_dir: PathBuf,
    /// Seed the demo town.
    pub demo: bool,
    /// Allow loopback and private peers (testing only).
    pub allow_private_networks: bool,
    /// How long a new object's Create is held before fan-out; later changes of the object
    /// within that time travel in the Create, and a deletion within it sends nothing.
    pub publish_delay: std::time::Duration,
    /// Aggregator mode (see [`Options::aggregator`]).
    pub aggregator: bool,
    /// Between two reads of a caught-up source's feed.
    pub harvest_every: std::time::Duration,
    /// Most live products a shop may have.
    pub max_products_per_shop: u64,
    /// Limits of the HTTP server.
    pub limits: Limits,
    /// What the public pages say about the node.
    pub site: Site,
    /// SMTP server URL, if mail is sent.
    pub smtp_url: Option<String>,
    /// Sender of the node's mail.
    pub mail_from: String,
    /// Where opening hours and pick-up slots are read.
    pub time_zone: chrono_tz::Tz,
    /// How long a finished reservation keeps its customer's details.
    pub reservation_retention: std::time::Duration,
    /// Most reservations one contact may have open at a time, all shops together.
    pub max_open_reservations: i64,
}

/// Default of `--reservation-retention-days`.
pub const DEFAULT_RESERVATION_RETENTION_DAYS: u32 = 30;

/// Most reservations a contact may have open (requested, accepted or ready) at once.
pub const MAX_OPEN_RESERVATIONS: i64 = 5;

/// The licence of the node's open data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Licence {
    /// Licence Ouverte 2.0 (Etalab), France's default for public open data.
    #[default]
    Etalab2,
    /// Open Database License 1.0.
    Odbl,
}

impl Licence {
    /// How settings spell it.
    pub fn code(self) -> &'static str {
        match self {
            Licence::Etalab2 => "etalab-2.0",
            Licence::Odbl => "odbl-1.0",
        }
    }

    /// Reads the spelling back.
    pub fn parse(s: &str) -> Option<Licence> {
        match s {
            "etalab-2.0" => Some(Licence::Etalab2),
            "odbl-1.0" => Some(Licence::Odbl),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Licence::Etalab2 => "Licence Ouverte 2.0 (Etalab)",
            Licence::Odbl => "Open Database License (ODbL) 1.0",
        }
    }

    /// Its text's address.
    pub fn url(self) -> &'static str {
        match self {
            Licence::Etalab2 => "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            Licence::Odbl => "https://opendatacommons.org/licenses/odbl/1-0/",
        }
    }
}

/// What the public pages say about the node and how they draw maps. The command line gives
/// the defaults; the admin's settings page overrides name, description, operator, contact,
/// licence and logo (kept in the database).
#[derive(Debug, Clone)]
pub struct Site {
    /// The node's name.
    pub name: String,
    /// A sentence or two about the node, on its home and about pages.
    pub description: Option<String>,
    /// The licence of its open data.
    pub licence: Licence,
    /// The logo's path under `/media/`, if the admin uploaded one.
    pub logo: Option<String>,
    /// Whether shopkeepers may sign up themselves (the admin approves each shop).
    pub signup_open: bool,
    /// Who runs it.
    pub operator: Option<String>,
    /// How to reach them.
    pub contact: Option<String>,
    /// Map tiles URL template (`{z}`, `{x}`, `{y}`).
    pub tile_url: String,
    /// Attribution of the tiles.
    pub tile_attribution: String,
}

/// OpenStreetMap's tile server.
pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Its attribution.
pub const DEFAULT_TILE_ATTRIBUTION: &str = "© OpenStreetMap contributors";

impl Site {
    /// Defaults for a node at `public_url`.
    pub fn new(public_url: &Url, demo: bool) -> Site {
        Site {
            name: if demo {
                "Commerces de Rambouillet".into()
            } else {
                public_url.host_str().unwrap_or("Étal").to_string()
            },
            description: None,
            licence: Licence::default(),
            logo: None,
            signup_open: false,
            operator: None,
            contact: None,
            tile_url: DEFAULT_TILE_URL.into(),
            tile_attribution: DEFAULT_TILE_ATTRIBUTION.into(),
        }
    }
}

/// Limits of the HTTP server, against clients that hold connections open.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed for a request's headers to arrive, and for a kept-alive connection to
    /// start its next request.
    pub header_timeout: std::time::Duration,
    /// Time allowed between two parts of a request body.
    pub body_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest life of a connection (requests under way are cut off then).
    pub max_connection_age: std::time::Duration,
    /// Connections one client address (IPv6: one /64) may hold at once, and requests in flight
    /// for one address behind a reverse proxy on the node's machine. When fewer than an eighth
    /// of [`Limits::max_connections`] are free, a client holding an eighth of this gets no more.
    pub max_connections_per_client: usize,
    /// How fast a request body must come: at least `min_body_rate` bytes a second on average
    /// after `body_grace`, and all of it within `body_deadline`.
    pub min_body_rate: u64,
    /// See [`Limits::min_body_rate`].
    pub body_grace: std::time::Duration,
    /// See [`Limits::min_body_rate`].
    pub body_deadline: std::time::Duration,
    /// Reservations one client address may send in an hour.
    pub reservations_per_client_hour: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: std::time::Duration::from_secs(15),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 4096,
            reservations_per_client_hour: 30,
            max_connection_age: std::time::Duration::from_secs(600),
            max_connections_per_client: 64,
            // 4 KiB/s is slower than a phone on 2G; four 10 MB photos at 1.1 Mbit/s fit in
            // five minutes.
            min_body_rate: 4096,
            body_grace: std::time::Duration::from_secs(10),
            body_deadline: std::time::Duration::from_secs(300),
        }
    }
}

impl Settings {
    /// Merges flags and environment (already in `opts`), the TOML file, then defaults.
    pub fn resolve(opts: &Options) -> anyhow::Result<Settings> {
        let file = match &opts.config {
            Some(path) => read_file(path)?,
            None => FileOptions::default(),
        };
        let public_url = opts
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| "http://localhost:8080".into());
        let demo = opts.demo.or(file.demo).unwrap_or(false);
        let public_url = parse_public_url(&public_url)?;
        let defaults = Site::new(&public_url, demo);
        let tile_url = opts
            .tile_url
            .clone()
            .or(file.tile_url)
            .unwrap_or(defaults.tile_url);
        if !tile_url.contains("{z}")
            || !(tile_url.starts_with("https://")
                || tile_url.starts_with("http://")
                || tile_url.starts_with('/'))
        {
            bail!(
                "tile URL {tile_url:?} must be an http(s) URL template with {{z}}, {{x}} and {{y}}"
            );
        }
        let site = Site {
            description: None,
            licence: Licence::default(),
            logo: None,
            signup_open: false,
            name: opts.name.clone().or(file.name).unwrap_or(defaults.name),
            operator: opts.operator.clone().or(file.operator),
            contact: opts.contact.clone().or(file.contact),
            tile_url,
            tile_attribution: opts
                .tile_attribution
                .clone()
                .or(file.tile_attribution)
                .unwrap_or(defaults.tile_attribution),
        };
        let mail_from = opts
            .mail_from
            .clone()
            .or(file.mail_from)
            .unwrap_or_else(|| default_mail_from(&site.name, &public_url));
        let zone = opts
            .time_zone
            .clone()
            .or(file.time_zone)
            .unwrap_or_else(|| "Europe/Paris".into());
        let time_zone: chrono_tz::Tz = zone.parse().map_err(|_| {
            anyhow::anyhow!("time zone {zone:?} is not an IANA name such as Europe/Paris")
        })?;
        let retention_days = opts
            .reservation_retention_days
            .or(file.reservation_retention_days)
            .unwrap_or(DEFAULT_RESERVATION_RETENTION_DAYS);
        if !(1..=3650).contains(&retention_days) {
            bail!("--reservation-retention-days must be between 1 and 3650");
        }
        Ok(Settings {
            time_zone,
            reservation_retention: std::time::Duration::from_secs(
                u64::from(retention_days) * 86_400,
            ),
            max_open_reservations: MAX_OPEN_RESERVATIONS,
            smtp_url: opts.smtp_url.clone().or(file.smtp_url),
            mail_from,
            site,
            listen: opts
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url,
            database_url: opts
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://etal-data/etal.db".into()),
            data_dir: opts
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("etal-data")),
            demo,
            allow_private_networks: opts
                .allow_private_networks
                .or(file.allow_private_networks)
                .unwrap_or(false),
            publish_delay: match opts.publish_delay.or(file.publish_delay) {
                None => DEFAULT_PUBLISH_DELAY,
                Some(s) if s.is_finite() && (0.0..=3600.0).contains(&s) => {
                    std::time::Duration::from_secs_f64(s)
                }
                Some(s) => bail!("publish delay {s} must be between 0 and 3600 seconds"),
            },
            limits: Limits {
                reservations_per_client_hour: i64::from(
                    opts.reservations_per_client_hour.unwrap_or(30).max(1),
                ),
                ..Limits::default()
            },
            aggregator: opts.aggregator.or(file.aggregator).unwrap_or(false),
            harvest_every: match opts.harvest_every.or(file.harvest_every) {
                None => DEFAULT_HARVEST_EVERY,
                Some(s) if s.is_finite() && (0.1..=86_400.0).contains(&s) => {
                    std::time::Duration::from_secs_f64(s)
                }
                Some(s) => bail!("harvest interval {s} must be between 0.1 and 86400 seconds"),
            },
            max_products_per_shop: match opts.max_products_per_shop.or(file.max_products_per_shop) {
                None => DEFAULT_MAX_PRODUCTS_PER_SHOP,
                Some(n) if n >= 1 => n,
                Some(_) => bail!("--max-products-per-shop must be at least 1"),
            },
        })
    }

    /// Settings for a node with everything under one folder: used by tests and tools.
    pub fn for_dir(dir: &Path, public_url: &str, database_url: Option<String>) -> Settings {
        let public_url = parse_public_url(public_url).expect("valid public URL");
        Settings {
            listen: "127.0.0.1:0".into(),
            smtp_url: None,
            time_zone: chrono_tz::Europe::Paris,
            reservation_retention: std::time::Duration::from_secs(
                u64::from(DEFAULT_RESERVATION_RETENTION_DAYS) * 86_400,
            ),
            max_open_reservations: MAX_OPEN_RESERVATIONS,
            mail_from: default_mail_from("Étal", &public_url),
            site: Site::new(&public_url, false),
            public_url,
            database_url: database_url
                .unwrap_or_else(|| format!("sqlite://{}", dir.join("etal.db").display())),
            data_dir: dir.to_path_buf(),
            demo: false,
            allow_private_networks: true,
            publish_delay: std::time::Duration::ZERO,
            limits: Limits::default(),
            aggregator: false,
            harvest_every: DEFAULT_HARVEST_EVERY,
            max_products_per_shop: DEFAULT_MAX_PRODUCTS_PER_SHOP,
        }
    }
}

fn default_mail_from(name: &str, public_url: &Url) -> String {
    let name: String = name
        .chars()
        .filter(|c| !matches!(c, '"' | '\\' | '<' | '>' | '\r' | '\n'))
        .collect();
    format!(
        "\"{name}\" <noreply@{}>",
        public_url.host_str().unwrap_or("localhost")
    )
}

fn read_file(path: &Path) -> anyhow::Result<FileOptions> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

fn parse_public_url(s: &str) -> anyhow::Result<Url> {
    let url = Url::parse(s).with_context(|| format!("public URL {s:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("public URL {s:?} must be http(s)://host[:port]");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        bail!("public URL {s:?} must not have a path: the node is served at the root of its host");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let s = Settings::resolve(&Options::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.public_url.as_str(), "http://localhost:8080/");
        assert_eq!(s.database_url, "sqlite://etal-data/etal.db");
        assert!(!s.demo && !s.allow_private_networks);
        assert_eq!(s.publish_delay, DEFAULT_PUBLISH_DELAY);
    }

    #[test]
    fn the_publish_delay_is_bounded() {
        let with = |d: f64| {
            Settings::resolve(&Options {
                publish_delay: Some(d),
                ..Options::default()
            })
        };
        assert_eq!(
            with(2.5).unwrap().publish_delay,
            std::time::Duration::from_millis(2500)
        );
        assert!(with(-1.0).is_err() && with(f64::NAN).is_err() && with(1e9).is_err());
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etal.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\npublic_url = \"https://town.example\"\ndemo = true\n",
        )
        .unwrap();
        let opts = Options {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7000".into()),
            ..Options::default()
        };
        let s = Settings::resolve(&opts).unwrap();
        assert_eq!(s.listen, "127.0.0.1:7000");
        assert_eq!(s.public_url.as_str(), "https://town.example/");
        assert!(s.demo);
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let err = Settings::resolve(&opts).unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
    }

    #[test]
    fn public_url_must_be_an_origin() {
        assert!(parse_public_url("https://town.example/shop").is_err());
        assert!(parse_public_url("ftp://town.example").is_err());
        assert!(parse_public_url("town.example").is_err());
    }
}

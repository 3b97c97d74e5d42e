//! Configuration, defined once: every setting is one clap argument with its environment
//! variable and default, so `ferry serve --help` lists exactly what Ferry reads (a test checks
//! the README's table against it). A flag wins over its variable; an empty variable counts
//! as unset. The AWS SDK's own variables (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL*`)
//! are read by the SDK, not here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use crate::objects::{MAX_PRESIGN_TTL, MIN_PART};

const MIB: u64 = 1024 * 1024;

/// The log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info,tower_http=warn";

/// Directives added to any log filter that does not name their crate: the embedded backends'
/// libraries report what is normal as failures (dynoxide warns of every expected
/// conditional-check failure, s3s logs every client error, an expired or altered URL
/// included, at ERROR). The embedded S3 logs its own failures instead (`local::s3`). Name
/// the crate (`RUST_LOG=info,s3s=debug`) to see what they say.
const QUIET_UNLESS_NAMED: [(&str, &str); 2] = [("dynoxide", "error"), ("s3s", "off")];

/// The filter `ferry` logs with: `filter` plus [`QUIET_UNLESS_NAMED`]'s directives for the
/// crates it does not name.
pub fn log_filter(filter: &str) -> String {
    // A directive's target is what precedes `=` or a span filter `[..]`; its crate, the
    // target's first path segment.
    let named = |krate: &str| {
        filter.split(',').any(|d| {
            let target = d.trim().split(['=', '[']).next().unwrap_or_default();
            target.split("::").next() == Some(krate)
        })
    };
    let mut out = filter.to_owned();
    for (krate, level) in QUIET_UNLESS_NAMED {
        if !named(krate) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&format!("{krate}={level}"));
        }
    }
    out
}

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Direct-to-S3 uploads with a browsable asset catalogue"
)]
pub struct Cli {
    /// Log filter (tracing-subscriber `EnvFilter` syntax).
    #[arg(long, env = "RUST_LOG", default_value = DEFAULT_LOG_FILTER, global = true)]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app on this machine (embedded storage backends by default).
    Serve(ServeArgs),
    /// Repair the catalogue from the bucket: record objects no record holds (a stuck upload
    /// moves to RECEIVED), remove records whose object is gone, as their S3 events would have.
    /// Safe while uploads go on (a real event always wins); a second run finds nothing to do.
    Reconcile(ReconcileArgs),
    /// Run as an AWS Lambda function (what Lambda runs when it starts the binary with no
    /// arguments is chosen by the function's Handler: `web` or `s3-events`).
    #[cfg(feature = "lambda")]
    Lambda(LambdaArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FERRY_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory holding Ferry's data (created if missing).
    #[arg(long, env = "FERRY_DATA_DIR", default_value = "./.ferry")]
    pub data_dir: PathBuf,
    /// Storage: `embedded` runs DynamoDB- and S3-compatible endpoints on loopback with data
    /// under the data dir; `aws` uses the AWS SDK's environment (AWS_REGION, credentials,
    /// AWS_ENDPOINT_URL*) with the table and bucket below.
    #[arg(long, env = "FERRY_BACKEND", value_enum, default_value = "embedded")]
    pub backend: Backend,
    /// The built site (CSS, JS, wasm and public files), as written by scripts/build-site.sh.
    #[arg(long, env = "FERRY_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    #[command(flatten)]
    pub listen: ListenLimits,
    /// How far the embedded store's acknowledged writes survive (see `Durability`).
    #[arg(long, env = "FERRY_DURABILITY", value_enum, default_value_t)]
    pub durability: Durability,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Print the repairs it would make; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Directory holding Ferry's data (the embedded backend's).
    #[arg(long, env = "FERRY_DATA_DIR", default_value = "./.ferry")]
    pub data_dir: PathBuf,
    /// Storage: `embedded` (the data dir's) or `aws` (the AWS SDK's environment).
    #[arg(long, env = "FERRY_BACKEND", value_enum, default_value = "embedded")]
    pub backend: Backend,
    /// How far the embedded store's acknowledged writes survive (see `Durability`).
    #[arg(long, env = "FERRY_DURABILITY", value_enum, default_value_t)]
    pub durability: Durability,
    #[command(flatten)]
    pub settings: Settings,
}

/// How far an acknowledged write to the embedded DynamoDB store survives (`ferry serve`
/// with the embedded backend; on AWS, DynamoDB decides). Either way a crash leaves every
/// record whole: the old version or the new one. The embedded S3 store does not flush
/// object bytes to disk in either mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// Survives the `ferry` process being killed or crashing: a commit is written to the
    /// operating system, which flushes it to disk within seconds (SQLite WAL,
    /// `synchronous = NORMAL`). A power loss or kernel crash can undo the last changes
    /// acknowledged before it.
    #[default]
    Process,
    /// Also survives a power loss: every commit waits until the disk has it (`fsync`;
    /// SQLite's `synchronous = FULL`). Costs one flush per write.
    Power,
}

/// What one client may hold of `ferry serve`'s listeners (the app's and the embedded S3's):
/// a half-sent request is dropped, and open connections are capped. (On AWS, API Gateway and
/// S3 set their own.)
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ListenLimits {
    /// Seconds a client has to send a request's headers before its connection is closed.
    #[arg(long = "header-timeout-secs", env = "FERRY_HEADER_TIMEOUT_SECS", default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds a request body may stall (no bytes arriving) before the request fails.
    #[arg(long = "body-timeout-secs", env = "FERRY_BODY_TIMEOUT_SECS", default_value = "30", value_parser = seconds)]
    pub body_timeout: Duration,
    /// Connections open at once, per listener; more wait to be accepted.
    #[arg(long, env = "FERRY_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

impl Default for ListenLimits {
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            listen: ListenLimits,
        }
        defaults::<Defaults>().listen
    }
}

#[cfg(feature = "lambda")]
#[derive(Debug, Args)]
pub struct LambdaArgs {
    #[arg(value_enum)]
    pub handler: Handler,
    /// The built site the web function serves (in the function's task root).
    #[arg(long, env = "FERRY_SITE_ROOT", default_value = "site")]
    pub site_root: PathBuf,
    #[command(flatten)]
    pub settings: Settings,
}

/// Which Lambda function this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Handler {
    Web,
    S3Events,
    /// `ferry reconcile` on a schedule (EventBridge).
    Reconcile,
}

impl Handler {
    /// The name `ferry lambda` takes.
    pub fn name(self) -> &'static str {
        match self {
            Handler::Web => "web",
            Handler::S3Events => "s3-events",
            Handler::Reconcile => "reconcile",
        }
    }

    /// From the function's `Handler` setting (`_HANDLER`): `web` (default), `s3-events` or
    /// `reconcile`.
    pub fn from_env() -> Result<Handler, String> {
        match std::env::var("_HANDLER").as_deref() {
            Err(_) | Ok("") | Ok("web") | Ok("bootstrap") => Ok(Handler::Web),
            Ok("s3-events") => Ok(Handler::S3Events),
            Ok("reconcile") => Ok(Handler::Reconcile),
            Ok(other) => Err(format!(
                "unknown Lambda handler `{other}` (expected `web`, `s3-events` or `reconcile`)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Embedded,
    Aws,
}

/// Where assets are kept, and the limits on uploads and links.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// The DynamoDB table.
    #[arg(long = "table", env = "TABLE_NAME", default_value = Settings::DEFAULT_TABLE)]
    pub table_name: String,
    /// The S3 bucket.
    #[arg(long = "bucket", env = "BUCKET_NAME", default_value = Settings::DEFAULT_BUCKET)]
    pub bucket_name: String,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub access: AccessSettings,
}

impl Settings {
    pub const DEFAULT_TABLE: &'static str = "ferry-assets";
    pub const DEFAULT_BUCKET: &'static str = "ferry-uploads";

    /// Table and bucket names with the default limits.
    pub fn named(table_name: &str, bucket_name: &str) -> Settings {
        Settings {
            table_name: table_name.into(),
            bucket_name: bucket_name.into(),
            limits: Limits::default(),
            access: AccessSettings::default(),
        }
    }
}

/// Whether people sign in, and with whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// No sign-in: one local owner. `ferry serve` allows it on loopback addresses only.
    None,
    /// OpenID Connect: browsers sign in with the issuer; the REST API also takes its tokens.
    Oidc,
}

/// Sign-in and the request checks (see the `auth` module).
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct AccessSettings {
    /// `none`: no sign-in, everything belongs to one local owner (loopback only unless
    /// --allow-anonymous); `oidc`: sign in with the OpenID Connect issuer below.
    #[arg(long, env = "FERRY_AUTH", value_enum, default_value = "none")]
    pub auth: AuthMode,
    /// With `--auth none`, serve on a non-loopback address anyway: anyone who can reach it
    /// can read, change and delete every file.
    #[arg(long, env = "FERRY_ALLOW_ANONYMOUS", default_value_t = false)]
    pub allow_anonymous: bool,
    /// The OpenID Connect issuer (discovery at `<issuer>/.well-known/openid-configuration`);
    /// https, or http on a loopback address.
    #[arg(long, env = "FERRY_OIDC_ISSUER", value_parser = issuer_url)]
    pub oidc_issuer: Option<url::Url>,
    /// The client id registered with the issuer; bearer tokens must name it (`aud` or
    /// `client_id`).
    #[arg(long, env = "FERRY_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The client secret, for a confidential client (a public client uses PKCE alone).
    #[arg(long, env = "FERRY_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// Scopes asked for at sign-in, space-separated.
    #[arg(
        long,
        env = "FERRY_OIDC_SCOPES",
        default_value = "openid email profile"
    )]
    pub oidc_scopes: String,
    /// The claim listing a person's groups.
    #[arg(long, env = "FERRY_ADMIN_CLAIM", default_value = "cognito:groups")]
    pub admin_claim: String,
    /// Members of this group are administrators: they see every owner's files.
    #[arg(long, env = "FERRY_ADMIN_GROUP", default_value = "ferry-admins")]
    pub admin_group: String,
    /// Ferry's public URL (`https://files.example.com`): the sign-in redirect is
    /// `<url>/auth/callback`, its host the one `Host` accepted besides loopback names, and
    /// cookies are `Secure` when it is https. Defaults to the listening address.
    #[arg(long, env = "FERRY_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<url::Url>,
    /// Secret (at least 32 bytes) the server's keys are derived from: the session cookies'
    /// and the page cursors' (keys.rs). `ferry serve` without it keeps a generated one in
    /// `<data dir>/cookie.key`; the web function in Lambda needs it.
    #[arg(long, env = "FERRY_COOKIE_KEY", hide_env_values = true, value_parser = cookie_secret)]
    pub cookie_key: Option<String>,
}

impl AccessSettings {
    /// The shortest cookie secret accepted.
    pub const MIN_COOKIE_SECRET_BYTES: usize = 32;
}

impl Default for AccessSettings {
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            access: AccessSettings,
        }
        defaults::<Defaults>().access
    }
}

/// A `T`'s defaults, without reading the environment.
fn defaults<T: Parser>() -> T {
    let mut command = T::command();
    let args: Vec<clap::Arg> = command.get_arguments().cloned().collect();
    for arg in args {
        let id = arg.get_id().clone();
        command = command.mut_arg(id, |a| a.env(None::<&str>));
    }
    let matches = command
        .try_get_matches_from(["ferry"])
        .expect("defaults parse");
    T::from_arg_matches(&matches).expect("defaults parse")
}

/// An issuer URL: https, or http on a loopback address (a test or local issuer); no query
/// or fragment; a trailing slash is dropped (issuers compare as strings).
fn issuer_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {e}"))?;
    check_origin_like(&url, "issuer")?;
    Ok(url)
}

/// A public URL: https, or http anywhere (a LAN or loopback `ferry serve`); an origin with
/// no path.
fn public_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected http(s)://host[:port]".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("expected an origin only, http(s)://host[:port], without a path".into());
    }
    Ok(url)
}

fn check_origin_like(url: &url::Url, what: &str) -> Result<(), String> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => return Err(format!("the {what} URL has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(format!("the {what} must be https (http only on loopback)")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("the {what} URL takes no query or fragment"));
    }
    Ok(())
}

fn cookie_secret(s: &str) -> Result<String, String> {
    if s.len() < AccessSettings::MIN_COOKIE_SECRET_BYTES {
        return Err(format!(
            "at least {} bytes",
            AccessSettings::MIN_COOKIE_SECRET_BYTES
        ));
    }
    Ok(s.to_owned())
}

/// Limits on uploads and links.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Limits {
    /// Largest upload in bytes: a declared size above it is a 413 (the size is signed into the
    /// URL); an undeclared upload that arrives larger is deleted and its asset REJECTED.
    #[arg(long, env = "FERRY_MAX_UPLOAD_BYTES", default_value_t = Limits::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: u64,
    /// Comma-separated `type/subtype` patterns (`image/*,application/pdf`); a declared type
    /// that matches none gets 415, an undeclared object stored as one is REJECTED.
    #[arg(
        long,
        env = "FERRY_ALLOWED_TYPES",
        default_value = "*/*",
        value_delimiter = ',',
        value_parser = type_pattern
    )]
    pub allowed_types: Vec<String>,
    /// Lifetime of upload URLs in seconds (multipart parts are signed just before they are
    /// sent).
    #[arg(long = "upload-ttl-secs", env = "FERRY_UPLOAD_TTL_SECS", default_value = "900", value_parser = ttl)]
    pub upload_ttl: Duration,
    /// Seconds after its upload URL expired that an upload whose file never arrived is
    /// removed (a multipart upload: after its last part's URL; its parts are deleted too).
    /// Nothing that has its bytes is ever removed.
    #[arg(
        long = "upload-grace-secs",
        env = "FERRY_UPLOAD_GRACE_SECS",
        default_value = "86400",
        value_parser = grace
    )]
    pub upload_grace: Duration,
    /// Default lifetime of download URLs in seconds (`?timeout=` overrides it).
    #[arg(long = "download-ttl-secs", env = "FERRY_DOWNLOAD_TTL_SECS", default_value = "60", value_parser = ttl)]
    pub download_ttl: Duration,
    /// Longest download URL lifetime in seconds (longer requests are capped; S3 allows 7 days).
    #[arg(
        long = "max-download-ttl-secs",
        env = "FERRY_MAX_DOWNLOAD_TTL_SECS",
        default_value = "604800",
        value_parser = ttl
    )]
    pub max_download_ttl: Duration,
    /// Longest a share link may be valid, in seconds (a person chooses up to this; each use
    /// of the link gets a fresh download URL of `FERRY_DOWNLOAD_TTL_SECS`). 60 to 365 days.
    #[arg(
        long = "max-share-ttl-secs",
        env = "FERRY_MAX_SHARE_TTL_SECS",
        default_value = "2592000",
        value_parser = share_ttl
    )]
    pub max_share_ttl: Duration,
    /// Files the upload page takes in one drop.
    #[arg(
        long,
        env = "FERRY_MAX_FILES_PER_BATCH",
        default_value_t = Limits::DEFAULT_MAX_FILES_PER_BATCH,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_files_per_batch: u64,
    /// From this size in bytes the upload page uploads in parts (resumable); at least 5 MiB.
    #[arg(
        long = "multipart-threshold-bytes",
        env = "FERRY_MULTIPART_THRESHOLD_BYTES",
        default_value_t = Limits::DEFAULT_MULTIPART_THRESHOLD,
        value_parser = clap::value_parser!(u64).range(MIN_PART..)
    )]
    pub multipart_threshold: u64,
    /// Upload tickets and part signatures one client may ask for per minute (a signed-in
    /// person's, else one address's); more are answered 429 with `Retry-After`. 0: no limit.
    #[arg(
        long,
        env = "FERRY_UPLOAD_RATE_LIMIT",
        default_value_t = Limits::DEFAULT_UPLOAD_RATE_LIMIT
    )]
    pub upload_rate_limit: u32,
}

impl Limits {
    /// 5 GiB, S3's largest single PUT.
    pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 5 * 1024 * MIB;
    pub const DEFAULT_MAX_FILES_PER_BATCH: u64 = 100;
    pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 64 * MIB;
    /// 20 a second on average: a 100-file drop and a 5 GiB file's 640 parts go through
    /// at once, a script creating records as fast as it can does not.
    pub const DEFAULT_UPLOAD_RATE_LIMIT: u32 = 1_200;

    /// Whether `content_type` (parameters ignored) matches an allowed pattern.
    pub fn allows_type(&self, content_type: &str) -> bool {
        app::domain::media::type_allowed(content_type, &self.allowed_types)
    }

    /// When an upload whose URL was signed at `signed` (the last part's, for a multipart
    /// upload) is abandoned, if its file has not arrived by then.
    pub fn abandoned_at(
        &self,
        signed: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        signed
            + chrono::Duration::from_std(self.upload_ttl + self.upload_grace)
                .unwrap_or(chrono::Duration::MAX)
    }

    /// The same limits as they apply to an object once it has arrived.
    pub fn arrival_rules(&self) -> app::domain::ArrivalRules {
        app::domain::ArrivalRules {
            max_bytes: self.max_upload_bytes,
            allowed_types: self.allowed_types.clone(),
        }
    }
}

/// The defaults, as `ferry` with no flags and no variables would have them.
impl Default for Limits {
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            limits: Limits,
        }
        defaults::<Defaults>().limits
    }
}

/// A `type/subtype` pattern, lower-cased.
fn type_pattern(s: &str) -> Result<String, String> {
    let p = s.trim().to_ascii_lowercase();
    match p.split_once('/') {
        Some((t, sub)) if !t.is_empty() && !sub.is_empty() && !sub.contains('/') => Ok(p),
        _ => Err(format!("`{s}` is not type/subtype")),
    }
}

/// Whole seconds, 1 to an hour (the listeners' deadlines).
fn seconds(s: &str) -> Result<Duration, String> {
    whole_seconds(s, 3600)
}

/// Seconds from 1 to seven days (what a presigned URL may live).
fn ttl(s: &str) -> Result<Duration, String> {
    whole_seconds(s, MAX_PRESIGN_TTL.as_secs())
}

/// A minute to a year.
fn share_ttl(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (app::domain::ShareRules::MIN_TTL_SECS..=365 * 86_400).contains(&n) => {
            Ok(Duration::from_secs(n))
        }
        _ => Err("expected whole seconds from 60 to 31536000 (365 days)".into()),
    }
}

/// 0 to 30 days.
fn grace(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n <= 30 * 86_400 => Ok(Duration::from_secs(n)),
        _ => Err("expected whole seconds from 0 to 2592000 (30 days)".into()),
    }
}

fn whole_seconds(s: &str, max: u64) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(format!("expected whole seconds from 1 to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_backends_libraries_are_quiet_unless_named() {
        for (given, logged) in [
            (
                DEFAULT_LOG_FILTER,
                "info,tower_http=warn,dynoxide=error,s3s=off",
            ),
            ("info", "info,dynoxide=error,s3s=off"),
            ("", "dynoxide=error,s3s=off"),
            ("info,s3s=debug", "info,s3s=debug,dynoxide=error"),
            ("s3s::ops=trace,dynoxide", "s3s::ops=trace,dynoxide"),
            ("s3s[req]=debug", "s3s[req]=debug,dynoxide=error"),
            // Another crate whose name starts the same is not s3s.
            ("s3s_fs=debug", "s3s_fs=debug,dynoxide=error,s3s=off"),
        ] {
            assert_eq!(log_filter(given), logged, "{given}");
        }
    }

    #[test]
    fn serve_defaults_and_flags() {
        let cli = Cli::try_parse_from(["ferry", "serve"]).unwrap();
        assert!(matches!(cli.command, Command::Serve(_)));

        let cli = Cli::try_parse_from([
            "ferry",
            "serve",
            "--addr",
            "127.0.0.1:4555",
            "--data-dir",
            "/tmp/x",
            "--site-root",
            "/tmp/site",
            "--backend",
            "aws",
            "--table",
            "t",
            "--allowed-types",
            "image/*, Application/PDF",
            "--upload-ttl-secs",
            "60",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(args.addr, "127.0.0.1:4555".parse().unwrap());
        assert_eq!(args.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(args.site_root, PathBuf::from("/tmp/site"));
        assert_eq!(args.backend, Backend::Aws);
        assert_eq!(args.settings.table_name, "t");
        assert_eq!(
            args.settings.limits.allowed_types,
            ["image/*", "application/pdf"]
        );
        assert_eq!(args.settings.limits.upload_ttl, Duration::from_secs(60));
    }

    #[test]
    fn rejects_bad_values_and_unknown_commands() {
        for bad in [
            &["ferry", "serve", "--addr", "nowhere"][..],
            &["ferry", "launch"],
            &["ferry"],
            &["ferry", "serve", "--backend", "memory"],
            &["ferry", "serve", "--upload-ttl-secs", "0"],
            &["ferry", "serve", "--max-download-ttl-secs", "604801"],
            &["ferry", "serve", "--allowed-types", "png"],
            &["ferry", "serve", "--max-files-per-batch", "0"],
            &["ferry", "serve", "--multipart-threshold-bytes", "1024"],
            &["ferry", "serve", "--max-upload-bytes", "-1"],
            &["ferry", "serve", "--max-share-ttl-secs", "59"],
            &["ferry", "serve", "--max-share-ttl-secs", "31536001"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let l = Limits::default();
        assert_eq!(l.max_upload_bytes, 5 * 1024 * 1024 * 1024);
        assert_eq!(l.allowed_types, ["*/*"]);
        assert_eq!(l.upload_ttl, Duration::from_secs(900));
        assert_eq!(l.download_ttl, Duration::from_secs(60));
        assert_eq!(l.max_download_ttl, MAX_PRESIGN_TTL);
        assert_eq!(l.max_share_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(l.max_files_per_batch, 100);
        assert_eq!(l.multipart_threshold, 64 * 1024 * 1024);
    }

    #[test]
    fn type_patterns_match_essence_only() {
        let l = Limits {
            allowed_types: vec!["image/*".into(), "application/pdf".into()],
            ..Limits::default()
        };
        assert!(l.allows_type("image/png"));
        assert!(l.allows_type("IMAGE/JPEG; q=1"));
        assert!(!l.allows_type("application/zip"));
        assert!(Limits::default().allows_type("anything/goes"));
    }
}

// The Lambda and serve futures nest the whole Leptos router type: deeper than the default.
#![recursion_limit = "256"]

use clap::{CommandFactory, Parser};
use server::{
    config::{Backend, Cli, Command, ServeArgs},
    keys::ServerKey,
    services::Services,
    site::Site,
};
use tracing_subscriber::EnvFilter;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    unset_empty_variables();
    follow_cargo_leptos();
    let cli = Cli::parse_from(arguments()?);
    let filter = EnvFilter::new(server::config::log_filter(&cli.log));
    if in_lambda() {
        // One JSON object a line, with the invocation's `requestId` (lambda_runtime's span),
        // for the functions' JSON log format and CloudWatch Logs Insights.
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Reconcile(args) => reconcile(args).await,
            #[cfg(feature = "lambda")]
            Command::Lambda(args) => lambda(args).await,
        }
    })
}

/// Whether Lambda started this process.
fn in_lambda() -> bool {
    #[cfg(feature = "lambda")]
    return server::lambda::in_lambda();
    #[cfg(not(feature = "lambda"))]
    false
}

/// An empty setting variable counts as unset (a template parameter left blank, say): clap
/// would otherwise parse the empty value. Runs before any other thread exists.
fn unset_empty_variables() {
    let command = Cli::command();
    let args = command
        .get_arguments()
        .chain(command.get_subcommands().flat_map(|c| c.get_arguments()));
    for name in args.filter_map(|a| a.get_env()) {
        if std::env::var_os(name).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(name);
        }
    }
}

/// Under `cargo leptos serve|watch`, serve the site cargo-leptos built where it says to
/// listen (`LEPTOS_SITE_ROOT`, `LEPTOS_SITE_ADDR`), unless Ferry's own variables say
/// otherwise. Runs before any other thread exists.
fn follow_cargo_leptos() {
    for (leptos, ferry) in [
        ("LEPTOS_SITE_ROOT", "FERRY_SITE_ROOT"),
        ("LEPTOS_SITE_ADDR", "FERRY_ADDR"),
    ] {
        if let (Some(value), None) = (std::env::var_os(leptos), std::env::var_os(ferry)) {
            std::env::set_var(ferry, value);
        }
    }
}

/// The command line; when Lambda starts the binary with no arguments, `lambda <handler>` for
/// the handler the function's `Handler` setting names (settings then come from the variables
/// the template sets).
fn arguments() -> Result<Vec<std::ffi::OsString>, Error> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    #[cfg(feature = "lambda")]
    if args.len() == 1 && server::lambda::in_lambda() {
        let handler = server::config::Handler::from_env()?;
        return Ok(vec![
            args[0].clone(),
            "lambda".into(),
            handler.name().into(),
        ]);
    }
    Ok(args)
}

/// Builds the AWS clients once (cold start), then serves invocations until Lambda stops us.
#[cfg(feature = "lambda")]
async fn lambda(args: server::config::LambdaArgs) -> Result<(), Error> {
    // Only the web function hands out cursors and cookies; the events function is not
    // given the secret.
    let key = match args.handler {
        server::config::Handler::Web => {
            ServerKey::load(args.settings.access.cookie_key.as_deref(), None)?
        }
        server::config::Handler::S3Events | server::config::Handler::Reconcile => {
            ServerKey::ephemeral()
        }
    };
    let access = server::auth::Access::from_settings(&args.settings.access, &key, None)?;
    let services = Services::from_env(args.settings, &key)
        .await
        .with_access(access);
    let site = Site::load(&args.site_root)?;
    server::lambda::run(args.handler, services, site).await
}

async fn serve(args: ServeArgs) -> Result<(), Error> {
    // Private files: umask 077 for the whole process, the data dir 0700 (data_dir.rs).
    server::data_dir::make_private(&args.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", args.data_dir.display()))?;
    let site = Site::load(&args.site_root)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr()?;
    server::auth::refuse_open_network(&args.settings.access, addr)?;
    let key = ServerKey::load(
        args.settings.access.cookie_key.as_deref(),
        Some(&args.data_dir),
    )?;
    let access = server::auth::Access::from_settings(&args.settings.access, &key, Some(addr))?;
    let backends = Backends {
        backend: args.backend,
        data_dir: &args.data_dir,
        durability: args.durability,
        listen: &args.listen,
        origins: app_origins(addr),
    };
    let storage = Storage::start(&backends, args.settings.clone(), &key).await?;
    storage.announce(&args.data_dir);
    let services = storage.services().with_access(access);
    tracing::info!(
        table = %services.settings.table_name,
        bucket = %services.settings.bucket_name,
        "storage ready"
    );
    let router = server::app(site, &services);
    // On AWS, DynamoDB's TTL and the scheduled reconcile function do this.
    let expiry = storage.is_embedded().then(|| {
        let reconciler = server::reconcile::Reconciler::new(&services);
        tokio::spawn(server::reconcile::every_so_often(
            reconciler,
            server::reconcile::EXPIRY_EVERY,
        ))
    });
    tracing::info!(
        "Ferry listening on http://{} (data in {}; sign-in: {})",
        addr,
        args.data_dir.display(),
        if services.access.signs_in() {
            "OpenID Connect"
        } else {
            "off, one local owner"
        }
    );
    server::listener::serve(listener, router, &args.listen, shutdown_signal()).await;
    if let Some(task) = expiry {
        task.abort();
    }
    storage.stop().await;
    tracing::info!("Ferry stopped");
    Ok(())
}

/// `ferry reconcile`: each repair on a line, then the counts. Fails if any repair failed.
async fn reconcile(args: server::config::ReconcileArgs) -> Result<(), Error> {
    use server::reconcile::{Done, Reconciler};
    // The embedded store's key is the data dir's; against AWS none is needed (no cursors or
    // cookies are handed out).
    let key = match args.backend {
        Backend::Aws => ServerKey::ephemeral(),
        Backend::Embedded => {
            server::data_dir::make_private(&args.data_dir)
                .map_err(|e| format!("cannot open data dir {}: {e}", args.data_dir.display()))?;
            ServerKey::load(
                args.settings.access.cookie_key.as_deref(),
                Some(&args.data_dir),
            )?
        }
    };
    let backends = Backends {
        backend: args.backend,
        data_dir: &args.data_dir,
        durability: args.durability,
        listen: &Default::default(),
        origins: vec![],
    };
    let storage = Storage::start(&backends, args.settings, &key).await?;
    let reconciler = Reconciler::new(&storage.services());
    let counts = reconciler
        .run(args.dry_run, |repair, done| match done {
            None => println!("would {repair}"),
            Some(Ok(Done::Unchanged(why))) => println!("unchanged: {repair} — {why}"),
            Some(Ok(Done::Rejected)) => {
                println!("rejected (breaks the upload limits; object deleted): {repair}")
            }
            Some(Ok(_)) => println!("done: {repair}"),
            Some(Err(e)) => println!("failed: {repair} — {e}"),
        })
        .await;
    storage.stop().await;
    let counts = counts?;
    println!("{counts}");
    if counts.failed > 0 {
        return Err(format!("{} repairs failed (see above); run again", counts.failed).into());
    }
    Ok(())
}

/// Where `ferry serve` keeps assets: the embedded backends, or AWS.
enum Storage {
    #[cfg(feature = "local")]
    Embedded(Box<server::services::Embedded>),
    Aws(Box<Services>),
}

/// Where storage is, and (embedded) how its endpoints serve.
#[cfg_attr(not(feature = "local"), allow(dead_code))] // all but `backend`: the embedded's
struct Backends<'a> {
    backend: Backend,
    data_dir: &'a std::path::Path,
    durability: server::config::Durability,
    listen: &'a server::config::ListenLimits,
    /// Origins the embedded S3 takes browser uploads from.
    origins: Vec<String>,
}

impl Storage {
    async fn start(
        at: &Backends<'_>,
        settings: server::config::Settings,
        key: &ServerKey,
    ) -> Result<Storage, Error> {
        match at.backend {
            Backend::Aws => Ok(Storage::Aws(Box::new(
                Services::from_env(settings, key).await,
            ))),
            #[cfg(feature = "local")]
            Backend::Embedded => {
                let embedded = server::services::Embedded::start_with(
                    at.data_dir,
                    settings,
                    &at.origins,
                    at.listen,
                    at.durability,
                    key,
                )
                .await?;
                Ok(Storage::Embedded(Box::new(embedded)))
            }
            #[cfg(not(feature = "local"))]
            Backend::Embedded => {
                let _ = (at, settings, key);
                Err("this build has no embedded backends: use --backend aws".into())
            }
        }
    }

    /// Logs where the embedded backends answer (`ferry serve`).
    fn announce(&self, data_dir: &std::path::Path) {
        #[cfg(feature = "local")]
        if let Storage::Embedded(embedded) = self {
            tracing::info!(
                dynamodb = %embedded.dynamodb_endpoint,
                s3 = %embedded.s3_endpoint,
                access_key = %embedded.credentials.access_key,
                "embedded backends up (secret key in {}/credentials.json)",
                data_dir.display()
            );
        }
        #[cfg(not(feature = "local"))]
        let _ = (self, data_dir);
    }

    fn services(&self) -> Services {
        match self {
            #[cfg(feature = "local")]
            Storage::Embedded(e) => e.services.clone(),
            Storage::Aws(services) => (**services).clone(),
        }
    }

    fn is_embedded(&self) -> bool {
        match self {
            #[cfg(feature = "local")]
            Storage::Embedded(_) => true,
            Storage::Aws(_) => false,
        }
    }

    /// Stops the embedded backends (S3 first, then DynamoDB), if any.
    async fn stop(self) {
        match self {
            #[cfg(feature = "local")]
            Storage::Embedded(e) => e.shutdown().await,
            Storage::Aws(_) => {}
        }
    }
}

/// Origins the embedded S3 accepts browser uploads from: the app's own address, and its
/// `localhost` spelling when bound to loopback.
fn app_origins(addr: std::net::SocketAddr) -> Vec<String> {
    let mut origins = vec![format!("http://{addr}")];
    if addr.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", addr.port()));
    }
    origins
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

// The Lambda and serve futures nest the whole Leptos router type: deeper than the default.
#![recursion_limit = "256"]

use clap::Parser;
use server::{
    cli::{Backend, Cli, Command, ServeArgs},
    services::{Services, Settings},
    site::Site,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // dynoxide logs every expected ConditionalCheckFailed as a warning: keep it quiet.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "info,tower_http=warn,dynoxide=error,s3s=warn".to_string());
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

    // Lambda starts the binary with no arguments: run the function its Handler names.
    #[cfg(feature = "lambda")]
    if std::env::args_os().len() == 1 && server::lambda::in_lambda() {
        let handler = server::lambda::Handler::from_env()?;
        let site_root = std::env::var("FERRY_SITE_ROOT").unwrap_or_else(|_| "site".into());
        return lambda(handler, site_root.into()).await;
    }

    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        #[cfg(feature = "lambda")]
        Command::Lambda(args) => lambda(args.handler, args.site_root).await,
    }
}

/// Builds the AWS clients once (cold start), then serves invocations until Lambda stops us.
#[cfg(feature = "lambda")]
async fn lambda(
    handler: server::lambda::Handler,
    site_root: std::path::PathBuf,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let services = Services::from_env(Settings::from_env()?).await;
    let site = Site::load(&site_root)?;
    server::lambda::run(handler, services, site).await
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", args.data_dir.display()))?;
    let site = Site::load(&args.site_root)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr()?;

    let settings = Settings::from_env()?;
    let (services, embedded): (Services, Option<EmbeddedHandle>) = match args.backend {
        #[cfg(feature = "local")]
        Backend::Embedded => {
            let origins = app_origins(addr);
            let embedded =
                server::services::Embedded::start(&args.data_dir, settings, &origins).await?;
            tracing::info!(
                dynamodb = %embedded.dynamodb_endpoint,
                s3 = %embedded.s3_endpoint,
                access_key = %embedded.credentials.access_key,
                "embedded backends up (secret key in {}/credentials.json)",
                args.data_dir.display()
            );
            (embedded.services.clone(), Some(embedded))
        }
        #[cfg(not(feature = "local"))]
        Backend::Embedded => {
            return Err("this build has no embedded backends: use --backend aws".into());
        }
        Backend::Aws => (Services::from_env(settings).await, None),
    };
    tracing::info!(
        table = %services.settings.table_name,
        bucket = %services.settings.bucket_name,
        "storage ready"
    );
    let router = server::app(site, &services);
    tracing::info!(
        "Ferry listening on http://{} (data in {})",
        addr,
        args.data_dir.display()
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    #[cfg(feature = "local")]
    if let Some(embedded) = embedded {
        embedded.shutdown().await;
    }
    #[cfg(not(feature = "local"))]
    let _ = embedded;
    drop(services);
    tracing::info!("Ferry stopped");
    Ok(())
}

/// The embedded backends, when this build has them.
#[cfg(feature = "local")]
type EmbeddedHandle = server::services::Embedded;
#[cfg(not(feature = "local"))]
type EmbeddedHandle = std::convert::Infallible;

#[cfg(feature = "local")]
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

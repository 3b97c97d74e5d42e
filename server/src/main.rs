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

    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
    }
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
    let (services, embedded) = match args.backend {
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
        listener.local_addr()?,
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

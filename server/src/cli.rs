//! The `ferry` command line.

use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Direct-to-S3 uploads with a browsable asset catalogue"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app on this machine with the embedded storage backends.
    Serve(ServeArgs),
    /// Run as an AWS Lambda function (what Lambda runs when it starts the binary with no
    /// arguments is chosen by the function's Handler: `web` or `s3-events`).
    #[cfg(feature = "lambda")]
    Lambda(LambdaArgs),
}

#[cfg(feature = "lambda")]
#[derive(Debug, clap::Args)]
pub struct LambdaArgs {
    #[arg(value_enum)]
    pub handler: crate::lambda::Handler,
    /// The built site the web function serves.
    #[arg(long, env = "FERRY_SITE_ROOT", default_value = "site")]
    pub site_root: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FERRY_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory holding Ferry's data (created if missing).
    #[arg(long, env = "FERRY_DATA_DIR", default_value = "./.ferry")]
    pub data_dir: PathBuf,
    /// Storage: `embedded` runs DynamoDB- and S3-compatible endpoints on loopback with data
    /// under the data dir; `aws` uses the AWS SDK's environment (AWS_REGION, credentials,
    /// AWS_ENDPOINT_URL*) with TABLE_NAME and BUCKET_NAME.
    #[arg(long, env = "FERRY_BACKEND", value_enum, default_value = "embedded")]
    pub backend: Backend,
    /// The built site (CSS, JS, wasm and public files), as written by scripts/build-site.sh.
    #[arg(long, env = "FERRY_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Embedded,
    Aws,
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(args.addr, "127.0.0.1:4555".parse().unwrap());
        assert_eq!(args.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(args.site_root, PathBuf::from("/tmp/site"));
        assert_eq!(args.backend, Backend::Aws);
    }

    #[test]
    fn rejects_bad_address_and_unknown_command() {
        assert!(Cli::try_parse_from(["ferry", "serve", "--addr", "nowhere"]).is_err());
        assert!(Cli::try_parse_from(["ferry", "launch"]).is_err());
        assert!(Cli::try_parse_from(["ferry"]).is_err());
        assert!(Cli::try_parse_from(["ferry", "serve", "--backend", "memory"]).is_err());
    }
}

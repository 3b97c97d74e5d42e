//! AWS SDK clients, built once per process (Lambda cold start or `ferry serve` start) and
//! shared: no per-request client or TLS setup.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};

/// The SDK configuration from the environment: `AWS_REGION`, credentials, and
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB` for compatible
/// services.
pub async fn config_from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Configuration for one local endpoint with static credentials.
pub fn config_for_endpoint(
    endpoint: &str,
    region: &str,
    access_key: &str,
    secret_key: &str,
) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    access_key,
                    secret_key,
                    None,
                    None,
                    "ferry-embedded",
                ),
            ),
        )
        .build()
}

pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// The S3 client. Path-style addressing for S3-compatible endpoints; checksums only when an
/// operation requires them, so presigned PUT URLs carry no checksum parameters a browser
/// cannot satisfy (aws-sdk-rust #1240, #1253).
pub fn s3_client(config: &SdkConfig, path_style: bool) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Whether the environment points S3 at a compatible service (which wants path-style URLs).
pub fn custom_s3_endpoint_in_env() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()))
}

/// An error and all its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

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

/// The DynamoDB client for the embedded store (`local::dynamo`): it sends
/// `TransactWriteItems` without the `ClientRequestToken` the SDK adds to each (see
/// [`WithoutRequestTokens`]). dynoxide 3.2.0 keeps every token for ten minutes and scans them
/// all on each transaction, so each transaction cost more the more uploads the last ten
/// minutes had: hundreds of thousands at hundreds of uploads a second.
#[cfg(feature = "local")]
pub fn embedded_dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(WithoutRequestTokens)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// Takes the SDK's `ClientRequestToken` out of each `TransactWriteItems` before it is
/// signed. The token only matters when the SDK retries a transaction whose answer was lost;
/// without it the embedded store runs the retry again, and every Ferry transaction is
/// conditional, so a retry of one that had committed fails its condition instead of writing
/// twice (a create then reports an error and leaves its asset `CREATED`; an event reads
/// again and finds itself applied).
#[cfg(feature = "local")]
#[derive(Debug)]
struct WithoutRequestTokens;

#[cfg(feature = "local")]
impl aws_sdk_dynamodb::config::Intercept for WithoutRequestTokens {
    fn name(&self) -> &'static str {
        "WithoutRequestTokens"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut<
            '_,
        >,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let transaction = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|target| target.ends_with(".TransactWriteItems"));
        if !transaction {
            return Ok(());
        }
        let Some(body) = request.body().bytes().and_then(without_request_token) else {
            return Ok(());
        };
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        *request.body_mut() = aws_sdk_s3::primitives::SdkBody::from(body);
        Ok(())
    }
}

/// The JSON request body without its top-level `ClientRequestToken`; `None` if it has none
/// (or is not a JSON object).
#[cfg(feature = "local")]
fn without_request_token(body: &[u8]) -> Option<Vec<u8>> {
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).ok()?;
    fields.remove("ClientRequestToken")?;
    serde_json::to_vec(&fields).ok()
}

#[cfg(all(test, feature = "local"))]
mod tests {
    use super::without_request_token;

    #[test]
    fn the_token_goes_and_the_items_stay() {
        let body = br#"{"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}}],"ClientRequestToken":"00000000-0000-4000-8000-000000000000"}"#;
        let stripped = without_request_token(body).expect("had a token");
        let json: serde_json::Value = serde_json::from_slice(&stripped).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}}]})
        );
    }

    #[test]
    fn a_body_without_a_token_is_left_alone() {
        assert_eq!(without_request_token(br#"{"TransactItems":[]}"#), None);
        assert_eq!(without_request_token(b"not json"), None);
    }
}

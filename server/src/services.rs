//! Wiring: the services built once per process from the [`Settings`], against AWS or the
//! embedded backends.

use crate::{
    auth::Access, aws, config::Settings, keys::ServerKey, notifications::EventHandler,
    objects::ObjectStore, service::AssetService, storage::AssetStore, thumbnails::Thumbnailer,
};
use std::sync::Arc;

/// Everything handlers need: the asset service, and the stores under it.
#[derive(Clone)]
pub struct Services {
    pub settings: Settings,
    pub store: Arc<AssetStore>,
    pub objects: Arc<ObjectStore>,
    pub assets: Arc<AssetService>,
    /// S3 notifications → the table (Lambda's `s3-events`, the embedded S3's events).
    pub events: Arc<EventHandler>,
    /// Thumbnails of the images events recorded (after the events, never on a request).
    pub thumbnails: Arc<Thumbnailer>,
    /// Who may ask: without [`Services::with_access`], nobody signs in (the local owner).
    pub access: Access,
    /// The origin browsers reach the bucket at (presigned URLs), for the pages'
    /// Content-Security-Policy; set by [`Services::with_s3_origin`].
    pub s3_origin: Option<String>,
}

impl Services {
    pub fn new(settings: Settings, store: Arc<AssetStore>, objects: Arc<ObjectStore>) -> Services {
        let assets = Arc::new(AssetService::new(
            store.clone(),
            objects.clone(),
            &settings.bucket_name,
            settings.limits.clone(),
        ));
        let events = Arc::new(EventHandler::new(
            store.clone(),
            objects.clone(),
            &settings.bucket_name,
            settings.limits.arrival_rules(),
        ));
        let access = Access::open(settings.access.public_url.as_ref());
        let thumbnails = Arc::new(Thumbnailer::new(store.clone(), objects.clone()));
        Services {
            settings,
            store,
            objects,
            assets,
            events,
            thumbnails,
            access,
            s3_origin: None,
        }
    }

    /// The same services with [`Services::s3_origin`] read off a presigned URL (sends
    /// nothing). Logged and left unset if presigning fails: pages then cannot reach S3.
    pub async fn with_s3_origin(self) -> Services {
        match self
            .objects
            .browser_origin(&self.settings.bucket_name)
            .await
        {
            Ok(origin) => Services {
                s3_origin: Some(origin),
                ..self
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot tell the S3 origin for the pages' policy");
                self
            }
        }
    }

    /// The same services behind the given sign-in (built with `Access::from_settings`).
    pub fn with_access(self, access: Access) -> Services {
        Services { access, ..self }
    }

    /// Against AWS (or any compatible service named by `AWS_ENDPOINT_URL*`), with cursors
    /// sealed by `key`.
    pub async fn from_env(settings: Settings, key: &ServerKey) -> Services {
        let config = aws::config_from_env().await;
        let store = Arc::new(AssetStore::new(
            aws::dynamodb_client(&config),
            &settings.table_name,
            key.cursors(),
        ));
        let objects = Arc::new(ObjectStore::new(aws::s3_client(
            &config,
            aws::custom_s3_endpoint_in_env(),
        )));
        Services::new(settings, store, objects)
            .with_s3_origin()
            .await
    }
}

/// The embedded backends and the services wired to them.
#[cfg(feature = "local")]
pub struct Embedded {
    pub services: Services,
    pub credentials: crate::local::Credentials,
    pub dynamodb_endpoint: String,
    pub s3_endpoint: String,
    s3: crate::local::s3::EmbeddedS3,
    dynamo: crate::local::dynamo::EmbeddedDynamo,
}

#[cfg(feature = "local")]
impl Embedded {
    pub const REGION: &'static str = "us-east-1";

    /// Starts DynamoDB and S3 endpoints keeping their data under `data_dir`, creates the
    /// table and bucket if missing, and routes S3 events into the asset store. The S3
    /// endpoint's listener has the default [`crate::config::ListenLimits`]; the server key
    /// is the configured one or the one kept in `data_dir` ([`ServerKey::load`]).
    pub async fn start(
        data_dir: &std::path::Path,
        settings: Settings,
        allowed_origins: &[String],
    ) -> Result<Embedded, Box<dyn std::error::Error + Send + Sync>> {
        let key = ServerKey::load(settings.access.cookie_key.as_deref(), Some(data_dir))?;
        Self::start_with(
            data_dir,
            settings,
            allowed_origins,
            &Default::default(),
            crate::config::Durability::default(),
            &key,
        )
        .await
    }

    /// The same, with the S3 endpoint's listener limited by `listen`, the store's commits
    /// as durable as `durability` says, and cursors sealed by `key`.
    pub async fn start_with(
        data_dir: &std::path::Path,
        settings: Settings,
        allowed_origins: &[String],
        listen: &crate::config::ListenLimits,
        durability: crate::config::Durability,
        key: &ServerKey,
    ) -> Result<Embedded, Box<dyn std::error::Error + Send + Sync>> {
        use crate::local::{self, Credentials};
        let credentials = Credentials::load_or_create(data_dir)?;
        let endpoint_config = |endpoint: &str| {
            aws::config_for_endpoint(
                endpoint,
                Self::REGION,
                &credentials.access_key,
                &credentials.secret_key,
            )
        };

        let dynamo = local::dynamo::start(&data_dir.join("dynamodb.sqlite"), durability)?;
        let store = Arc::new(AssetStore::new(
            aws::embedded_dynamodb_client(&endpoint_config(&dynamo.endpoint)),
            &settings.table_name,
            key.cursors(),
        ));
        store.ensure_table().await?;

        // The handler needs the S3 client, which needs the endpoint the sink is given to:
        // it is set once both exist, before any request can be made. Thumbnails are made in
        // a task of their own, after the event, so the upload's answer never waits for them.
        type Handlers = (Arc<EventHandler>, Arc<Thumbnailer>, String);
        let handler: Arc<std::sync::OnceLock<Handlers>> = Arc::default();
        let sink: local::s3::EventSink = {
            let handler = handler.clone();
            Arc::new(move |event| {
                let handler = handler.get().cloned();
                Box::pin(async move {
                    match handler {
                        Some((events, thumbnails, bucket)) => {
                            let report = events.handle(&event).await;
                            let (arrived, removed) = (report.arrivals(), report.removals());
                            tokio::spawn(async move {
                                thumbnails.follow(&bucket, arrived, removed).await
                            });
                        }
                        None => tracing::error!("S3 event before the handler was ready"),
                    }
                })
            })
        };
        let s3 = local::s3::start(
            &data_dir.join("s3"),
            &credentials,
            Self::REGION,
            allowed_origins,
            sink,
            listen,
        )
        .await?;
        let objects = Arc::new(ObjectStore::new(aws::s3_client(
            &endpoint_config(&s3.endpoint),
            true,
        )));
        objects.ensure_bucket(&settings.bucket_name).await?;
        let services = Services::new(settings, store, objects)
            .with_s3_origin()
            .await;
        let _ = handler.set((
            services.events.clone(),
            services.thumbnails.clone(),
            services.settings.bucket_name.clone(),
        ));

        Ok(Embedded {
            services,
            dynamodb_endpoint: dynamo.endpoint.clone(),
            s3_endpoint: s3.endpoint.clone(),
            credentials,
            s3,
            dynamo,
        })
    }

    /// Stops S3 first (no more events), then DynamoDB.
    pub async fn shutdown(self) {
        self.s3.shutdown().await;
        let dynamo = self.dynamo;
        let _ = tokio::task::spawn_blocking(move || dynamo.shutdown()).await;
    }
}

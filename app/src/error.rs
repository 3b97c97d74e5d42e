//! Errors a page can show, and how each maps to an HTTP status during server rendering.

use crate::domain::InvalidAssetId;
use leptos::prelude::*;

/// Errors raised while rendering a page. Each has the HTTP status the server answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    InvalidAssetId(#[from] InvalidAssetId),
    #[error("{0}")]
    NotFound(String),
}

impl PageError {
    pub fn status(&self) -> http::StatusCode {
        match self {
            // A malformed id in the path names no page at all: 404, like any unknown URL.
            PageError::InvalidAssetId(_) | PageError::NotFound(_) => http::StatusCode::NOT_FOUND,
        }
    }
}

/// Sets the status code of the response being rendered (no-op in the browser).
pub fn set_response_status(status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// What an `<ErrorBoundary>` shows instead of a page that failed to render.
pub fn error_panel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    // The most severe status among the errors wins; unknown errors are server errors.
    let status = errors
        .get_untracked()
        .iter()
        .map(|(_, e)| {
            e.downcast_ref::<PageError>()
                .map(PageError::status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
        })
        .max_by_key(|s| s.as_u16())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    set_response_status(status);

    view! {
        <section class="panel panel-error" role="alert">
            <h1>{if status == http::StatusCode::NOT_FOUND { "Not found" } else { "Something went wrong" }}</h1>
            <ul class="error-list">
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
            <p>
                <a href="/assets">"Back to all assets"</a>
            </p>
        </section>
    }
}

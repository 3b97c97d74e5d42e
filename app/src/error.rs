//! How a page that failed to render is shown, with the HTTP status of its error. Pages raise
//! [`FerryError`], whose `status()` is the one error-to-status mapping of the whole app.

use crate::api::FerryError;
use leptos::prelude::*;

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
            e.downcast_ref::<FerryError>()
                .and_then(|fe| http::StatusCode::from_u16(fe.status()).ok())
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

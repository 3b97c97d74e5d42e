//! How a page that failed to render is shown, with the HTTP status of its error. Pages fail
//! with [`FerryError`], whose `status()` is the one error-to-status mapping of the whole app.

use crate::{api::FerryError, platform::set_response_status};
use leptos::prelude::*;

/// A page that could not be shown because of `e`, answered with `e`'s status.
///
/// Pages whose data comes from a resource render this directly rather than throwing into an
/// `<ErrorBoundary>`: resolved suspense content may render on another server thread, where a
/// thrown error would not reach the boundary (the page came out empty, with status 200).
pub fn error_page(e: &FerryError) -> impl IntoView {
    let status = e.status();
    set_response_status(status);
    let heading = if status == http::StatusCode::NOT_FOUND {
        "Not found"
    } else {
        "Something went wrong"
    };
    view! {
        <leptos_meta::Title text=heading />
        <section class="panel panel-error" role="alert">
            <h1>{heading}</h1>
            <p>{e.to_string()}</p>
            <p>
                <a href="/assets">"Back to all assets"</a>
            </p>
        </section>
    }
}

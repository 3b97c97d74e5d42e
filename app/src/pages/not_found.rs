//! The page of any URL no route matches.

use crate::platform::set_response_status;
use leptos::prelude::*;
use leptos_meta::Title;

/// Any URL no route matches. Answered with status 404 by the server.
#[component]
pub fn NotFound() -> impl IntoView {
    set_response_status(http::StatusCode::NOT_FOUND);
    view! {
        <Title text="Page not found" />
        <section class="panel" aria-labelledby="nf-title">
            <h1 id="nf-title">"Page not found"</h1>
            <p>"There is nothing at this address. It may have been mistyped, or the link is out of date."</p>
            <p>
                <a href="/">"Upload files"</a>
                " or "
                <a href="/assets">"browse assets"</a>
                "."
            </p>
        </section>
    }
}

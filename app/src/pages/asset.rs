use crate::{api::FerryError, domain::AssetId, error::error_panel};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/assets/:id`: one asset. A malformed id is a 404 shown by the error boundary.
///
/// The boundary lives inside the routed page (not around `<Routes>`), so leaving the page
/// drops it together with its errors.
#[component]
pub fn AssetPage() -> impl IntoView {
    let params = use_params_map();
    // A malformed id in the path names no page at all: 404, like any unknown URL.
    let id = move || -> Result<AssetId, FerryError> {
        let raw = params.read().get("id").unwrap_or_default();
        raw.parse::<AssetId>()
            .map_err(|e| FerryError::NotFound(e.to_string()))
    };

    let page = move || {
        id().map(|id| {
            view! {
                <Title text=format!("Asset {id}") />
                <section class="page-head">
                    <p class="crumbs">
                        <a href="/assets">"Assets"</a>
                        " / "
                    </p>
                    <h1 class="mono">{id.to_string()}</h1>
                </section>
            }
        })
    };
    view! { <ErrorBoundary fallback=error_panel>{page}</ErrorBoundary> }
}

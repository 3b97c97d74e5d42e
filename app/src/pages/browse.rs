use leptos::prelude::*;
use leptos_meta::Title;

/// `/assets`: every asset with its status and metadata.
#[component]
pub fn BrowsePage() -> impl IntoView {
    view! {
        <Title text="Assets" />
        <section class="page-head">
            <h1>"Assets"</h1>
            <p class="lede">
                "Every upload and every object that arrives in the bucket, newest first, "
                "with its status: created, received, uploaded or deleted."
            </p>
        </section>
    }
}

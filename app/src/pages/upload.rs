use leptos::prelude::*;
use leptos_meta::Title;

/// `/`: where files are dropped. The upload queue itself lands with the asset backend.
#[component]
pub fn UploadPage() -> impl IntoView {
    view! {
        <Title text="Upload" />
        <section class="page-head">
            <h1>"Upload files"</h1>
            <p class="lede">
                "Files go from your browser straight to S3 through short-lived signed URLs. "
                "Ferry records each object's size, ETag and S3 event details as it arrives."
            </p>
        </section>
        <ol class="steps" aria-label="How an upload travels">
            <li>
                <strong>"Created"</strong>
                " — Ferry signs an upload URL for the file."
            </li>
            <li>
                <strong>"Received"</strong>
                " — S3 reports the object; its metadata is recorded."
            </li>
            <li>
                <strong>"Uploaded"</strong>
                " — your browser confirms, and the file can be downloaded."
            </li>
        </ol>
    }
}

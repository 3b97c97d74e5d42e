//! Images as a thumbnail, text files as their first kilobyte, both fetched by the browser
//! from a short-lived presigned GET (the server never carries the bytes).

use crate::{
    api::{create_download_link, DownloadLink},
    domain::{media::FileKind, Asset, AssetStatus},
    format::{text_preview, TEXT_PREVIEW_BYTES},
    platform,
};
use leptos::prelude::*;

/// Lifetime of the link a preview loads from.
const PREVIEW_LINK_SECS: u64 = 300;

#[component]
pub fn Preview(live: Signal<Asset>, kind: FileKind) -> impl IntoView {
    let downloadable = Memo::new(move |_| live.get().status.is_downloadable());
    let image = RwSignal::new(None::<Result<String, String>>);
    let text = RwSignal::new(None::<Result<(String, bool), String>>);
    let first = live.get_untracked();
    let (id, name, size) = (first.id, first.filename, first.size);

    // Loads once the file can be downloaded (effects run only in the browser).
    Effect::new(move |_| {
        if !downloadable.get() || !matches!(kind, FileKind::Image | FileKind::Text) {
            return;
        }
        leptos::task::spawn_local(async move {
            let link = create_download_link(id, Some(PREVIEW_LINK_SECS))
                .await
                .map_err(|e| e.to_string());
            match kind {
                FileKind::Image => {
                    let _ = image.try_set(Some(link.map(|l| l.download_url)));
                }
                _ => {
                    let _ = text.try_set(Some(text_head(link, size).await));
                }
            }
        });
    });

    move || {
        if !downloadable.get() {
            let why = if live.get().status == AssetStatus::Deleted {
                "Deleted assets cannot be previewed."
            } else {
                "The preview appears once the file is in the bucket."
            };
            return view! { <p class="muted">{why}</p> }.into_any();
        }
        match kind {
            // The image takes the box its placeholder held, so nothing below it moves.
            FileKind::Image => match image.get() {
                None => view! {
                    <div class="preview-loading preview-box" role="status">"Loading preview…"</div>
                }
                .into_any(),
                Some(Ok(url)) => view! {
                    <img
                        class="preview-image preview-box"
                        src=url
                        alt=format!("Preview of {name}")
                        data-testid="preview-image"
                    />
                }
                .into_any(),
                Some(Err(e)) => failed(e),
            },
            FileKind::Text => match text.get() {
                None => loading(),
                Some(Ok((body, more))) => view! {
                    <pre class="preview-text" data-testid="preview-text" tabindex="0">{body}</pre>
                    {more.then(|| view! { <p class="muted small">"Showing the first kilobyte."</p> })}
                }
                .into_any(),
                Some(Err(e)) => failed(e),
            },
            other => view! {
                <p class="muted">{format!("No preview for {} files.", other.label().to_lowercase())}</p>
            }
            .into_any(),
        }
    }
}

/// The first kilobyte of a text file, and whether it is longer than that.
async fn text_head(
    link: Result<DownloadLink, String>,
    size: Option<u64>,
) -> Result<(String, bool), String> {
    let body = platform::fetch_range(&link?.download_url, TEXT_PREVIEW_BYTES).await?;
    let (text, more) = text_preview(body, TEXT_PREVIEW_BYTES);
    // Longer than shown: from the recorded size (reading Content-Range would need the
    // bucket's CORS rule to expose it).
    let longer = size.is_some_and(|s| s > TEXT_PREVIEW_BYTES);
    Ok((text, more || longer))
}

fn loading() -> AnyView {
    view! { <div class="preview-loading" role="status">"Loading preview…"</div> }.into_any()
}

fn failed(e: String) -> AnyView {
    view! { <p class="error-text">{format!("No preview: {e}")}</p> }.into_any()
}

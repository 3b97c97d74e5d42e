//! Every field of an asset, with what S3 has not reported yet said as such.

use crate::{
    components::{StatusBadge, Time},
    domain::Asset,
    format::{exact_time, human_bytes},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn unknown() -> AnyView {
    view! { <span class="muted">"not yet known (arrives with the S3 event)"</span> }.into_any()
}

fn text(v: String) -> AnyView {
    view! { <span class="mono">{v}</span> }.into_any()
}

fn maybe(v: Option<String>) -> AnyView {
    v.map(text).unwrap_or_else(unknown)
}

/// The exact time, and relative to now.
fn when(t: Option<DateTime<Utc>>) -> AnyView {
    match t {
        Some(t) => view! {
            <span>{exact_time(t)}</span>
            " "
            <span class="muted">"(" <Time time=t /> ")"</span>
        }
        .into_any(),
        None => unknown(),
    }
}

/// Human units, and bytes.
fn size(n: Option<u64>) -> AnyView {
    match n {
        Some(n) => view! {
            <span>{human_bytes(n)}</span>
            " "
            <span class="muted">{format!("({n} bytes)")}</span>
        }
        .into_any(),
        None => unknown(),
    }
}

/// The folder an owned asset is in, as a link to it (its names are on that page).
fn folder_link(asset: &Asset) -> AnyView {
    match (asset.owner.is_some(), asset.folder()) {
        (false, _) => {
            view! { <span class="muted">"none (only an owner's files are in folders)"</span> }
                .into_any()
        }
        (true, None) => {
            view! { <a href="/assets" data-testid="asset-folder">"Home"</a> }.into_any()
        }
        (true, Some(id)) => view! {
            <a href=format!("/assets?folder={id}") data-testid="asset-folder">
                {format!("Open its folder ({} deep)", asset.folder_path.len())}
            </a>
        }
        .into_any(),
    }
}

#[component]
pub fn Metadata(asset: Asset) -> impl IntoView {
    let rows: Vec<(&str, AnyView)> = vec![
        ("Asset id", text(asset.id.to_string())),
        (
            "Owner",
            match asset.owner.clone() {
                Some(owner) => text(owner.to_string()),
                None => view! {
                    <span class="muted">"no owner (put in the bucket by another tool)"</span>
                }
                .into_any(),
            },
        ),
        ("File name", text(asset.filename.clone())),
        ("Folder", folder_link(&asset)),
        ("Content type", text(asset.content_type.clone())),
        ("Size", size(asset.size)),
        (
            "Status",
            view! { <StatusBadge status=asset.status /> }.into_any(),
        ),
        ("Bucket", text(asset.bucket.clone())),
        ("Object key", text(asset.object_key.clone())),
        ("ETag", maybe(asset.etag.clone())),
        ("Event name", maybe(asset.event_name.clone())),
        ("Event time", when(asset.event_time)),
        ("Sequencer", maybe(asset.sequencer.clone())),
        (
            "SHA-256 (checked by S3)",
            match asset.checksum_sha256.clone() {
                Some(sum) => view! { <code data-testid="checksum">{sum}</code> }.into_any(),
                None => view! {
                    <span class="muted">"none: the upload sent no checksum"</span>
                }
                .into_any(),
            },
        ),
        ("Created", when(Some(asset.created_at))),
        ("Updated", when(Some(asset.updated_at))),
    ];
    let deleted_from = asset.deleted_from.map(|s| {
        view! {
            <div class="meta-row">
                <dt>"Deleted from"</dt>
                <dd>{s.as_str()}</dd>
            </div>
        }
    });
    let rejection = asset.rejection.as_ref().map(|r| {
        view! {
            <div class="meta-row">
                <dt>"Rejected because"</dt>
                <dd data-testid="rejection">{r.to_string()}</dd>
            </div>
        }
    });
    view! {
        <dl class="meta" data-testid="metadata">
            {rows
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="meta-row">
                            <dt>{label}</dt>
                            <dd>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
            {deleted_from}
            {rejection}
        </dl>
    }
}

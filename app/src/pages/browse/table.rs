//! The listing itself: the table of assets (cards on narrow screens) or the grid of cards
//! with thumbnails, the pager, the empty states and the loading skeleton.

use super::{
    folders::{upload_href, FolderCard, FolderRow},
    query::BrowseQuery,
    selection::Selection,
};
use crate::{
    api::{AssetList, OwnerFilter},
    components::{AssetActions, FileIcon, StatusBadge, Time},
    domain::{media::FileKind, Asset, AssetId},
    format::human_bytes,
};
use leptos::prelude::*;
use leptos_router::{hooks::use_navigate, NavigateOptions};

/// The id of the page's delete confirmation dialog.
pub(super) const DELETE_DIALOG: &str = "confirm-delete";

/// The page of assets: a table (cards on narrow screens) or, with `grid`, cards with
/// thumbnails; then the pager.
#[component]
pub fn AssetTable(
    q: BrowseQuery,
    page: AssetList,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    grid: bool,
    selection: Selection,
) -> impl IntoView {
    if page.items.is_empty() && page.folders.is_empty() {
        return view! { <Empty q /> }.into_any();
    }
    let count = page.items.len();
    let folders = page.folders.clone();
    let sort = q.effective_sort();
    let caption = format!(
        "{count} asset{}, {}{}",
        if count == 1 { "" } else { "s" },
        sort.label().to_lowercase(),
        if q.cursor.is_some() {
            ""
        } else {
            " (first page)"
        }
    );
    let prev = page.prev_cursor.clone().map(|c| q.at(Some(c)).href());
    let next = page.next_cursor.clone().map(|c| q.at(Some(c)).href());
    let first = q.cursor.is_some().then(|| q.first_page().href());
    // Administrators see whose each asset is (they may list several owners').
    let owners = page.viewer_is_admin.then_some(q.clone());
    let order: std::sync::Arc<[AssetId]> = page.items.iter().map(|a| a.id).collect();
    let select_all = {
        let order = order.clone();
        let all = {
            let order = order.clone();
            move || {
                selection
                    .ids
                    .with(|s| order.iter().all(|id| s.contains(id)))
            }
        };
        let some = {
            let order = order.clone();
            move || {
                selection
                    .ids
                    .with(|s| order.iter().any(|id| s.contains(id)))
            }
        };
        let all2 = all.clone();
        view! {
            <input
                type="checkbox"
                aria-label="Select all on this page"
                data-testid="select-all"
                prop:checked=all
                prop:indeterminate=move || some() && !all2()
                on:change=move |ev| selection.all(&order, event_target_checked(&ev))
            />
        }
    };
    let pager = view! {
        <nav class="pager" aria-label="Pages">
            {pager_link(first, "« First", "first")}
            {pager_link(prev, "‹ Previous", "prev")}
            <span class="pager-count muted">
                {format!("{count} on this page")}
            </span>
            {pager_link(next, "Next ›", "next")}
        </nav>
    };
    if grid {
        let folder_cards = folders
            .into_iter()
            .map(|folder| view! { <FolderCard folder q=q.clone() /> })
            .collect_view();
        let cards = page
            .items
            .into_iter()
            .map(|asset| {
                let order = order.clone();
                view! { <AssetCard asset delete_target changed selection order /> }
            })
            .collect_view();
        return view! {
            <label class="select-all">{select_all} "Select all on this page"</label>
            <ul class="asset-grid" data-testid="asset-grid" aria-label=caption>
                {folder_cards}
                {cards}
            </ul>
            {pager}
        }
        .into_any();
    }
    // Every column after the name's: owner (administrators), size, status, two times, actions.
    let columns = 5 + usize::from(owners.is_some());
    let folder_rows = folders
        .into_iter()
        .map(|folder| view! { <FolderRow folder q=q.clone() columns /> })
        .collect_view();
    let rows = page
        .items
        .into_iter()
        .map(|asset| {
            let owners = owners.clone();
            let order = order.clone();
            view! { <AssetRow asset owners delete_target changed selection order /> }
        })
        .collect_view();
    view! {
        <table class="assets" data-testid="assets">
            <caption class="visually-hidden">{caption}</caption>
            <thead>
                <tr>
                    <th scope="col" class="cell-select">{select_all}</th>
                    <th scope="col">"Name"</th>
                    {owners.is_some().then(|| view! { <th scope="col">"Owner"</th> })}
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Updated"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{folder_rows} {rows}</tbody>
        </table>
        {pager}
    }
    .into_any()
}

/// One asset as a card: its thumbnail (an image's, once made) or its icon, name, status,
/// size, and its actions.
#[component]
fn AssetCard(
    asset: Asset,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    selection: Selection,
    order: std::sync::Arc<[AssetId]>,
) -> impl IntoView {
    let check = select_box(&asset, selection, order);
    let href = format!("/assets/{}", asset.id);
    let kind = FileKind::of(&asset.content_type, &asset.filename);
    let size = asset.size.map(human_bytes).unwrap_or_else(|| "—".into());
    let picture = match asset.thumbnail_url.clone() {
        // The name beside it says what it is: the image itself is decoration here.
        Some(src) => view! {
            <img
                class="card-thumb"
                src=src
                alt=""
                loading="lazy"
                decoding="async"
                width="160"
                height="160"
                data-testid="thumbnail"
            />
        }
        .into_any(),
        None => view! {
            <span class="card-thumb card-icon">
                <FileIcon kind />
            </span>
        }
        .into_any(),
    };
    view! {
        <li
            class="asset-card"
            data-testid="asset-card"
            data-asset-id=asset.id.to_string()
            data-status=asset.status.as_str()
        >
            {check}
            <a class="card-link" href=href>
                {picture}
                <span class="card-name">{asset.filename.clone()}</span>
            </a>
            <span class="card-meta">
                <StatusBadge status=asset.status />
                <span class="muted small">{size}</span>
            </span>
            <span class="card-actions">
                <AssetActions
                    asset=asset.clone()
                    dialog_id=DELETE_DIALOG
                    delete_target
                    changed
                    compact=true
                />
            </span>
        </li>
    }
}

fn pager_link(href: Option<String>, label: &'static str, rel: &'static str) -> impl IntoView {
    match href {
        Some(href) => view! {
            <a class="btn btn-quiet" href=href rel=rel>
                {label}
            </a>
        }
        .into_any(),
        None => view! {
            <span class="btn btn-quiet disabled" aria-disabled="true">
                {label}
            </span>
        }
        .into_any(),
    }
}

/// `owners`: the view, when the caller administers Ferry (the row then has an owner cell
/// linking to that owner's assets).
#[component]
fn AssetRow(
    asset: Asset,
    owners: Option<BrowseQuery>,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    selection: Selection,
    order: std::sync::Arc<[AssetId]>,
) -> impl IntoView {
    let check = select_box(&asset, selection, order);
    let href = format!("/assets/{}", asset.id);
    let kind = FileKind::of(&asset.content_type, &asset.filename);
    let size = asset.size.map(human_bytes).unwrap_or_else(|| "—".into());
    let name = asset.filename.clone();
    let download = asset.status.is_downloadable().then(|| {
        view! {
            <a
                class="btn btn-quiet"
                href=format!("/assets/{}/download", asset.id)
                aria-label=format!("Download {name}")
            >
                "Download"
            </a>
        }
    });
    view! {
        <tr data-asset-id=asset.id.to_string() data-status=asset.status.as_str()>
            <td class="cell-select">{check}</td>
            <td class="cell-name" data-label="Name">
                <FileIcon kind />
                <span class="name-block">
                    <a class="asset-link" href=href>
                        {asset.filename.clone()}
                    </a>
                    <span class="muted small">{asset.content_type.clone()}</span>
                </span>
            </td>
            {owners.map(|q| view! { <OwnerCell asset=asset.clone() q /> })}
            <td class="num" data-label="Size">
                {size}
            </td>
            <td data-label="Status">
                <StatusBadge status=asset.status />
            </td>
            <td data-label="Created">
                <Time time=asset.created_at />
            </td>
            <td data-label="Updated">
                <Time time=asset.updated_at />
            </td>
            <td class="cell-actions" data-label="Actions">
                {download}
                <AssetActions
                    asset=asset.clone()
                    dialog_id=DELETE_DIALOG
                    delete_target
                    changed
                    compact=true
                />
            </td>
        </tr>
    }
}

/// The checkbox that selects `asset` (Shift: every row since the last one clicked).
fn select_box(
    asset: &Asset,
    selection: Selection,
    order: std::sync::Arc<[AssetId]>,
) -> impl IntoView {
    let id = asset.id;
    view! {
        <input
            type="checkbox"
            class="select-box"
            aria-label=format!("Select {}", asset.filename)
            data-testid="select"
            prop:checked=move || selection.has(id)
            on:click=move |ev: leptos::ev::MouseEvent| {
                selection.click(&order, id, event_target_checked(&ev), ev.shift_key())
            }
        />
    }
}

/// Whose an asset is, linking to that owner's assets (or to the unowned ones).
#[component]
fn OwnerCell(asset: Asset, q: BrowseQuery) -> impl IntoView {
    let (filter, label) = match asset.owner {
        Some(o) => (OwnerFilter::Owner(o.clone()), o.to_string()),
        None => (OwnerFilter::Unowned, "no owner".to_string()),
    };
    let class = if matches!(filter, OwnerFilter::Unowned) {
        "muted"
    } else {
        "mono"
    };
    let href = BrowseQuery {
        owner: Some(filter),
        ..q.first_page()
    }
    .href();
    let data_owner = label.clone();
    view! {
        <td class="cell-owner" data-label="Owner" data-owner=data_owner>
            <a class=class href=href>
                {label}
            </a>
        </td>
    }
}

/// Administrators choose whose assets to list: their own (in their folders), everyone's,
/// the ones that belong to no owner, or (from an owner cell's link) one owner's. A plain GET
/// form keeping the rest of the view; once hydrated, a choice applies at once.
#[component]
pub fn OwnerChoice(q: BrowseQuery) -> impl IntoView {
    let navigate = use_navigate();
    let view_now = q.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let Ok(owner) = event_target_value(&ev).parse::<OwnerFilter>() else {
            return;
        };
        // One's own is the default: left out of the URL.
        let owner = (owner != OwnerFilter::Mine).then_some(owner);
        let next = BrowseQuery {
            owner,
            ..view_now.first_page()
        };
        navigate(
            &next.href(),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    };
    let mut choices = vec![
        (OwnerFilter::Mine, "My assets".to_string()),
        (OwnerFilter::All, "All owners".to_string()),
        (
            OwnerFilter::Unowned,
            "No owner (other tools' objects)".to_string(),
        ),
    ];
    let shown = q.owner.clone().unwrap_or(OwnerFilter::Mine);
    if let OwnerFilter::Owner(o) = &shown {
        choices.push((shown.clone(), format!("Owner {o}")));
    }
    // The rest of the view, for the form without JavaScript.
    let keep: Vec<(&str, String)> = [
        ("q", (!q.q.is_empty()).then(|| q.q.clone())),
        ("status", q.status.map(|s| s.as_str().to_ascii_lowercase())),
        ("sort", q.sort.map(|s| s.as_str().to_string())),
        ("limit", Some(q.limit.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    view! {
        <form class="toolbar owner-filter" method="get" action="/assets" data-owner-filter="">
            <div class="field">
                <label for="asset-owner">"Owner"</label>
                <select id="asset-owner" name="owner" on:change=on_change>
                    {choices
                        .into_iter()
                        .map(|(filter, label)| {
                            let selected = filter == shown;
                            view! {
                                <option value=filter.to_param() selected=selected>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {keep
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            <button type="submit" class="btn">
                "Show"
            </button>
        </form>
    }
}

#[component]
fn Empty(q: BrowseQuery) -> impl IntoView {
    let body = if q.cursor.is_some() {
        view! {
            <h2>"No more assets"</h2>
            <p>
                <a href=q.first_page().href()>"Back to the first page"</a>
            </p>
        }
        .into_any()
    } else if q.is_filtered() {
        let what = match (&q.status, q.q.as_str()) {
            (None, "") => match q.owner.as_ref().unwrap_or(&OwnerFilter::Mine) {
                OwnerFilter::Owner(o) => format!("{o} has no assets."),
                OwnerFilter::Unowned => "No objects without an owner.".to_string(),
                _ => "No assets.".to_string(),
            },
            (Some(st), "") => format!("No {} assets.", st.as_str().to_ascii_lowercase()),
            (None, prefix) => format!("No file names start with “{prefix}”."),
            (Some(st), prefix) => format!(
                "No {} assets have names starting with “{prefix}”.",
                st.as_str().to_ascii_lowercase()
            ),
        };
        view! {
            <h2>"Nothing matches"</h2>
            <p>{what}</p>
            <p>
                <a href="/assets">"Clear the search and filters"</a>
            </p>
        }
        .into_any()
    } else if q.folder.is_some() {
        view! {
            <h2>"This folder is empty"</h2>
            <p>"Upload files into it, move files here, or make a folder in it."</p>
            <p>
                <a class="btn" href=upload_href(q.folder)>
                    "Upload to this folder"
                </a>
            </p>
        }
        .into_any()
    } else {
        view! {
            <h2>"No assets yet"</h2>
            <p>"Files you upload, and objects that arrive in the bucket, show up here."</p>
            <p>
                <a class="btn" href="/">
                    "Upload files"
                </a>
            </p>
        }
        .into_any()
    };
    view! {
        <div class="panel empty" data-testid="empty">
            {body}
        </div>
    }
}

/// Placeholder rows while the first page loads, the height of real ones (no layout jump).
#[component]
pub fn Skeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-label="Loading assets" role="status">
            {(0..8).map(|_| view! { <div class="skeleton-row"></div> }).collect_view()}
        </div>
    }
}

//! Folders on the browse page: the breadcrumbs and what can be done where one is (upload
//! here, a new folder, rename or delete this one), the folders among the rows, and the
//! picker that moves the selection into a folder. The requests go through the bar's one
//! lazily loaded [`act`].

use super::{
    query::BrowseQuery,
    selection::{act, Done, Job, Selection},
};
use crate::{
    api::{list_assets, ListParams, SortOrder},
    components::Toaster,
    domain::{Asset, AssetId, Crumb, Folder, FolderId, FolderRef, FolderView},
};
use leptos::prelude::*;
use leptos_router::{hooks::use_navigate, NavigateOptions};

/// The upload page, uploading into `folder`.
pub fn upload_href(folder: Option<FolderId>) -> String {
    match folder {
        Some(id) => format!("/?folder={id}"),
        None => "/".to_string(),
    }
}

/// What the folder bar's form is doing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Editing {
    Nothing,
    NewFolder,
    Rename,
}

/// Where the view is (Home, then each folder down to this one) and what can be done here.
#[component]
pub fn FolderBar(q: BrowseQuery, view: Option<FolderView>, reload: Callback<()>) -> impl IntoView {
    let toaster = Toaster::get();
    let editing = RwSignal::new(Editing::Nothing);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let here = view.as_ref().map(|v| v.folder.clone());
    let folder_id = here.as_ref().map(|f| f.id);
    let parent = here.as_ref().and_then(Folder::parent);
    let current_name = here.as_ref().map(|f| f.name.clone()).unwrap_or_default();
    let parent_href = q.in_folder(parent).href();
    let navigate = use_navigate();
    let go_up = Callback::new(move |_: ()| {
        navigate(&parent_href, NavigateOptions::default());
    });
    let start = move |what: Editing, initial: String| {
        error.set(None);
        name.set(initial);
        editing.set(what);
    };
    let run = move |job: Job, after: Callback<()>| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match act(job, vec![], vec![], Callback::new(|_| {}), toaster).await {
                Done::Folder(Ok(message)) => {
                    toaster.info(message);
                    editing.set(Editing::Nothing);
                    after.run(());
                }
                Done::Folder(Err(e)) => error.set(Some(e.to_string())),
                _ => {}
            }
            let _ = busy.try_set(false);
        });
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_name = name.get_untracked();
        match (editing.get_untracked(), folder_id) {
            (Editing::NewFolder, _) => {
                run(Job::NewFolder(FolderRef::from(folder_id), new_name), reload)
            }
            (Editing::Rename, Some(id)) => run(Job::RenameFolder(id, new_name), reload),
            _ => {}
        }
    };
    let delete = move |_| {
        if let Some(id) = folder_id {
            run(Job::DeleteFolder(id), go_up);
        }
    };
    let rename_name = current_name.clone();
    view! {
        <div class="folder-bar" data-testid="folder-bar">
            <Breadcrumbs q=q.clone() trail=view.map(|v| v.trail).unwrap_or_default() />
            <div class="folder-actions">
                <a class="btn btn-quiet" href=upload_href(folder_id)>
                    {if folder_id.is_some() { "Upload to this folder" } else { "Upload files" }}
                </a>
                <button
                    type="button"
                    class="btn btn-quiet"
                    on:click=move |_| start(Editing::NewFolder, String::new())
                >
                    "New folder"
                </button>
                {folder_id
                    .map(|_| {
                        let rename_name = rename_name.clone();
                        view! {
                            <button
                                type="button"
                                class="btn btn-quiet"
                                on:click=move |_| start(Editing::Rename, rename_name.clone())
                            >
                                "Rename folder"
                            </button>
                            <button
                                type="button"
                                class="btn btn-quiet btn-danger"
                                disabled=move || busy.get()
                                on:click=delete
                            >
                                "Delete folder"
                            </button>
                        }
                    })}
            </div>
            <Show when=move || editing.get() != Editing::Nothing>
                <form class="folder-form" on:submit=on_submit>
                    <label for="folder-name">
                        {move || {
                            if editing.get() == Editing::Rename {
                                "New name of this folder"
                            } else {
                                "Name of the new folder"
                            }
                        }}
                    </label>
                    <input
                        id="folder-name"
                        type="text"
                        required
                        maxlength="255"
                        autocomplete="off"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button type="submit" class="btn" disabled=move || busy.get()>
                        {move || if editing.get() == Editing::Rename { "Rename" } else { "Create" }}
                    </button>
                    <button
                        type="button"
                        class="btn btn-quiet"
                        on:click=move |_| editing.set(Editing::Nothing)
                    >
                        "Cancel"
                    </button>
                </form>
            </Show>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert" data-testid="folder-error">
                                {e}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// Home, then each folder down to the one shown (the last is the current page).
#[component]
fn Breadcrumbs(q: BrowseQuery, trail: Vec<Crumb>) -> impl IntoView {
    let last = trail.len();
    let home = (last > 0).then(|| q.in_folder(None).href());
    let crumbs = trail
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let href = (i + 1 < last).then(|| q.in_folder(Some(c.id)).href());
            crumb(c.name, href)
        })
        .collect_view();
    view! {
        <nav class="crumbs" aria-label="Folders">
            <ol>
                {crumb("Home".to_string(), home)}
                {crumbs}
            </ol>
        </nav>
    }
}

/// One step: a link, or (the current folder) the page itself.
fn crumb(name: String, href: Option<String>) -> impl IntoView {
    match href {
        Some(href) => view! {
            <li>
                <a href=href>{name}</a>
            </li>
        }
        .into_any(),
        None => view! {
            <li aria-current="page">{name}</li>
        }
        .into_any(),
    }
}

/// A folder among the rows of a table.
#[component]
pub fn FolderRow(folder: Folder, q: BrowseQuery, columns: usize) -> impl IntoView {
    let href = q.in_folder(Some(folder.id)).href();
    view! {
        <tr class="folder-row" data-folder-id=folder.id.to_string()>
            <td class="cell-select"></td>
            <td class="cell-name" data-label="Name">
                <FolderIcon />
                <span class="name-block">
                    <a class="folder-link" href=href>
                        {folder.name.clone()}
                    </a>
                    <span class="muted small">"Folder"</span>
                </span>
            </td>
            <td colspan=columns.to_string()></td>
        </tr>
    }
}

/// A folder among the cards of the grid.
#[component]
pub fn FolderCard(folder: Folder, q: BrowseQuery) -> impl IntoView {
    let href = q.in_folder(Some(folder.id)).href();
    view! {
        <li class="asset-card folder-card" data-folder-id=folder.id.to_string()>
            <a class="card-link folder-link" href=href>
                <span class="card-thumb card-icon">
                    <FolderIcon />
                </span>
                <span class="card-name">{folder.name.clone()}</span>
            </a>
            <span class="card-meta muted small">"Folder"</span>
        </li>
    }
}

#[component]
fn FolderIcon() -> impl IntoView {
    view! {
        <span class="file-icon file-icon-folder">
            <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M3 6h6l2 2h10v11H3z" />
            </svg>
            <span class="visually-hidden">"Folder"</span>
        </span>
    }
}

/// Where the selection goes: a folder chosen by walking down from Home (its folders, by
/// name), then Move here; `done` runs once they moved. Its folders are asked for only while
/// it is open.
#[component]
pub fn MovePicker(
    selection: Selection,
    rows: Signal<Vec<Asset>>,
    open: RwSignal<bool>,
    done: Callback<()>,
) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <Picker selection rows open done />
        </Show>
    }
}

#[component]
fn Picker(
    selection: Selection,
    rows: Signal<Vec<Asset>>,
    open: RwSignal<bool>,
    done: Callback<()>,
) -> impl IntoView {
    let toaster = Toaster::get();
    let at = RwSignal::new(None::<FolderId>);
    let busy = RwSignal::new(false);
    let listed = LocalResource::new(move || {
        let folder = at.get();
        async move {
            list_assets(ListParams {
                folder: Some(FolderRef::from(folder)),
                sort: Some(SortOrder::Name),
                limit: Some(ListParams::MAX_LIMIT),
                ..ListParams::default()
            })
            .await
        }
    });
    let move_here = move |_| {
        let ids: Vec<AssetId> = selection.ids.get_untracked().into_iter().collect();
        let names = rows.get_untracked();
        let to = FolderRef::from(at.get_untracked());
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Done::Changed(true) =
                act(Job::Move(to), ids, names, Callback::new(|_| {}), toaster).await
            {
                selection.clear();
                open.set(false);
                done.run(());
            }
            let _ = busy.try_set(false);
        });
    };
    let place = move || {
        listed.get().map(|r| match r {
            Ok(page) => {
                let trail = page.folder.map(|v| v.trail).unwrap_or_default();
                let crumbs = std::iter::once((None, "Home".to_string()))
                    .chain(trail.into_iter().map(|c| (Some(c.id), c.name)))
                    .map(|(id, name)| {
                        view! {
                            <li>
                                <button type="button" class="btn-link" on:click=move |_| at.set(id)>
                                    {name}
                                </button>
                            </li>
                        }
                    })
                    .collect_view();
                let folders = page
                    .folders
                    .into_iter()
                    .map(|f| {
                        let id = f.id;
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="btn btn-quiet"
                                    on:click=move |_| at.set(Some(id))
                                >
                                    <FolderIcon />
                                    {f.name}
                                </button>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <nav class="crumbs" aria-label="Move to">
                        <ol>{crumbs}</ol>
                    </nav>
                    <ul class="picker-folders">{folders}</ul>
                }
                .into_any()
            }
            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="panel move-picker" role="region" aria-label="Move to a folder" data-testid="move-picker">
            <Transition fallback=|| view! { <p class="muted">"Loading folders…"</p> }>
                {place}
            </Transition>
            <p class="actions">
                <button type="button" class="btn" disabled=move || busy.get() on:click=move_here>
                    "Move here"
                </button>
                <button type="button" class="btn btn-quiet" on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
            </p>
        </div>
    }
}

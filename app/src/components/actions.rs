//! What can be done to an asset — Mark uploaded (RECEIVED), Restore (DELETED), Delete (with
//! a confirmation dialog, then Undo in a toast) — for table rows and the detail page.

use super::Toaster;
use crate::{
    api::{
        delete_asset, mark_uploaded, restore_asset, DeleteAsset, FerryError, MarkUploaded,
        RestoreAsset,
    },
    domain::{Asset, AssetId, AssetStatus},
    platform,
};
use leptos::{prelude::*, server_fn::ServerFn};

/// The soft-delete confirmation, as a modal `<dialog>` (focus moves in, Escape cancels).
/// `target` is the asset about to be deleted; confirming calls `on_confirm` with it.
#[component]
pub fn ConfirmDelete(
    id: &'static str,
    target: RwSignal<Option<Asset>>,
    on_confirm: Callback<Asset>,
) -> impl IntoView {
    let name = move || target.get().map(|a| a.filename).unwrap_or_default();
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <dialog id=id class="dialog" aria-labelledby=labelled_by>
            <form method="dialog">
                <h2 id=title_id>"Delete " <span class="dialog-name">{name}</span> "?"</h2>
                <p>
                    "It will be marked DELETED and its download links stop working. "
                    "The file stays in the bucket, so you can restore it later."
                </p>
                <div class="dialog-actions">
                    <button type="submit" class="btn btn-quiet" value="cancel" autofocus>
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        class="btn btn-danger"
                        on:click=move |_| {
                            platform::close_dialog(id);
                            if let Some(asset) = target.get_untracked() {
                                on_confirm.run(asset);
                            }
                        }
                    >
                        "Delete"
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// Asks for confirmation before deleting `asset` (the dialog `ConfirmDelete` with this id).
pub fn ask_delete(dialog_id: &'static str, target: RwSignal<Option<Asset>>, asset: Asset) {
    target.set(Some(asset));
    platform::show_dialog(dialog_id);
}

/// The actions an asset's state allows: Mark uploaded (RECEIVED), Restore (DELETED), Delete
/// (otherwise, after confirmation in the dialog `dialog_id`). `compact`: quiet buttons for
/// table rows. Buttons are named with the file, for screen readers.
///
/// Each action is a form posting the asset's id to its server function, so it also works
/// without JavaScript (the server function redirects back to the page).
#[component]
pub fn AssetActions(
    asset: Asset,
    dialog_id: &'static str,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let toaster = Toaster::get();
    let (id, name) = (asset.id, asset.filename.clone());
    let class = |danger: bool| match (compact, danger) {
        (true, false) => "btn btn-quiet",
        (true, true) => "btn btn-quiet btn-danger-text",
        (false, false) => "btn",
        (false, true) => "btn btn-danger",
    };
    let confirm = (asset.status == AssetStatus::Received).then(|| {
        let a = asset.clone();
        let run = Callback::new(move |_| confirm_upload(a.clone(), toaster, changed));
        view! {
            <ActionButton
                url=MarkUploaded::url()
                id
                class=class(false)
                label=format!("Mark {name} as uploaded")
                text="Mark uploaded"
                run
            />
        }
    });
    let other = if asset.status == AssetStatus::Deleted {
        let run = Callback::new(move |_| restore(asset.clone(), toaster, changed));
        view! {
            <ActionButton
                url=RestoreAsset::url()
                id
                class=class(false)
                label=format!("Restore {name}")
                text="Restore"
                run
            />
        }
    } else {
        let run = Callback::new(move |_| ask_delete(dialog_id, delete_target, asset.clone()));
        view! {
            <ActionButton
                url=DeleteAsset::url()
                id
                class=class(true)
                label=format!("Delete {name}")
                text="Delete"
                run
            />
        }
    };
    view! {
        {confirm}
        {other}
    }
}

/// One action as a one-button form posting the asset's `id` to the server function at `url`:
/// without JavaScript the browser posts it (and follows the redirect back); with JavaScript
/// the click runs `run` instead and the form is not submitted.
#[component]
fn ActionButton(
    url: &'static str,
    id: AssetId,
    class: &'static str,
    label: String,
    text: &'static str,
    run: Callback<()>,
) -> impl IntoView {
    view! {
        <form class="action-form" method="post" action=url>
            <input type="hidden" name="id" value=id.to_string() />
            <button
                type="submit"
                class=class
                aria-label=label
                on:click=move |ev| {
                    ev.prevent_default();
                    run.run(());
                }
            >
                {text}
            </button>
        </form>
    }
}

/// Soft-deletes, then offers Undo (restore) in a toast. `changed` receives each new state.
pub fn delete_with_undo(asset: Asset, changed: Callback<Asset>) {
    let toaster = Toaster::get();
    leptos::task::spawn_local(async move {
        let name = asset.filename.clone();
        match delete_asset(asset.id).await {
            Ok(deleted) => {
                changed.run(deleted);
                let undo = Callback::new(move |_| restore(asset.clone(), toaster, changed));
                toaster.with_action(format!("Deleted {name}"), "Undo", undo);
            }
            Err(e) => toaster.error(failure("delete", &name, &e)),
        }
    });
}

/// Restores a soft-deleted asset to the state it was deleted from.
pub fn restore(asset: Asset, toaster: Toaster, changed: Callback<Asset>) {
    leptos::task::spawn_local(async move {
        match restore_asset(asset.id).await {
            Ok(restored) => {
                toaster.info(restored_message(&restored));
                changed.run(restored);
            }
            Err(e) => toaster.error(failure("restore", &asset.filename, &e)),
        }
    });
}

/// Confirms a RECEIVED upload (RECEIVED → UPLOADED).
pub fn confirm_upload(asset: Asset, toaster: Toaster, changed: Callback<Asset>) {
    leptos::task::spawn_local(async move {
        match mark_uploaded(asset.id).await {
            Ok(done) => {
                toaster.info(format!("Marked {} as uploaded", done.filename));
                changed.run(done);
            }
            Err(e) => toaster.error(failure("mark as uploaded", &asset.filename, &e)),
        }
    });
}

fn restored_message(restored: &Asset) -> String {
    format!("Restored {} ({})", restored.filename, restored.status)
}

fn failure(action: &str, name: &str, e: &FerryError) -> String {
    format!("Could not {action} {name}: {e}")
}

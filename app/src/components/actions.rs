//! What can be done to an asset — Mark uploaded (RECEIVED), Restore (DELETED), Delete (with
//! a confirmation dialog, then Undo in a toast) — for table rows and the detail page.

use super::Toaster;
use crate::{
    api::{delete_asset, mark_uploaded, restore_asset, FerryError},
    domain::{Asset, AssetStatus},
    platform,
};
use leptos::prelude::*;

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
#[component]
pub fn AssetActions(
    asset: Asset,
    dialog_id: &'static str,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let toaster = Toaster::get();
    let name = asset.filename.clone();
    let class = |danger: bool| match (compact, danger) {
        (true, false) => "btn btn-quiet",
        (true, true) => "btn btn-quiet btn-danger-text",
        (false, false) => "btn",
        (false, true) => "btn btn-danger",
    };
    let confirm = (asset.status == AssetStatus::Received).then(|| {
        let a = asset.clone();
        view! {
            <button
                type="button"
                class=class(false)
                aria-label=format!("Mark {name} as uploaded")
                on:click=move |_| confirm_upload(a.clone(), toaster, changed)
            >
                "Mark uploaded"
            </button>
        }
    });
    let a = asset.clone();
    let other = if asset.status == AssetStatus::Deleted {
        view! {
            <button
                type="button"
                class=class(false)
                aria-label=format!("Restore {name}")
                on:click=move |_| restore(a.clone(), toaster, changed)
            >
                "Restore"
            </button>
        }
        .into_any()
    } else {
        view! {
            <button
                type="button"
                class=class(true)
                aria-label=format!("Delete {name}")
                on:click=move |_| ask_delete(dialog_id, delete_target, a.clone())
            >
                "Delete"
            </button>
        }
        .into_any()
    };
    view! {
        {confirm}
        {other}
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
                toaster.info(format!(
                    "Restored {} ({})",
                    restored.filename, restored.status
                ));
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

fn failure(action: &str, name: &str, e: &FerryError) -> String {
    format!("Could not {action} {name}: {e}")
}

//! What can be done to an asset — Mark uploaded (RECEIVED), Restore (DELETED), Delete (with
//! a confirmation dialog, then Undo in a toast) — for table rows and the detail page.

use super::toasts::Toaster;
use crate::{
    api::{delete_asset, restore_asset, DeleteAsset, FerryError, MarkUploaded, RestoreAsset},
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
/// without JavaScript (the server function redirects back to the page). With JavaScript, Mark
/// uploaded and Restore are dispatched by their `<ActionForm>` and report in a toast; Delete
/// asks first in the dialog, then offers Undo.
#[component]
pub fn AssetActions(
    asset: Asset,
    dialog_id: &'static str,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let class = |danger: bool| match (compact, danger) {
        (true, false) => "btn btn-quiet",
        (true, true) => "btn btn-quiet btn-danger-text",
        (false, false) => "btn",
        (false, true) => "btn btn-danger",
    };
    let confirm = (asset.status == AssetStatus::Received).then(|| {
        view! { <MarkUploadedForm asset=asset.clone() class=class(false) changed /> }
    });
    let other = if asset.status == AssetStatus::Deleted {
        view! { <RestoreForm asset class=class(false) changed /> }.into_any()
    } else {
        let (id, label) = (asset.id, format!("Delete {}", asset.filename));
        let run = Callback::new(move |_| ask_delete(dialog_id, delete_target, asset.clone()));
        view! {
            <ActionButton url=DeleteAsset::url() id class=class(true) label text="Delete" run />
        }
        .into_any()
    };
    view! {
        {confirm}
        {other}
    }
}

/// Mark uploaded (RECEIVED → UPLOADED) as an `<ActionForm>`.
#[component]
fn MarkUploadedForm(asset: Asset, class: &'static str, changed: Callback<Asset>) -> impl IntoView {
    let toaster = Toaster::get();
    let action = ServerAction::<MarkUploaded>::new();
    let name = asset.filename.clone();
    on_result(action, move |result| match result {
        Ok(done) => {
            toaster.info(format!("Marked {} as uploaded", done.filename));
            changed.run(done);
        }
        Err(e) => toaster.error(failure("mark as uploaded", &name, &e)),
    });
    view! {
        <ActionForm action attr:class="action-form">
            <input type="hidden" name="id" value=asset.id.to_string() />
            <button
                type="submit"
                class=class
                aria-label=format!("Mark uploaded: {}", asset.filename)
            >
                "Mark uploaded"
            </button>
        </ActionForm>
    }
}

/// Restore (DELETED → the state it was deleted from) as an `<ActionForm>`.
#[component]
fn RestoreForm(asset: Asset, class: &'static str, changed: Callback<Asset>) -> impl IntoView {
    let toaster = Toaster::get();
    let action = ServerAction::<RestoreAsset>::new();
    let name = asset.filename.clone();
    on_result(action, move |result| match result {
        Ok(restored) => {
            toaster.info(restored_message(&restored));
            changed.run(restored);
        }
        Err(e) => toaster.error(failure("restore", &name, &e)),
    });
    view! {
        <ActionForm action attr:class="action-form">
            <input type="hidden" name="id" value=asset.id.to_string() />
            <button type="submit" class=class aria-label=format!("Restore {}", asset.filename)>
                "Restore"
            </button>
        </ActionForm>
    }
}

/// Calls `done` with the result of each dispatch of `action` once it completes (not with an
/// error the page may have been rendered with after a form post without JavaScript).
fn on_result<S>(
    action: ServerAction<S>,
    mut done: impl FnMut(Result<S::Output, S::Error>) + 'static,
) where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if let Some(result) = action.value().get_untracked() {
                untrack(|| done(result));
            }
        },
        false,
    );
}

/// An action as a plain one-button form posting the asset's `id` to the server function at
/// `url`: without JavaScript the browser posts it (and follows the redirect back); with
/// JavaScript the click runs `run` instead and the form is not submitted.
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

fn restored_message(restored: &Asset) -> String {
    format!("Restored {} ({})", restored.filename, restored.status)
}

fn failure(action: &str, name: &str, e: &FerryError) -> String {
    format!("Could not {action} {name}: {e}")
}

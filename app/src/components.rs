//! Pieces the pages share: status badges, file icons, times, toasts, the confirmation dialog
//! and the asset actions behind them (delete with undo, restore, mark uploaded).

use crate::{
    api::{delete_asset, mark_uploaded, restore_asset, FerryError},
    domain::media::FileKind,
    domain::{Asset, AssetStatus},
    format::{exact_time, relative_time},
    platform,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// An asset's status as a coloured badge. `test_id` names it for tests where one page shows
/// several kinds of status.
#[component]
pub fn StatusBadge(
    status: AssetStatus,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    let class = format!("badge badge-{}", status.as_str().to_ascii_lowercase());
    view! {
        <span class=class data-status=status.as_str() data-testid=test_id>
            {status.as_str()}
        </span>
    }
}

/// A small icon for the kind of file; its kind is also given as text to screen readers.
#[component]
pub fn FileIcon(kind: FileKind) -> impl IntoView {
    let path = match kind {
        FileKind::Image => "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9.5a1.5 1.5 0 1 1 0-.01",
        FileKind::Video => "M4 6h11v12H4zM15 10l5-3v10l-5-3",
        FileKind::Audio => {
            "M9 18V6l10-2v12M9 18a3 3 0 1 1-3-3 3 3 0 0 1 3 3M19 16a3 3 0 1 1-3-3 3 3 0 0 1 3 3"
        }
        FileKind::Text => "M6 3h9l4 4v14H6zM9 11h7M9 15h7M9 7h3",
        FileKind::Pdf => "M6 3h9l4 4v14H6zM9 13h2a1.5 1.5 0 0 0 0-3H9v6",
        FileKind::Archive => "M5 4h14v16H5zM12 4v2m0 2v2m0 2v2m-1 2h2v3h-2z",
        FileKind::Other => "M6 3h9l4 4v14H6zM15 3v4h4",
    };
    view! {
        <span class=format!("file-icon file-icon-{}", kind.slug())>
            <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d=path />
            </svg>
            <span class="visually-hidden">{kind.label()}</span>
        </span>
    }
}

/// The page's clock: the time relative times are measured from. It ticks in the browser.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<DateTime<Utc>>);

impl Clock {
    /// Provides the clock for the whole app (ticking every 15 s once hydrated: effects
    /// never run while the server renders).
    pub fn provide() {
        let now = RwSignal::new(platform::now());
        provide_context(Clock(now));
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                loop {
                    platform::sleep(15_000).await;
                    if now.try_set(platform::now()).is_some() {
                        return;
                    }
                }
            });
        });
    }

    fn now() -> DateTime<Utc> {
        use_context::<Clock>()
            .map(|c| c.0.get())
            .unwrap_or_else(platform::now)
    }
}

/// A time shown relative to now, with the exact time on hover and for machines.
#[component]
pub fn Time(time: DateTime<Utc>) -> impl IntoView {
    view! {
        <time datetime=time.to_rfc3339() title=exact_time(time)>
            {move || relative_time(Clock::now(), time)}
        </time>
    }
}

/// A notification; some offer one action (Undo).
#[derive(Clone)]
pub struct Toast {
    id: u64,
    message: String,
    error: bool,
    action: Option<(String, Callback<()>)>,
}

/// Toast notifications, provided once for the whole app and shown in one live region.
#[derive(Clone, Copy)]
pub struct Toaster {
    toasts: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

/// How long a toast stays (one with an action stays longer, to leave time for it).
const TOAST_MS: u32 = 6000;
const ACTION_TOAST_MS: u32 = 10_000;

impl Toaster {
    pub fn provide() -> Toaster {
        let toaster = Toaster {
            toasts: RwSignal::new(vec![]),
            next: StoredValue::new(0),
        };
        provide_context(toaster);
        toaster
    }

    pub fn get() -> Toaster {
        expect_context::<Toaster>()
    }

    pub fn info(self, message: impl Into<String>) {
        self.push(message.into(), false, None);
    }

    pub fn error(self, message: impl Into<String>) {
        self.push(message.into(), true, None);
    }

    pub fn with_action(self, message: impl Into<String>, label: &str, action: Callback<()>) {
        self.push(message.into(), false, Some((label.to_string(), action)));
    }

    fn push(self, message: String, error: bool, action: Option<(String, Callback<()>)>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        let ms = if action.is_some() {
            ACTION_TOAST_MS
        } else {
            TOAST_MS
        };
        self.toasts.update(|t| {
            t.push(Toast {
                id,
                message,
                error,
                action,
            });
            // A burst of actions leaves the newest few on screen.
            if t.len() > 4 {
                t.remove(0);
            }
        });
        // Toasts come from people's actions, so this runs in the browser.
        leptos::task::spawn_local(async move {
            platform::sleep(ms).await;
            self.dismiss(id);
        });
    }

    pub fn dismiss(self, id: u64) {
        let _ = self.toasts.try_update(|t| t.retain(|toast| toast.id != id));
    }
}

/// Where toasts appear: one polite live region, so screen readers announce each.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toaster = Toaster::get();
    view! {
        <section class="toasts" aria-label="Notifications">
            <ul role="status" aria-live="polite" aria-atomic="false">
                <For each=move || toaster.toasts.get() key=|t| t.id let:toast>
                    {
                        let id = toast.id;
                        let action = toast
                            .action
                            .clone()
                            .map(|(label, run)| {
                                view! {
                                    <button
                                        type="button"
                                        class="btn btn-small"
                                        on:click=move |_| {
                                            toaster.dismiss(id);
                                            run.run(());
                                        }
                                    >
                                        {label}
                                    </button>
                                }
                            });
                        view! {
                            <li class="toast" class:toast-error=toast.error data-testid="toast">
                                <span class="toast-message">{toast.message.clone()}</span>
                                {action}
                                <button
                                    type="button"
                                    class="btn-icon"
                                    aria-label="Dismiss notification"
                                    on:click=move |_| toaster.dismiss(id)
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

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

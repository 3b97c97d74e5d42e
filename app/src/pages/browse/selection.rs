//! Many assets at once: which rows of the page are selected (checkboxes, Shift for a range,
//! all of the page at once), and the bar that acts on them through one bulk request, saying
//! what was done to each and what could not be; a bulk delete offers one Undo for all.

use crate::{
    api::{
        bulk_assets, bulk_share, create_folder, delete_folder, move_assets, rename_folder,
        BulkAction, BulkOutcome, FerryError,
    },
    components::Toaster,
    domain::{Asset, AssetId, FolderId, FolderRef, ShareRules},
    platform,
};
use leptos::prelude::*;
use std::collections::BTreeSet;

/// The rows selected on the page, and the last one clicked (where a Shift range starts).
#[derive(Clone, Copy)]
pub struct Selection {
    pub ids: RwSignal<BTreeSet<AssetId>>,
    anchor: RwSignal<Option<AssetId>>,
}

impl Selection {
    pub fn new() -> Selection {
        Selection {
            ids: RwSignal::new(BTreeSet::new()),
            anchor: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.ids.set(BTreeSet::new());
        self.anchor.set(None);
    }

    pub fn has(&self, id: AssetId) -> bool {
        self.ids.with(|s| s.contains(&id))
    }

    /// `id` (of the page's `order`) set to `on`; with `range`, every row from the last one
    /// clicked to it.
    pub fn click(&self, order: &[AssetId], id: AssetId, on: bool, range: bool) {
        let from = self.anchor.get_untracked().filter(|_| range);
        self.ids.update(|s| *s = toggled(s, order, from, id, on));
        self.anchor.set(Some(id));
    }

    /// Every row of the page, or none.
    pub fn all(&self, order: &[AssetId], on: bool) {
        self.ids.update(|s| {
            for id in order {
                if on {
                    s.insert(*id);
                } else {
                    s.remove(id);
                }
            }
        });
    }
}

/// `selected` after a click on `id` of `order` that set it to `on`; with `from` (the row
/// clicked before, for a Shift-click), every row between the two, both included.
pub fn toggled(
    selected: &BTreeSet<AssetId>,
    order: &[AssetId],
    from: Option<AssetId>,
    id: AssetId,
    on: bool,
) -> BTreeSet<AssetId> {
    let mut out = selected.clone();
    let at = |x: AssetId| order.iter().position(|o| *o == x);
    let span = match (from.and_then(at), at(id)) {
        (Some(a), Some(b)) => order[a.min(b)..=a.max(b)].to_vec(),
        _ => vec![id],
    };
    for x in span {
        if on {
            out.insert(x);
        } else {
            out.remove(&x);
        }
    }
    out
}

/// What a bulk action tells the person: how many were done, and each that was not, why.
pub fn summary(
    verb: &str,
    outcomes: &[BulkOutcome],
    name: impl Fn(AssetId) -> String,
) -> (String, Vec<String>) {
    let done = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let head = format!(
        "{} {done} asset{}",
        capitalised(verb),
        if done == 1 { "" } else { "s" }
    );
    let failures = outcomes
        .iter()
        .filter_map(|o| {
            o.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", name(o.id)))
        })
        .collect();
    (head, failures)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `N selected` and the actions on them; shown while anything is selected.
#[component]
pub fn BulkBar(
    selection: Selection,
    /// The page's assets (for names and downloads).
    rows: Signal<Vec<Asset>>,
    changed: Callback<Asset>,
    /// Whether the page lists the caller's folders (assets can be moved from here).
    folders: Signal<bool>,
    /// Whether the picker that moves the selection is open.
    moving: RwSignal<bool>,
) -> impl IntoView {
    let toaster = Toaster::get();
    let busy = RwSignal::new(false);
    let count = move || selection.ids.with(BTreeSet::len);
    // Share links just made for the selection: (file name, address), shown once.
    let shared = RwSignal::new(Vec::<(String, String)>::new());
    let share_secs = RwSignal::new(7 * 86_400u64);
    let share = move |_| {
        let ids: Vec<AssetId> = selection.ids.get_untracked().into_iter().collect();
        let names = rows.get_untracked();
        let secs = share_secs.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Done::Shared(made) = act(Job::Share(secs), ids, names, changed, toaster).await {
                if !made.is_empty() {
                    shared.set(made);
                    selection.clear();
                }
            }
            let _ = busy.try_set(false);
        });
    };
    let run = move |action: BulkAction| {
        let ids: Vec<AssetId> = selection.ids.get_untracked().into_iter().collect();
        let names = rows.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Done::Changed(true) =
                act(Job::Change(action), ids, names, changed, toaster).await
            {
                selection.clear();
            }
            let _ = busy.try_set(false);
        });
    };
    let download = move |_| {
        // Each file through its own link (a 303 to a presigned GET), never through the
        // server; one after another, a second apart: a page starting a download while the
        // last is still on its way would cancel it. (Browsers ask once before a page saves
        // several files.)
        let ids: Vec<AssetId> = selection
            .ids
            .get_untracked()
            .into_iter()
            .filter(|id| {
                rows.get_untracked()
                    .iter()
                    .any(|a| a.id == *id && a.status.is_downloadable())
            })
            .collect();
        leptos::task::spawn_local(async move {
            for (i, id) in ids.into_iter().enumerate() {
                if i > 0 {
                    crate::platform::sleep(1_000).await;
                }
                crate::platform::download(&format!("/assets/{id}/download"));
            }
        });
    };
    view! {
        <Show when=move || { count() > 0 }>
            <div class="bulk-bar" role="region" aria-label="Selected assets" data-testid="bulk-bar">
                <span class="bulk-count" aria-live="polite">
                    {move || format!("{} selected", count())}
                </span>
                <button type="button" class="btn btn-quiet" disabled=move || busy.get() on:click=move |_| run(BulkAction::MarkUploaded)>
                    "Mark uploaded"
                </button>
                <button type="button" class="btn btn-quiet" disabled=move || busy.get() on:click=download>
                    "Download"
                </button>
                <button type="button" class="btn btn-quiet btn-danger" disabled=move || busy.get() on:click=move |_| run(BulkAction::Delete)>
                    "Delete"
                </button>
                <button type="button" class="btn btn-quiet" disabled=move || busy.get() on:click=move |_| run(BulkAction::Restore)>
                    "Restore"
                </button>
                <Show when=move || folders.get()>
                    <button
                        type="button"
                        class="btn btn-quiet"
                        aria-expanded=move || moving.get().to_string()
                        disabled=move || busy.get()
                        on:click=move |_| moving.update(|m| *m = !*m)
                    >
                        "Move to…"
                    </button>
                </Show>
                <span class="bulk-share">
                    <label for="bulk-share-validity" class="visually-hidden">"Share links valid for"</label>
                    <select
                        id="bulk-share-validity"
                        on:change=move |ev| {
                            if let Ok(s) = event_target_value(&ev).parse() {
                                share_secs.set(s);
                            }
                        }
                    >
                        {ShareRules::CHOICES
                            .into_iter()
                            .map(|(s, label)| {
                                view! {
                                    <option value=s.to_string() selected=move || share_secs.get() == s>
                                        {format!("for {label}")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button type="button" class="btn btn-quiet" disabled=move || busy.get() on:click=share>
                        "Share"
                    </button>
                </span>
                <button type="button" class="btn btn-quiet" on:click=move |_| selection.clear()>
                    "Clear selection"
                </button>
            </div>
        </Show>
        <SharedLinks shared />
    }
}

/// The addresses of share links just made in bulk, each with its file's name, and Copy all.
#[component]
fn SharedLinks(shared: RwSignal<Vec<(String, String)>>) -> impl IntoView {
    let toaster = Toaster::get();
    let copy_all = move |_| {
        let text = shared
            .get_untracked()
            .iter()
            .map(|(name, url)| format!("{name}\t{url}"))
            .collect::<Vec<_>>()
            .join("\n");
        leptos::task::spawn_local(async move {
            if platform::copy_text(&text).await {
                toaster.info("Share links copied");
            } else {
                toaster.error("The browser did not allow copying; select the links and copy them");
            }
        });
    };
    view! {
        <Show when=move || !shared.with(Vec::is_empty)>
            <div class="panel shared-links" role="region" aria-label="New share links" data-testid="shared-links">
                <p class="muted small">
                    "Copy them now: Ferry keeps only a fingerprint of each and cannot show them again."
                </p>
                <ul>
                    {move || {
                        shared
                            .get()
                            .into_iter()
                            .map(|(name, url)| {
                                view! {
                                    <li>
                                        <span class="shared-name">{name.clone()}</span>
                                        <input class="mono" readonly prop:value=url aria-label=format!("Share link of {name}") />
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <p class="actions">
                    <button type="button" class="btn" on:click=copy_all>"Copy all links"</button>
                    <button type="button" class="btn btn-quiet" on:click=move |_| shared.set(vec![])>"Done"</button>
                </p>
            </div>
        </Show>
    }
}

/// What the bar (and the folder bar) asks of the server.
pub(super) enum Job {
    Change(BulkAction),
    /// Share links valid this many seconds.
    Share(u64),
    /// The selection into this folder.
    Move(FolderRef),
    NewFolder(FolderRef, String),
    RenameFolder(FolderId, String),
    DeleteFolder(FolderId),
}

/// What it came to.
pub(super) enum Done {
    /// Whether the request was answered.
    Changed(bool),
    /// The links made (name, whole address).
    Shared(Vec<(String, String)>),
    /// A folder made, renamed or deleted (what to tell), or why not.
    Folder(Result<String, FerryError>),
}

/// One bulk request for `job` on `ids`, told to the person. Its code (the requests, reading
/// the answers) is a module of its own, fetched on the first bulk action.
#[leptos::lazy]
pub(super) async fn act(
    job: Job,
    ids: Vec<AssetId>,
    names: Vec<Asset>,
    changed: Callback<Asset>,
    toaster: Toaster,
) -> Done {
    match job {
        Job::Change(action) => Done::Changed(change(action, ids, &names, changed, toaster).await),
        Job::Share(secs) => Done::Shared(share_all(ids, secs, &names, toaster).await),
        Job::Move(to) => Done::Changed(move_all(ids, to, &names, toaster).await),
        Job::NewFolder(parent, name) => Done::Folder(
            create_folder(parent, name)
                .await
                .map(|f| format!("Folder “{}” made", f.name)),
        ),
        Job::RenameFolder(id, name) => Done::Folder(
            rename_folder(id, name)
                .await
                .map(|f| format!("Folder renamed “{}”", f.name)),
        ),
        Job::DeleteFolder(id) => Done::Folder(
            delete_folder(id)
                .await
                .map(|()| "Folder deleted".to_string()),
        ),
    }
}

/// `ids` into `to` in one request, what was moved and what was not told; `true` when the
/// request was answered.
async fn move_all(ids: Vec<AssetId>, to: FolderRef, names: &[Asset], toaster: Toaster) -> bool {
    match move_assets(ids, to).await {
        Ok(outcomes) => {
            let (head, failures) = summary("moved", &outcomes, |id| name_of(names, id));
            toaster.info(head);
            for f in failures {
                toaster.error(format!("Not moved: {f}"));
            }
            true
        }
        Err(e) => {
            toaster.error(format!("Nothing moved: {e}"));
            false
        }
    }
}

/// `action` on `ids` in one request, each asset's new state shown, and what was done (with
/// one Undo for a delete) and what was not told; `true` when the request was answered.
async fn change(
    action: BulkAction,
    ids: Vec<AssetId>,
    names: &[Asset],
    changed: Callback<Asset>,
    toaster: Toaster,
) -> bool {
    match bulk_assets(action, ids).await {
        Ok(outcomes) => {
            for o in &outcomes {
                if let Ok(asset) = &o.result {
                    changed.run(asset.clone());
                }
            }
            let (head, failures) = summary(action.done(), &outcomes, |id| name_of(names, id));
            let done: Vec<AssetId> = outcomes
                .iter()
                .filter(|o| o.result.is_ok())
                .map(|o| o.id)
                .collect();
            if action == BulkAction::Delete && !done.is_empty() {
                let names = names.to_vec();
                let undo = Callback::new(move |_| {
                    let (ids, names) = (done.clone(), names.clone());
                    leptos::task::spawn_local(async move {
                        change(BulkAction::Restore, ids, &names, changed, toaster).await;
                    });
                });
                toaster.with_action(head, "Undo", undo);
            } else {
                toaster.info(head);
            }
            for f in failures {
                toaster.error(format!("Not {}: {f}", action.done()));
            }
            true
        }
        Err(e) => {
            toaster.error(format!("Nothing {}: {e}", action.done()));
            false
        }
    }
}

/// A share link valid `secs` for each of `ids` in one request: the ones made (name and whole
/// address), each one not made told.
async fn share_all(
    ids: Vec<AssetId>,
    secs: u64,
    names: &[Asset],
    toaster: Toaster,
) -> Vec<(String, String)> {
    let name = |id| name_of(names, id);
    match bulk_share(ids, secs, None).await {
        Ok(outcomes) => {
            let origin = platform::page_origin();
            let mut made = vec![];
            for o in outcomes {
                match o.result {
                    Ok(c) => made.push((name(o.id), format!("{origin}{}", c.path))),
                    Err(e) => toaster.error(format!("No share link for {}: {e}", name(o.id))),
                }
            }
            made
        }
        Err(e) => {
            toaster.error(format!("No share links: {e}"));
            vec![]
        }
    }
}

/// The file name of `id` among `names` (its id if it is not there).
fn name_of(names: &[Asset], id: AssetId) -> String {
    names
        .iter()
        .find(|a| a.id == id)
        .map_or_else(|| id.to_string(), |a| a.filename.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FerryError;

    fn ids(n: u8) -> Vec<AssetId> {
        (0..n)
            .map(|i| AssetId::from_ulid(ulid::Ulid::from_parts(1, u128::from(i))))
            .collect()
    }

    #[test]
    fn a_click_toggles_one_and_a_shift_click_a_range() {
        let order = ids(6);
        let none = BTreeSet::new();
        let one = toggled(&none, &order, None, order[1], true);
        assert_eq!(one, BTreeSet::from([order[1]]));
        // Shift from 1 to 4: 1..=4; backwards works the same.
        let range = toggled(&one, &order, Some(order[1]), order[4], true);
        assert_eq!(range, order[1..=4].iter().copied().collect());
        let back = toggled(&none, &order, Some(order[4]), order[2], true);
        assert_eq!(back, order[2..=4].iter().copied().collect());
        // A Shift-click that unchecks clears the range.
        let cleared = toggled(&range, &order, Some(order[4]), order[3], false);
        assert_eq!(cleared, BTreeSet::from([order[1], order[2]]));
        // An anchor no longer on the page: just the one.
        let gone = toggled(&none, &order[2..], Some(order[0]), order[3], true);
        assert_eq!(gone, BTreeSet::from([order[3]]));
    }

    #[test]
    fn a_summary_counts_what_was_done_and_names_what_was_not() {
        let order = ids(3);
        let ok = |id| BulkOutcome {
            id,
            result: Err(FerryError::NotFound("Asset not found".into())),
        };
        let outcomes = vec![ok(order[0])];
        let (head, failures) = summary(BulkAction::Delete.done(), &outcomes, |_| "a.txt".into());
        assert_eq!(head, "Deleted 0 assets");
        assert_eq!(failures, ["a.txt: Asset not found"]);
    }
}

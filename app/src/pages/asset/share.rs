//! Share links that can be taken back: make one (valid for a chosen time, optionally for a
//! number of downloads), copy its address (shown once), see every link's uses and state,
//! revoke one.
//!
//! The links are listed by the browser (the page renders without them), and the button
//! stays disabled until the panel is live.

use crate::{
    api::{create_share, list_shares, revoke_share, ShareList},
    components::{Time, Toaster},
    domain::{Asset, AssetId, CreatedShare, ShareLink, ShareRules, ShareState},
    format::{exact_time, time_left},
    platform,
};
use leptos::prelude::*;

/// The validity preselected (1 day).
const DEFAULT_SHARE_SECS: u64 = 86_400;

#[component]
pub fn Sharing(live: Signal<Asset>) -> impl IntoView {
    let id = live.get_untracked().id;
    let downloadable = Memo::new(move |_| live.get().status.is_downloadable());
    // Loaded in the browser only: who holds which link is nobody else's business, and the
    // page renders without it.
    let list = RwSignal::new(None::<ShareList>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match list_shares(id).await {
                Ok(l) => {
                    let _ = list.try_set(Some(l));
                }
                Err(e) => Toaster::get().error(format!("Share links not loaded: {e}")),
            }
        });
    };
    Effect::new(move |_| reload());
    let created = RwSignal::new(None::<CreatedShare>);

    view! {
        <Show
            when=move || downloadable.get()
            fallback=|| {
                view! {
                    <p class="muted">
                        "Share links can be made once the file is in the bucket (and while it is not deleted)."
                    </p>
                }
            }
        >
            <ShareForm id list created reload />
        </Show>
        {move || created.get().map(|c| view! { <CreatedLink created=c /> })}
        <ShareTable list id reload />
    }
}

/// Validity, optional download limit, and Create share link.
#[component]
fn ShareForm(
    id: AssetId,
    list: RwSignal<Option<ShareList>>,
    created: RwSignal<Option<CreatedShare>>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let toaster = Toaster::get();
    let secs = RwSignal::new(DEFAULT_SHARE_SECS);
    let limit = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // Live once hydrated (effects never run on the server): until then the button would
    // submit the form as a plain page request.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let cap = move || list.get().map_or(DEFAULT_SHARE_SECS, |l| l.max_ttl_secs);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let limit_text = limit.get_untracked();
        let max_uses = match limit_text.trim() {
            "" => None,
            n => match n.parse::<u32>() {
                Ok(n) if (1..=ShareRules::MAX_USES).contains(&n) => Some(n),
                _ => {
                    toaster.error(format!(
                        "A download limit is a whole number from 1 to {}",
                        ShareRules::MAX_USES
                    ));
                    return;
                }
            },
        };
        busy.set(true);
        let expires_in_secs = secs.get_untracked().min(cap());
        leptos::task::spawn_local(async move {
            match create_share(id, expires_in_secs, max_uses).await {
                Ok(c) => {
                    let _ = created.try_set(Some(c));
                    reload();
                }
                Err(e) => toaster.error(format!("No share link: {e}")),
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <form class="share-form" on:submit=submit data-testid="share-form">
            <label for="share-validity">"Valid for"</label>
            <select
                id="share-validity"
                on:change=move |ev| {
                    if let Ok(s) = event_target_value(&ev).parse() {
                        secs.set(s);
                    }
                }
            >
                {move || {
                    let cap = cap();
                    ShareRules::CHOICES
                        .into_iter()
                        .filter(move |(s, _)| *s <= cap)
                        .map(|(s, label)| {
                            view! {
                                <option value=s.to_string() selected=move || secs.get() == s>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            <label for="share-limit">"Downloads allowed"</label>
            <input
                id="share-limit"
                type="number"
                min="1"
                max=ShareRules::MAX_USES.to_string()
                inputmode="numeric"
                placeholder="any number"
                prop:value=move || limit.get()
                on:input=move |ev| limit.set(event_target_value(&ev))
            />
            <button type="submit" class="btn btn-quiet" disabled=move || busy.get() || !ready.get()>
                "Create share link"
            </button>
        </form>
    }
}

/// A link just made: its address, shown this once, to copy.
#[component]
fn CreatedLink(created: CreatedShare) -> impl IntoView {
    let toaster = Toaster::get();
    let url = format!("{}{}", platform::page_origin(), created.path);
    let copy = {
        let url = url.clone();
        move |_| {
            let url = url.clone();
            leptos::task::spawn_local(async move {
                if platform::copy_text(&url).await {
                    toaster.info("Share link copied");
                } else {
                    toaster.error("The browser did not allow copying; select the link and copy it");
                    platform::focus("share-url");
                }
            });
        }
    };
    view! {
        <div class="link-box" data-testid="share-created">
            <label for="share-url">"New share link"</label>
            <div class="link-row">
                <input
                    id="share-url"
                    class="mono"
                    readonly
                    prop:value=url
                    on:focus=move |_| platform::select_text("share-url")
                />
                <button type="button" class="btn" on:click=copy>
                    "Copy share link"
                </button>
            </div>
            <p class="muted small">
                "Copy it now: Ferry keeps only a fingerprint of it and cannot show it again. "
                {format!(
                    "It opens until {}{}.",
                    exact_time(created.link.expires_at),
                    created
                        .link
                        .max_uses
                        .map(|n| format!(", for {n} download{}", if n == 1 { "" } else { "s" }))
                        .unwrap_or_default(),
                )}
            </p>
        </div>
    }
}

/// Every link of the asset: made, expires, uses, state, and Revoke while it opens.
#[component]
fn ShareTable(
    list: RwSignal<Option<ShareList>>,
    id: AssetId,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let links = list.get()?.links;
        if links.is_empty() {
            return Some(
                view! { <p class="muted" data-testid="share-none">"No share links yet."</p> }
                    .into_any(),
            );
        }
        Some(
            view! {
                <table class="share-table" data-testid="share-links">
                    <caption class="visually-hidden">"Share links of this asset"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Made"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">"Downloads"</th>
                            <th scope="col">"State"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {links
                            .into_iter()
                            .map(|link| view! { <ShareRow link id reload /> })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        )
    }
}

#[component]
fn ShareRow(
    link: ShareLink,
    id: AssetId,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let toaster = Toaster::get();
    let now = platform::now();
    let state = link.state(now);
    let share = link.id;
    let uses = match link.max_uses {
        Some(max) => format!("{} of {max}", link.uses),
        None => link.uses.to_string(),
    };
    let revoke = move |_| {
        leptos::task::spawn_local(async move {
            match revoke_share(id, share).await {
                Ok(_) => {
                    toaster.info("Share link revoked: it no longer opens");
                    reload();
                }
                Err(e) => toaster.error(format!("Not revoked: {e}")),
            }
        });
    };
    let made = exact_time(link.created_at);
    view! {
        <tr data-testid="share-row" data-share-id=share.to_string()>
            <td>
                <Time time=link.created_at />
            </td>
            <td title=exact_time(link.expires_at)>{time_left(now, link.expires_at)}</td>
            <td data-testid="share-uses">{uses}</td>
            <td data-testid="share-state">{state.label()}</td>
            <td>
                {(state == ShareState::Active)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="btn btn-quiet btn-danger"
                                aria-label=format!("Revoke the share link made {made}")
                                on:click=revoke
                            >
                                "Revoke"
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}

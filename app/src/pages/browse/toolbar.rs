//! The toolbar: search, status filter, order and page size. A plain GET form (works without
//! JavaScript); once hydrated, choices apply at once and typing searches as you go.

use super::query::{BrowseQuery, DEFAULT_PAGE_SIZE, PAGE_SIZES};
use crate::{
    api::{FerryError, SortOrder},
    domain::AssetStatus,
    platform,
};
use leptos::prelude::*;
use leptos_router::{hooks::use_navigate, NavigateOptions};

/// Pause in typing before a search runs (ms).
const SEARCH_PAUSE_MS: u32 = 300;

/// The view in the URL, and moving to another one.
#[derive(Clone, Copy)]
struct Views {
    query: Memo<Result<BrowseQuery, FerryError>>,
    /// Navigates to a view; `true`: replacing the history entry.
    navigate: Callback<(BrowseQuery, bool)>,
}

impl Views {
    fn new(query: Memo<Result<BrowseQuery, FerryError>>) -> Views {
        let navigate = use_navigate();
        let navigate = Callback::new(move |(view, replace): (BrowseQuery, bool)| {
            navigate(
                &view.href(),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            )
        });
        Views { query, navigate }
    }

    /// The view shown (a malformed URL shows the defaults' controls).
    fn current(&self) -> BrowseQuery {
        self.query.get().unwrap_or_default()
    }

    /// Goes to `view`; `replace`: instead of adding a history entry.
    fn go(&self, view: BrowseQuery, replace: bool) {
        self.navigate.run((view, replace));
    }

    /// This view from its first page, changed by `change` (a choice adds a history entry).
    fn choose(&self, change: impl FnOnce(&mut BrowseQuery)) {
        let mut view = self.current().first_page();
        change(&mut view);
        self.go(view, false);
    }
}

#[component]
pub fn Toolbar(query: Memo<Result<BrowseQuery, FerryError>>) -> impl IntoView {
    let views = Views::new(query);
    let search = RwSignal::new(views.current().q);
    // Back/forward changes the URL under the search box.
    Effect::new(move |_| {
        let now = views.current().q;
        if search.get_untracked().trim() != now {
            search.set(now);
        }
    });
    // Counts keystrokes, so only the last one's pause searches.
    let typed = StoredValue::new(0u32);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        typed.update_value(|n| *n += 1);
        views.go(views.current().searching(&search.get_untracked()), false);
    };
    let searching = move || !views.current().q.is_empty();

    view! {
        <form class="toolbar" method="get" action="/assets" role="search" on:submit=on_submit>
            <SearchField views search typed />
            <StatusField views />
            <SortField views />
            <LimitField views />
            // Whose assets: chosen above the table (administrators); kept by this form.
            {move || {
                views.current().owner.map(|owner| {
                    view! { <input type="hidden" name="owner" value=owner.to_param() /> }
                })
            }}
            // The folder shown: kept by this form.
            {move || {
                views.current().folder.map(|folder| {
                    view! { <input type="hidden" name="folder" value=folder.to_string() /> }
                })
            }}
            <SubfoldersField views />
            <button type="submit" class="btn">
                "Apply"
            </button>
            <p id="sort-note" class="toolbar-note muted">
                {move || {
                    if searching() {
                        "Search results are listed by name."
                    } else {
                        "Sizes are not sortable: ordering by size would need two more indexes."
                    }
                }}
            </p>
        </form>
    }
}

/// The search box: typing searches after a pause, replacing the history entry.
#[component]
fn SearchField(views: Views, search: RwSignal<String>, typed: StoredValue<u32>) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        search.set(event_target_value(&ev));
        typed.update_value(|n| *n += 1);
        let mine = typed.get_value();
        leptos::task::spawn_local(async move {
            platform::sleep(SEARCH_PAUSE_MS).await;
            if typed.try_get_value() == Some(mine) {
                views.go(views.current().searching(&search.get_untracked()), true);
            }
        });
    };
    view! {
        <div class="field field-search">
            <label for="asset-search">"Search by file name"</label>
            <input
                id="asset-search"
                type="search"
                name="q"
                placeholder="Name starts with…"
                autocomplete="off"
                spellcheck="false"
                maxlength="255"
                value=views.current().q
                prop:value=move || search.get()
                on:input=on_input
            />
        </div>
    }
}

/// Whether a search in a folder looks in its subfolders too (folder views only).
#[component]
fn SubfoldersField(views: Views) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let view = views.current();
        views.go(
            BrowseQuery {
                sub: on,
                cursor: None,
                ..view
            },
            true,
        );
    };
    view! {
        <Show when=move || views.current().in_folders()>
            <label class="field field-check">
                <input
                    type="checkbox"
                    name="sub"
                    value="1"
                    prop:checked=move || views.current().sub
                    on:change=on_change
                />
                "Search subfolders too"
            </label>
        </Show>
    }
}

#[component]
fn StatusField(views: Views) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        views.choose(|view| view.status = value.parse().ok());
    };
    view! {
        <div class="field">
            <label for="asset-status">"Status"</label>
            <select id="asset-status" name="status" on:change=on_change>
                <option value="" selected=move || views.current().status.is_none()>
                    "All"
                </option>
                {AssetStatus::ALL
                    .map(|st| {
                        view! {
                            <option
                                value=st.as_str().to_ascii_lowercase()
                                selected=move || views.current().status == Some(st)
                            >
                                {title_case(st.as_str())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// The order; a search lists by name, so time orders are disabled while searching.
#[component]
fn SortField(views: Views) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        views.choose(|view| view.sort = event_target_value(&ev).parse().ok());
    };
    let searching = move || !views.current().q.is_empty();
    view! {
        <div class="field">
            <label for="asset-sort">"Order"</label>
            <select id="asset-sort" name="sort" on:change=on_change aria-describedby="sort-note">
                {SortOrder::ALL
                    .map(|o| {
                        view! {
                            <option
                                value=o.as_str()
                                selected=move || views.current().effective_sort() == o
                                disabled=move || searching() && !o.by_name()
                            >
                                {o.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn LimitField(views: Views) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        views.choose(|view| {
            view.limit = event_target_value(&ev).parse().unwrap_or(DEFAULT_PAGE_SIZE)
        });
    };
    view! {
        <div class="field">
            <label for="asset-limit">"Per page"</label>
            <select id="asset-limit" name="limit" on:change=on_change>
                {PAGE_SIZES
                    .map(|n| {
                        view! {
                            <option value=n.to_string() selected=move || views.current().limit == n>
                                {n.to_string()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

fn title_case(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

//! How the listing is shown, a table or a grid of cards with thumbnails: each person's
//! choice, kept in a cookie so the server renders the page the way it was left.

use crate::platform;
use leptos::prelude::*;

/// The cookie that keeps the choice.
const COOKIE: &str = "ferry-view";

/// A table, or a grid of cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Display {
    #[default]
    List,
    Grid,
}

impl Display {
    fn as_str(self) -> &'static str {
        match self {
            Display::List => "list",
            Display::Grid => "grid",
        }
    }

    fn parse(s: &str) -> Option<Display> {
        match s {
            "list" => Some(Display::List),
            "grid" => Some(Display::Grid),
            _ => None,
        }
    }

    /// What this person chose last (a table by default).
    pub fn chosen() -> Display {
        platform::preference_get(COOKIE)
            .as_deref()
            .and_then(Display::parse)
            .unwrap_or_default()
    }
}

/// List | Grid, pressed as chosen; a click shows the other and remembers it.
#[component]
pub fn DisplayToggle(display: RwSignal<Display>) -> impl IntoView {
    let choose = move |d: Display| {
        display.set(d);
        platform::preference_set(COOKIE, d.as_str());
    };
    let button = move |d: Display, label: &'static str| {
        view! {
            <button
                type="button"
                class="btn btn-quiet"
                aria-pressed=move || (display.get() == d).to_string()
                on:click=move |_| choose(d)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="display-toggle" role="group" aria-label="Show as">
            {button(Display::List, "List")}
            {button(Display::Grid, "Grid")}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_reads_back_and_anything_else_is_a_list() {
        for d in [Display::List, Display::Grid] {
            assert_eq!(Display::parse(d.as_str()), Some(d));
        }
        assert_eq!(Display::parse("tiles"), None);
        // No request, no cookie: a table.
        assert_eq!(Display::chosen(), Display::List);
    }
}

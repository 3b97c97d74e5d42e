//! Light / dark theme: follows the system unless the person picks one, remembered per browser.
//!
//! The choice lives in `localStorage["ferry-theme"]` and in `<html data-theme>`. A tiny inline
//! script in `<head>` applies it before the first paint (no flash); the toggle, which only
//! works once the page is hydrated, changes it.

use crate::platform;
use leptos::prelude::*;

const STORAGE_KEY: &str = "ferry-theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// System → Light → Dark → System.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Theme::System => "◐",
            Theme::Light => "☀",
            Theme::Dark => "☾",
        }
    }
}

/// Applies the stored theme before first paint. Carries the response's CSP nonce.
pub fn early_theme_script() -> impl IntoView {
    let js = format!(
        "try{{var t=localStorage.getItem('{STORAGE_KEY}');\
         if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}}catch(e){{}}"
    );
    view! { <script nonce=leptos::nonce::use_nonce() inner_html=js></script> }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // The server cannot know the stored choice: it renders "system"; the browser corrects it.
    let (theme, set_theme) = signal(Theme::System);

    Effect::new(move |_| {
        if let Some(stored) = platform::storage_get(STORAGE_KEY) {
            set_theme.set(Theme::parse(&stored));
        }
    });

    let on_click = move |_| {
        let next = theme.get_untracked().next();
        set_theme.set(next);
        apply(next);
    };

    view! {
        <button
            type="button"
            class="theme-toggle"
            data-theme-choice=move || theme.get().as_str()
            aria-label=move || {
                let t = theme.get();
                format!("Colour theme: {}. Switch to {}.", t.as_str(), t.next().as_str())
            }
            title=move || format!("Theme: {}", theme.get().as_str())
            on:click=on_click
        >
            <span aria-hidden="true">{move || theme.get().icon()}</span>
            <span class="theme-name">{move || theme.get().as_str()}</span>
        </button>
    }
}

/// Remembers `theme` and shows it at once.
fn apply(theme: Theme) {
    match theme {
        Theme::System => {
            platform::storage_remove(STORAGE_KEY);
            platform::remove_root_attribute("data-theme");
        }
        Theme::Light | Theme::Dark => {
            platform::storage_set(STORAGE_KEY, theme.as_str());
            platform::set_root_attribute("data-theme", theme.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn cycles_through_all_three_and_round_trips() {
        let mut t = Theme::System;
        let mut seen = vec![];
        for _ in 0..3 {
            seen.push(t);
            assert_eq!(Theme::parse(t.as_str()), t);
            t = t.next();
        }
        assert_eq!(t, Theme::System);
        assert_eq!(seen, [Theme::System, Theme::Light, Theme::Dark]);
        assert_eq!(Theme::parse("garbage"), Theme::System);
    }
}

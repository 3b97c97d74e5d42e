//! The frame around every page: skip link, header with navigation, who is signed in and the theme toggle, footer.

use crate::{account::AccountMenu, components::ToastRegion, theme::ThemeToggle};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/" aria-label="Ferry home">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                    <path d="M4 20h24l-4 6H8z" />
                    <path d="M15 4v14M15 4l8 10h-8" />
                </svg>
                <span>"Ferry"</span>
            </a>
            <nav aria-label="Main">
                <ul>
                    <li>
                        <A href="/" exact=true>"Upload"</A>
                    </li>
                    <li>
                        <A href="/assets">"Assets"</A>
                    </li>
                </ul>
            </nav>
            <AccountMenu />
            <ThemeToggle />
        </header>
        <main id="main" tabindex="-1">
            {children()}
        </main>
        <ToastRegion />
        <footer class="site-footer">
            <p>"Files travel straight between your browser and S3; Ferry only signs the tickets."</p>
        </footer>
    }
}

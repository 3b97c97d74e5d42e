//! Small pieces that show an asset: its status badge, its file-type icon, and times
//! relative to the page's clock.

use crate::{
    domain::{media::FileKind, AssetStatus},
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

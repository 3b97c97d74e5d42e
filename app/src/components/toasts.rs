//! Toast notifications: provided once for the whole app, shown in one polite live region,
//! dismissed after a while (longer when they offer an action such as Undo).

use crate::platform;
use leptos::prelude::*;

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
            <ul aria-live="polite" aria-atomic="false">
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

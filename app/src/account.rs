//! Who is signed in, as the pages show it: [`Viewer`], the [`current_viewer`] server function,
//! the header's [`AccountMenu`] (name and a Sign-out button) and the [`SignInPage`]. The
//! server decides who is asking (`server::auth`); nothing here checks credentials.

use crate::{api::FerryError, domain::safe_next};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// The signed-in person, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Name, else email, else user name.
    pub display: String,
    pub admin: bool,
}

/// Who is signed in: `None` when nobody is, or when this server has sign-in off.
#[server(prefix = "/api", endpoint = "viewer", input = leptos::server_fn::codec::Json)]
pub async fn current_viewer() -> Result<Option<Viewer>, FerryError> {
    let parts = use_context::<http::request::Parts>();
    Ok(parts.and_then(|p| p.extensions.get::<Viewer>().cloned()))
}

/// The header's account corner: the signed-in person and a Sign-out form (a plain POST,
/// so it works before the page has hydrated).
#[component]
pub fn AccountMenu() -> impl IntoView {
    let viewer = OnceResource::new(current_viewer());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                viewer.await.ok().flatten().map(|v| view! {
                    <form class="account" method="post" action="/auth/logout">
                        <span class="account-name" data-testid="signed-in-as" title="Signed in">
                            {v.display}
                            {v.admin.then(|| view! { <span class="account-role">" (admin)"</span> })}
                        </span>
                        <button type="submit" class="btn btn-quiet">"Sign out"</button>
                    </form>
                })
            })}
        </Suspense>
    }
}

/// What a failed sign-in (`/sign-in?error=…`) means for the person.
pub fn sign_in_error(code: &str) -> &'static str {
    match code {
        "expired" => "That sign-in took too long or was started in another tab. Please sign in again.",
        "denied" => "The sign-in was cancelled or refused.",
        _ => "Signing in failed. Please try again; if it keeps failing, tell whoever runs this Ferry.",
    }
}

/// `/sign-in?next=/path`: where a signed-out visit lands. The link starts the sign-in at the
/// issuer and comes back to `next`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || safe_next(query.read().get("next").as_deref());
    let href = move || {
        let next = next();
        let encoded: String = next
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        format!("/auth/login?next={encoded}")
    };
    let error = move || query.read().get("error").map(|e| sign_in_error(&e));
    view! {
        <Title text="Sign in" />
        <section class="sign-in">
            <h1>"Sign in to Ferry"</h1>
            {move || error().map(|e| view! { <div class="notice" role="alert"><p>{e}</p></div> })}
            <p>"Your files are yours alone: sign in to upload and see them."</p>
            <a class="btn" rel="external" href=href>"Sign in"</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sign_in_error_has_words() {
        for code in ["expired", "denied", "failed", "anything"] {
            assert!(!sign_in_error(code).is_empty());
        }
    }
}

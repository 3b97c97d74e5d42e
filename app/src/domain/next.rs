//! Where a person is sent back to after signing in: a path on this site, never another host.
//! The server redirects only to it, and the sign-in page links with it.

/// Where to go after signing in: a path on this site (`/…`, not `//…` or `/\…`, which
/// browsers read as another host), else `/assets`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control())
                && n.len() <= 2048 =>
        {
            n.to_owned()
        }
        _ => "/assets".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/assets?status=created")),
            "/assets?status=created"
        );
        assert_eq!(safe_next(Some("/")), "/");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "assets",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/assets", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/assets");
    }
}

//! What both twins share: what a picked file and a PUT's outcome look like, and how a
//! cookie is read out of a `Cookie` header (or `document.cookie`).

/// A file someone picked, dropped or pasted (the host's own file type), and the path to show
/// and store for it (its path inside a dropped or picked folder, else its name).
pub struct Picked<F> {
    pub file: F,
    pub path: String,
}

/// How a [`put`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored; the storage's ETag for the bytes (needed to complete a multipart upload).
    Ok {
        etag: Option<String>,
    },
    /// HTTP status (0 for a network error) and the response text.
    Failed {
        status: u16,
        body: String,
    },
    Aborted,
}

/// What a host call answers where there is no browser.
pub const NOT_IN_A_BROWSER: &str = "not in a browser";

/// The value of cookie `name` in `cookies` (`a=1; b=2`), if it is there.
pub fn cookie_value(cookies: &str, name: &str) -> Option<String> {
    cookies.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::cookie_value;

    #[test]
    fn a_cookie_is_found_by_its_whole_name() {
        let header = "ferry_session=abc; ferry-view=grid;x=1";
        assert_eq!(cookie_value(header, "ferry-view").as_deref(), Some("grid"));
        assert_eq!(cookie_value(header, "x").as_deref(), Some("1"));
        assert_eq!(cookie_value(header, "view"), None);
        assert_eq!(cookie_value("", "ferry-view"), None);
    }
}

//! How things are shown to people: times, sizes, durations, link lifetimes, text previews.
//! Pure functions, shared by the server rendering and the browser.

use chrono::{DateTime, Datelike, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `yesterday`, `4 days ago`, then the date.
pub fn relative_time(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    if secs < -60 {
        // A clock ahead of ours: say so rather than pretend it is the past.
        return format!("in {}", span(-secs));
    }
    match secs {
        ..10 => "just now".to_string(),
        10..86_400 => format!("{} ago", span(secs)),
        86_400..172_800 => "yesterday".to_string(),
        172_800..604_800 => format!("{} days ago", secs / 86_400),
        _ => format!("{} {} {}", t.day(), MONTHS[t.month0() as usize], t.year()),
    }
}

/// `in 59 s`, `in 15 min`, `in 7 d`; `expired` once past.
pub fn time_left(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    if secs <= 0 {
        "expired".to_string()
    } else {
        format!("in {}", span(secs))
    }
}

fn span(secs: i64) -> String {
    match secs {
        ..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// `2026-11-22 14:03:07 UTC`: the exact time, shown on hover and in details.
pub fn exact_time(t: DateTime<Utc>) -> String {
    // By hand: chrono's strftime machinery would add tens of KB to the browser bundle.
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `1.5 MB`, `820 KB`, `12 B` (decimal units, as file managers show).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// `45 s`, `3 min 20 s`, `1 h 05 min`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// Download link lifetimes people can pick (seconds, label). SigV4 caps presigned URLs at
/// seven days; the server also caps them at its configured maximum.
pub const LINK_LIFETIMES: [(u64, &str); 6] = [
    (60, "1 minute"),
    (900, "15 minutes"),
    (3600, "1 hour"),
    (86_400, "1 day"),
    (259_200, "3 days"),
    (604_800, "7 days"),
];

/// Bytes of a text file shown as its preview.
pub const TEXT_PREVIEW_BYTES: u64 = 1024;

/// Decodes bytes cut at an arbitrary point: an incomplete last character is dropped, other
/// invalid bytes shown as U+FFFD.
pub fn utf8_prefix(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The text preview of a file from the first bytes fetched (at most `limit` are shown), and
/// whether more came back than that (a server that ignores `Range` sends the whole file).
pub fn text_preview(mut body: Vec<u8>, limit: u64) -> (String, bool) {
    let more = body.len() as u64 > limit;
    body.truncate(limit as usize);
    (utf8_prefix(&body), more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn relative_times() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let ago = |secs: i64| relative_time(now, now - chrono::Duration::seconds(secs));
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(9), "just now");
        assert_eq!(ago(-30), "just now", "small clock skew is not the future");
        assert_eq!(ago(42), "42 s ago");
        assert_eq!(ago(60), "1 min ago");
        assert_eq!(ago(3599), "59 min ago");
        assert_eq!(ago(3600), "1 h ago");
        assert_eq!(ago(86_399), "23 h ago");
        assert_eq!(ago(86_400), "yesterday");
        assert_eq!(ago(3 * 86_400), "3 days ago");
        assert_eq!(ago(8 * 86_400), "14 Nov 2026");
        assert_eq!(ago(-600), "in 10 min");
        assert_eq!(exact_time(now), "2026-11-22 12:00:00 UTC");
        let later = |secs: i64| time_left(now, now + chrono::Duration::seconds(secs));
        assert_eq!(later(60), "in 1 min");
        assert_eq!(later(59), "in 59 s");
        assert_eq!(later(604_800), "in 7 d");
        assert_eq!(later(0), "expired");
    }

    #[test]
    fn cut_utf8() {
        assert_eq!(utf8_prefix("héllo".as_bytes()), "héllo");
        assert_eq!(utf8_prefix(&"hé".as_bytes()[..2]), "h");
        assert_eq!(utf8_prefix(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(utf8_prefix(b"ok\xff"), "ok\u{fffd}");
    }

    #[test]
    fn previews_cut_at_the_limit() {
        assert_eq!(text_preview(b"short".to_vec(), 10), ("short".into(), false));
        assert_eq!(
            text_preview(b"exactly10!".to_vec(), 10),
            ("exactly10!".into(), false)
        );
        assert_eq!(
            text_preview(b"a bit longer".to_vec(), 5),
            ("a bit".into(), true)
        );
        // Cut inside a character: the partial character is dropped.
        assert_eq!(
            text_preview("aé".as_bytes().to_vec(), 2),
            ("a".into(), true)
        );
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(104_857_600), "105 MB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.4 GB");
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(200), "3 min 20 s");
        assert_eq!(human_duration(3900), "1 h 05 min");
    }
}

//! Polling with backoff while a component lives: soon after a change, slower while nothing
//! changes, nothing while the tab is hidden. The pauses are a plain [`Backoff`], tested
//! natively; the loop runs on the host's clock and timers ([`crate::platform`]).

use crate::platform::{now_ms, page_hidden, sleep};
use leptos::prelude::*;
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

/// Shortest and longest pause between polls; after [`POLL_QUIET_MS`] without a change the
/// pause grows to [`POLL_SETTLED_MS`].
pub const POLL_MIN_MS: u32 = 1000;
pub const POLL_MAX_MS: u32 = 5000;
pub const POLL_QUIET_MS: f64 = 120_000.0;
pub const POLL_SETTLED_MS: u32 = 15_000;
/// The longest pause after failures.
const POLL_FAILING_MS: u32 = 30_000;

/// What one poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// Nothing to watch right now (settled); ask again later without a request.
    Idle,
    /// Polled; whether anything changed.
    Polled {
        changed: bool,
    },
    Failed,
}

/// The pause before the next poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    delay: u32,
    last_change: f64,
}

impl Backoff {
    pub fn new(now: f64) -> Backoff {
        Backoff {
            delay: POLL_MIN_MS,
            last_change: now,
        }
    }

    /// The pause now.
    pub fn delay(&self) -> u32 {
        self.delay
    }

    /// Moves on after a poll that started at `started` and ended at `ended` with `poll`:
    /// back to the shortest pause after a change, ×1.5 up to the cap while nothing changes
    /// (the cap grows once nothing has changed for a while), ×2 after failures.
    pub fn after(&mut self, poll: Poll, started: f64, ended: f64) -> u32 {
        let cap = if started - self.last_change < POLL_QUIET_MS {
            POLL_MAX_MS
        } else {
            POLL_SETTLED_MS
        };
        self.delay = match poll {
            Poll::Idle => POLL_MIN_MS,
            Poll::Polled { changed: true } => {
                self.last_change = ended;
                POLL_MIN_MS
            }
            Poll::Polled { changed: false } => (self.delay * 3 / 2).min(cap),
            Poll::Failed => (self.delay * 2).min(POLL_FAILING_MS),
        };
        self.delay
    }
}

/// Calls `tick` repeatedly while the current owner lives, pausing as [`Backoff`] says. While
/// the tab is hidden nothing runs; coming back polls at once. Start it from an effect: the
/// loop belongs to the browser.
pub fn poll_while_mounted<F, Fut>(mut tick: F)
where
    F: FnMut() -> Fut + 'static,
    Fut: Future<Output = Poll> + 'static,
{
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    leptos::task::spawn_local(async move {
        let mut backoff = Backoff::new(now_ms());
        loop {
            if !wait(backoff.delay(), &alive).await {
                return;
            }
            let started = now_ms();
            let poll = tick().await;
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            backoff.after(poll, started, now_ms());
        }
    });
}

/// Waits `delay` ms of visible time, in short sleeps so hiding and showing the tab are
/// noticed quickly; showing the tab ends the wait at once. `false` once the owner is gone.
async fn wait(delay: u32, alive: &AtomicBool) -> bool {
    let mut was_hidden = false;
    let mut waited = 0;
    while waited < delay {
        sleep(250).await;
        waited += 250;
        if !alive.load(Ordering::Relaxed) {
            return false;
        }
        if page_hidden() {
            was_hidden = true;
            waited = 0;
        } else if was_hidden {
            break;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_while_quiet_and_resets_on_change() {
        let mut b = Backoff::new(0.0);
        assert_eq!(b.delay(), 1000);
        let quiet = Poll::Polled { changed: false };
        let steps: Vec<u32> = (0..6).map(|_| b.after(quiet, 10.0, 20.0)).collect();
        assert_eq!(steps, [1500, 2250, 3375, 5000, 5000, 5000]);
        assert_eq!(b.after(Poll::Polled { changed: true }, 30.0, 40.0), 1000);
        assert_eq!(b.after(Poll::Idle, 50.0, 50.0), 1000);
    }

    #[test]
    fn settles_after_two_quiet_minutes_and_slows_on_failures() {
        let mut b = Backoff::new(0.0);
        let quiet = Poll::Polled { changed: false };
        for _ in 0..5 {
            b.after(quiet, 1_000.0, 1_000.0);
        }
        assert_eq!(b.delay(), 5000, "capped while changes are recent");
        let later = POLL_QUIET_MS + 1.0;
        let steps: Vec<u32> = (0..4).map(|_| b.after(quiet, later, later)).collect();
        assert_eq!(steps, [7500, 11250, 15000, 15000]);
        // A change measured from when the poll ended starts the quiet period again.
        b.after(Poll::Polled { changed: true }, later, later + 10.0);
        assert_eq!(b.after(quiet, later + 20.0, later + 20.0), 1500);
        let mut f = Backoff::new(0.0);
        let fails: Vec<u32> = (0..6).map(|_| f.after(Poll::Failed, 0.0, 0.0)).collect();
        assert_eq!(fails, [2000, 4000, 8000, 16000, 30000, 30000]);
    }
}

pub mod asker;
pub mod checklist;
pub mod close_deal;
pub mod error;
pub mod fetched;
pub mod loading;
pub mod nav_link;
pub mod saver;
pub mod server_status;
pub mod shell;
pub mod timeline;
pub mod ui;

use std::cell::{Cell, RefCell};

/// Marks the first frame after what was just put in the page as `name` in
/// the Performance timeline: `make bench` reads it as navigation-to-painted
/// (`browserbench`; the board sets its own the same way). What waits for
/// the page's first paint ([`after_paint`]) then runs.
pub fn mark_painted(name: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark(name);
        }
        painted();
    });
}

thread_local! {
    /// Has this visit's first page painted what it was opened for?
    static PAINTED: Cell<bool> = const { Cell::new(false) };
    static AFTER_PAINT: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
}

/// How long a read waits for a page that marks no paint.
const PAINT_WAIT: std::time::Duration = std::time::Duration::from_millis(1000);

/// Runs `start` once the visit's first page has painted what the user came
/// for (the board, the deal list, a deal: [`mark_painted`]), or after a
/// second on a page that marks none: for reads no page waits for (the
/// navigation's counts), so they do not queue before the page's own read
/// at the Worker (README, "Performance").
pub fn after_paint(start: impl FnOnce() + 'static) {
    if PAINTED.get() {
        return start();
    }
    AFTER_PAINT.with(|q| q.borrow_mut().push(Box::new(start)));
    leptos::prelude::set_timeout(painted, PAINT_WAIT);
}

/// The first page has painted (or waited long enough): what waited runs.
fn painted() {
    PAINTED.set(true);
    for start in AFTER_PAINT.with(|q| std::mem::take(&mut *q.borrow_mut())) {
        start();
    }
}

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

/// Marks the first frame after what was just put in the page as `name` in
/// the Performance timeline: `make bench` reads it as navigation-to-painted
/// (`browserbench`; the board sets its own the same way).
pub fn mark_painted(name: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark(name);
        }
    });
}

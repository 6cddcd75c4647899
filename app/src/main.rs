fn main() {
    // Panic messages in the console while developing. A release build
    // leaves the hook out: its formatting code costs ~1 KB gzip of the
    // first load (measured with `make size`), and panics abort either way.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(dealgate_app::App);
}

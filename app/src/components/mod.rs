pub mod checklist;
pub mod error;
pub mod fetched;
pub mod loading;
pub mod nav_link;
pub mod server_status;
pub mod shell;
pub mod ui;

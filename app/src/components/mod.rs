pub mod error;
pub mod loading;
pub mod server_status;
pub mod shell;

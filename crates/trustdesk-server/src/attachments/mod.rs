//! Attachments: uploads checked by content and the secret guard, stored with
//! their event in one transaction, and sandboxed downloads.

pub mod routes;
pub mod service;

pub use routes::router;

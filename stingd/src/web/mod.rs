//! The web app people use, served by stingd from its own binary: pages rendered on the server
//! (`pages`, askama templates in `stingd/templates/`) with a little script of ours, and the
//! script and style embedded with hashed names (`assets`). The pages call the same API as any
//! client; they hide what a role may not do, but the API decides.

pub mod assets;
pub mod pages;

pub use assets::Assets;

/// The web app's routes (pages and assets): not the API, so not in its OpenAPI document.
pub const PATHS: &[&str] = &["/", "/signin", "/auth/magic", "/enrol", "/assets/{name}"];

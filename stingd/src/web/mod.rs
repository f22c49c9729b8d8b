//! The web app people use, served by stingd from its own binary: pages rendered on the server
//! (askama templates in `stingd/templates/`) with a little script of ours, and the script and
//! style embedded with hashed names (`assets`). Pages read through the same library functions
//! the API's handlers call, with the same caller, so they show exactly what the API would give;
//! what they change, their script changes through the API. They hide what a role may not do,
//! but the API decides.

pub mod account;
pub mod assets;
pub mod bee;
pub mod jars;
pub mod notifications;
pub mod page;
pub mod signin;

pub use assets::Assets;

/// What the pages need that outlives a request.
#[derive(Default)]
pub struct Web {
    pub assets: Assets,
}

/// The web app's routes (pages and assets): not the API, so not in its OpenAPI document.
pub const PATHS: &[&str] = &[
    "/",
    "/signin",
    "/auth/magic",
    "/enrol",
    "/assets/{name}",
    "/bee/{id}",
    "/bee/{id}/messages",
    "/jars",
    "/jars/{id}",
    "/jars/{id}/documents/{doc}",
    "/search",
    "/account",
    "/account/totp-qr",
    "/notifications",
];

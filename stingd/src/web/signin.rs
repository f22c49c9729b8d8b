//! The pages before one is signed in: sign-in (a link by mail, a passkey, a password with a
//! second factor), the page a mailed link opens, and the page an invitation opens. A link's
//! secret is in its fragment, for the page's script alone: no server or log ever sees it.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::page::{Section, Shell, render};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn<'a> {
    shell: Shell<'a>,
    password: bool,
}

#[derive(Template)]
#[template(path = "magic.html")]
struct Magic<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct Enrol<'a> {
    shell: Shell<'a>,
    totp: bool,
}

/// `GET /signin`.
pub async fn sign_in(State(state): State<AppState>) -> Response {
    let password = state.sign_in_methods.contains(&sting_config::SignInMethod::Password);
    render(&SignIn { shell: Shell::new(&state, "Sign in", "signin"), password })
}

/// `GET /auth/magic`: the page a mailed link opens.
pub async fn magic(State(state): State<AppState>) -> Response {
    render(&Magic { shell: Shell::new(&state, "Signing in", "magic") })
}

/// `GET /enrol`: the page an invitation (or the first admin's link) opens.
pub async fn enrol(State(state): State<AppState>) -> Response {
    let totp = state.sign_in_methods.contains(&sting_config::SignInMethod::Totp);
    render(&Enrol { shell: Shell::new(&state, "Set up your sign-in", "enrol"), totp })
}

//! The pages, rendered on the server (askama escapes every value it prints as HTML), each with
//! the page policy: script and style from this origin only, no inline script or style, no
//! frames, forms and fetches to this origin only.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::http::AppState;
use crate::http::access::Principal;

/// The Content-Security-Policy of every page.
/// Forms are sent by the pages' script, never natively (`form-action 'none'`: an Enter pressed
/// before the script runs cannot put an address in a URL), and script may not write HTML
/// (`trusted-types 'none'`).
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

/// What every page links to.
struct PageAssets<'a> {
    css: &'a str,
    script: &'a str,
    icon: &'a str,
}

fn assets(state: &AppState) -> PageAssets<'_> {
    PageAssets {
        css: state.assets.url("app.css"),
        script: state.assets.url("signin.js"),
        icon: state.assets.url("icon.svg"),
    }
}

fn page(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = Html(html).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
            // A page shows who is signed in: never kept by a shared cache.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "a page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn<'a> {
    title: &'a str,
    page: &'a str,
    assets: PageAssets<'a>,
}

#[derive(Template)]
#[template(path = "magic.html")]
struct Magic<'a> {
    title: &'a str,
    page: &'a str,
    assets: PageAssets<'a>,
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct Enrol<'a> {
    title: &'a str,
    page: &'a str,
    assets: PageAssets<'a>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    title: &'a str,
    page: &'a str,
    assets: PageAssets<'a>,
    email: &'a str,
    role: &'a str,
}

/// `GET /signin`.
pub async fn sign_in(State(state): State<AppState>) -> Response {
    page(&SignIn { title: "Sign in", page: "signin", assets: assets(&state) })
}

/// `GET /auth/magic`: the page a mailed link opens (its secret is in the fragment, for the
/// page's script alone).
pub async fn magic(State(state): State<AppState>) -> Response {
    page(&Magic { title: "Signing in", page: "magic", assets: assets(&state) })
}

/// `GET /enrol`: the page an invitation (or the first admin's link) opens; its secret is in
/// the fragment.
pub async fn enrol(State(state): State<AppState>) -> Response {
    page(&Enrol { title: "Set up your sign-in", page: "enrol", assets: assets(&state) })
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound<'a> {
    title: &'a str,
    page: &'a str,
    assets: PageAssets<'a>,
}

/// Any path no route serves: a page for a browser (it asks for HTML), the API's JSON otherwise.
pub async fn not_found(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html {
        return crate::http::ApiError::new(
            StatusCode::NOT_FOUND,
            crate::http::ErrorKind::InvalidRequest,
            "not_found",
            "no such route",
        )
        .into_response();
    }
    let mut response = page(&NotFound { title: "Not found", page: "not-found", assets: assets(&state) });
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// `GET /`: the signed-in user's start page; anyone else is sent to sign in.
pub async fn home(State(state): State<AppState>, principal: Option<axum::Extension<Principal>>) -> Response {
    let Some(axum::Extension(principal)) = principal.filter(|p| p.user.is_some()) else {
        return Redirect::to("/signin").into_response();
    };
    let email = principal.email.as_deref().unwrap_or_default();
    page(&Home { title: "Home", page: "home", assets: assets(&state), email, role: principal.role.as_str() })
}

//! What every page shares: the page policy, the shell (header with who is signed in, the
//! navigation, the assets), rendering, the signed-in person a page is for, and the error pages
//! (404, 403, and the rest), all with the same policy.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::honey_jars::jars::Reader;
use crate::http::access::{Credential, Principal};
use crate::http::{ApiError, AppState};
use crate::identity::users::Role;

/// The Content-Security-Policy of every page.
/// Forms are sent by the pages' script, never natively (`form-action 'none'`: an Enter pressed
/// before the script runs cannot put an address in a URL), and script may not write HTML
/// (`trusted-types 'none'`): what the server rendered arrives as a parsed document.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

/// What every page links to.
pub struct PageAssets<'a> {
    pub css: &'a str,
    pub script: &'a str,
    pub icon: &'a str,
}

/// The header's account part: who is signed in, as what.
pub struct Bar {
    pub email: String,
    pub role: Role,
}

/// A page's frame: its title, its name for the script (`data-page`), the section of the
/// navigation it belongs to, and who is signed in.
pub struct Shell<'a> {
    pub title: String,
    pub page: &'static str,
    pub section: Section,
    pub assets: PageAssets<'a>,
    pub bar: Option<Bar>,
}

/// The navigation's sections.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    None,
    Bee,
    Jars,
    Search,
    Notifications,
}

impl<'a> Shell<'a> {
    pub fn new(state: &'a AppState, title: impl Into<String>, page: &'static str) -> Self {
        let assets = &state.web.assets;
        Self {
            title: title.into(),
            page,
            section: Section::None,
            assets: PageAssets {
                css: assets.url("app.css"),
                script: assets.url("app.js"),
                icon: assets.url("icon.svg"),
            },
            bar: None,
        }
    }

    pub fn for_person(mut self, person: &Person, section: Section) -> Self {
        self.bar = Some(Bar { email: person.email.clone(), role: person.role });
        self.section = section;
        self
    }

    /// A page saying what went wrong, with the status it deserves.
    pub fn error(mut self, error: ApiError) -> Response {
        let (status, heading, text) = match error.status {
            StatusCode::NOT_FOUND => (
                StatusCode::NOT_FOUND,
                "Nothing here",
                "This address leads to no page of STING, or to something you cannot see. It may have moved, or the link may be mistyped.".to_string(),
            ),
            StatusCode::FORBIDDEN => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                format!("Your account may not do this: {}", error.message),
            ),
            status if status.is_client_error() => (status, "That did not work", error.message),
            status => {
                tracing::warn!(code = error.code, message = %error.message, "a page failed");
                (status, "STING cannot show this now", format!("Try again in a moment. If it goes on, tell an admin the code `{}`.", error.code))
            }
        };
        self.title = heading.to_string();
        self.page = "error";
        let mut response = render(&ErrorPage { shell: self, heading, text: &text });
        *response.status_mut() = status;
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    shell: Shell<'a>,
    heading: &'a str,
    text: &'a str,
}

/// A template as a page, with the page policy.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => with_policy(Html(html).into_response()),
        Err(error) => {
            tracing::error!(%error, "a page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn with_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    // A page shows who is signed in and what they have: never kept by a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The person a page is for: a user signed in with a session (a page is never for a key). A
/// page handler takes one as an extractor: anyone else is sent to sign in.
pub struct Person {
    pub reader: Reader,
    pub email: String,
    pub role: Role,
    /// The request's caller, as the API's handlers see it.
    pub caller: Principal,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Person {
    type Rejection = ToSignIn;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ToSignIn> {
        Self::from(parts.extensions.get::<Principal>().cloned().map(axum::Extension))
    }
}

/// The refusal of a page to someone not signed in with a session: to the sign-in page.
pub struct ToSignIn;

impl IntoResponse for ToSignIn {
    fn into_response(self) -> Response {
        Redirect::to("/signin").into_response()
    }
}

impl Person {
    /// The signed-in person (a page's route lets only them through; a token or key is sent to
    /// sign in too).
    pub fn from(principal: Option<axum::Extension<Principal>>) -> Result<Self, ToSignIn> {
        let principal = principal
            .map(|axum::Extension(p)| p)
            .filter(|p| matches!(p.credential, Credential::Session(_) | Credential::Kratos))
            .ok_or(ToSignIn)?;
        let reader = crate::honey_jars::jars_api::reader(&principal).map_err(|_| ToSignIn)?;
        let email = principal.email.as_deref().unwrap_or_default().to_string();
        Ok(Self { reader, email, role: principal.role, caller: principal })
    }

    /// Whether the role may write at all (a viewer only reads, whatever a share says).
    pub fn writes(&self) -> bool {
        self.role != Role::Viewer
    }
}

/// Any path no route serves: a page for a browser (it asks for HTML), the API's JSON otherwise.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    principal: Option<axum::Extension<Principal>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let error =
        ApiError::new(StatusCode::NOT_FOUND, crate::http::ErrorKind::InvalidRequest, "not_found", "no such route");
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html {
        return error.into_response();
    }
    let shell = Shell::new(&state, "Not found", "error");
    match Person::from(principal) {
        Ok(person) => shell.for_person(&person, Section::None).error(error),
        Err(_) => shell.error(error),
    }
}

/// A time as people read it, from seconds since the epoch (UTC; the page's script shows it in
/// the reader's own zone where it runs).
pub fn when(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok())
        .unwrap_or_default()
}

/// A size in bytes as people read it.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} kB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

//! The pages' script and style, compiled into the binary and served under names that carry a
//! hash of their content, so a browser may keep each for a year and still never runs an old
//! one after an upgrade. Nothing is fetched from anywhere else.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::AppState;

/// The files as written in `stingd/web/`: (name, type, content). The script is one module made
/// of the pages' parts, in order: a module's imports would need their hashed names at the
/// time it is written, and an import map would be inline script.
const SOURCES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/app.css")),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        concat!(
            include_str!("../../web/common.js"),
            include_str!("../../web/signin.js"),
            include_str!("../../web/bee.js"),
            include_str!("../../web/jars.js"),
            include_str!("../../web/account.js"),
            include_str!("../../web/notifications.js"),
        )
        .as_bytes(),
    ),
    ("icon.svg", "image/svg+xml", include_bytes!("../../web/icon.svg")),
];

struct Asset {
    content_type: &'static str,
    body: &'static [u8],
}

/// Every asset by its served name, and the served name of each source.
pub struct Assets {
    served: HashMap<String, Asset>,
    names: HashMap<&'static str, String>,
}

impl Default for Assets {
    fn default() -> Self {
        let mut served = HashMap::new();
        let mut names = HashMap::new();
        for (name, content_type, body) in SOURCES {
            let digest = Sha256::digest(body);
            let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            let (stem, extension) = name.rsplit_once('.').expect("an asset has an extension");
            let hashed = format!("{stem}.{hash}.{extension}");
            names.insert(*name, format!("/assets/{hashed}"));
            let twice = served.insert(hashed, Asset { content_type, body }).is_some();
            assert!(!twice, "{name} is listed twice in SOURCES");
        }
        Self { served, names }
    }
}

impl Assets {
    /// The URL of the source file `name` (as written in `stingd/web/`).
    pub fn url(&self, name: &str) -> &str {
        self.names.get(name).map(String::as_str).unwrap_or_else(|| panic!("no asset {name} in stingd/web"))
    }
}

impl Assets {
    /// Every asset as served: (hashed name, body). For measuring what a page weighs.
    pub fn files(&self) -> impl Iterator<Item = (&str, &'static [u8])> {
        self.served.iter().map(|(name, asset)| (name.as_str(), asset.body))
    }
}

/// `GET /assets/{name}`: a hashed name, or 404.
pub async fn serve(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.web.assets.served.get(&name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash_and_only_they_are_served() {
        let assets = Assets::default();
        let css = assets.url("app.css");
        assert!(css.starts_with("/assets/app.") && css.ends_with(".css") && css.len() == "/assets/app..css".len() + 12);
        let served = css.trim_start_matches("/assets/");
        assert!(assets.served.contains_key(served));
        assert!(!assets.served.contains_key("app.css"), "an unhashed name could be cached for ever");
    }
}

//! What a session was made on, as its owner would name it ("Firefox on Android"), so that on
//! the account page a person tells their phone from their laptop and signs out the one they
//! do not recognise. Only this short name is kept, never the whole User-Agent: that is enough
//! to recognise a device and says less about it.

use axum::http::{HeaderMap, header};

/// The longest User-Agent read: what is longer is not a browser's, and is not parsed.
const MAX_AGENT: usize = 512;

/// The device the request came from, when its User-Agent says.
pub fn of(headers: &HeaderMap) -> Option<String> {
    let agent = headers.get(header::USER_AGENT)?.to_str().ok()?;
    name(agent)
}

fn name(agent: &str) -> Option<String> {
    if agent.len() > MAX_AGENT {
        return None;
    }
    let found = woothee::parser::Parser::new().parse(agent)?;
    let known = |value: &str| value != woothee::woothee::VALUE_UNKNOWN && !value.is_empty();
    let os = match found.os {
        "Mac OSX" => "macOS",
        os => os,
    };
    match (known(found.name), known(os)) {
        (true, true) => Some(format!("{} on {os}", found.name)),
        (true, false) => Some(found.name.to_string()),
        (false, true) => Some(os.to_string()),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn browsers_and_systems_are_named_as_people_know_them() {
        let firefox_android = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0";
        assert_eq!(name(firefox_android).as_deref(), Some("Firefox on Android"));
        let safari_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
        assert_eq!(name(safari_mac).as_deref(), Some("Safari on macOS"));
        let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
        assert_eq!(name(headless).as_deref(), Some("Chrome on Linux"));
    }

    #[test]
    fn what_says_nothing_names_nothing() {
        assert_eq!(name(""), None);
        assert_eq!(name("x".repeat(600).as_str()), None);
    }
}

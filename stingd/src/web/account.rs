//! The account page: my passkeys, my authenticator app (its QR code drawn here, on the
//! server), recovery codes, my sessions, my API tokens, and how to point an OpenAI client at
//! STING. What it changes, its script changes through the API.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::page::{Person, Section, Shell, render, when};
use crate::http::access::{Credential, SCOPES};
use crate::http::{ApiError, AppState};
use crate::identity::{account, factors, tokens};

struct ShownPasskey {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

struct ShownSession {
    id: String,
    aal: i16,
    created: String,
    last_seen: String,
    device: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    shell: Shell<'a>,
    email: String,
    stepped_up: bool,
    passkeys: Vec<ShownPasskey>,
    totp: bool,
    totp_offered: bool,
    passkeys_offered: bool,
    recovery_left: i64,
    sessions: Vec<ShownSession>,
    tokens: Vec<tokens::TokenInfo>,
    scopes: &'static [&'static str],
    can_make_tokens: bool,
    base_url: String,
    model: String,
}

/// `GET /account`.
pub async fn page(State(state): State<AppState>, person: Person) -> Response {
    let current = match &person.caller.credential {
        Credential::Session(id) => Some(id.clone()),
        _ => None,
    };
    let stepped_up = person.caller.aal == crate::identity::credential::Aal::Two;
    let shell = Shell::new(&state, "My account", "account").for_person(&person, Section::None);
    let data = async {
        let identity = state.identity()?;
        let (pool, user) = (&identity.pool, person.reader.user);
        let passkeys = account::passkeys(pool, user)
            .await?
            .into_iter()
            .map(|p| ShownPasskey {
                id: p.id.to_string(),
                name: p.name,
                created: when(p.created_at),
                last_used: p.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            })
            .collect();
        let sessions = account::sessions(pool, user, current.as_ref())
            .await?
            .into_iter()
            .map(|s| ShownSession {
                id: s.id,
                aal: s.aal,
                created: when(s.created_at),
                last_seen: when(s.last_seen_at),
                device: s.device.unwrap_or_else(|| "an unnamed device".into()),
                current: s.current,
            })
            .collect();
        let tokens = tokens::list(pool, user).await?;
        let totp = factors::has_totp(pool, user).await?;
        let recovery_left = factors::recovery_codes_left(pool, user).await?;
        Ok::<_, ApiError>((passkeys, sessions, tokens, totp, recovery_left, identity.origin.to_string()))
    };
    match data.await {
        Ok((passkeys, sessions, tokens, totp, recovery_left, origin)) => {
            let methods = &state.sign_in_methods;
            render(&AccountPage {
                email: person.email.clone(),
                shell,
                stepped_up,
                passkeys,
                totp,
                totp_offered: methods.contains(&sting_config::SignInMethod::Totp),
                passkeys_offered: methods.contains(&sting_config::SignInMethod::Passkey),
                recovery_left,
                sessions,
                tokens,
                scopes: SCOPES,
                can_make_tokens: person.writes(),
                base_url: format!("{origin}/v1"),
                model: state.bee_model().unwrap_or_default(),
            })
        }
        Err(error) => shell.error(error),
    }
}

#[derive(Template)]
#[template(path = "totp_qr.html")]
struct TotpQr {
    svg: String,
}

/// `GET /account/totp-qr`: the QR code of the authenticator-app secret being set up, as a
/// document the account page's script puts in place (never a string it parses).
pub async fn totp_qr(State(state): State<AppState>, person: Person) -> Response {
    let caller = &person.caller;
    let shell = Shell::new(&state, "Authenticator app", "error").for_person(&person, Section::None);
    let url = async {
        // Whoever may not add a factor now may not see the secret being set up either.
        let (identity, _) =
            crate::identity::signin::adding_factor(&state, caller, sting_config::SignInMethod::Totp, Ok(())).await?;
        let vault = state.vault_client().ok_or(crate::identity::IdentityError::NoVault)?;
        Ok::<_, ApiError>(factors::pending_totp_url(&identity.pool, &vault, person.reader.user, &person.email).await?)
    };
    match url.await {
        Ok(Some(url)) => match qrcode::QrCode::new(url.as_bytes()) {
            Ok(code) => {
                let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
                let mut response = render(&TotpQr { svg });
                response
                    .headers_mut()
                    .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
                response
            }
            Err(_) => shell.error(ApiError::bad_request("qr_failed", "the set-up address does not fit a QR code")),
        },
        Ok(None) => shell.error(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            crate::http::ErrorKind::InvalidRequest,
            "not_found",
            "no authenticator app is being set up",
        )),
        Err(error) => shell.error(error),
    }
}

//! The OpenAPI document served at `/api/openapi.json`. Each handler describes itself
//! (`#[utoipa::path]`: its summary, body, parameters, answers and the errors only it gives); the
//! route table adds what follows from each route's access decision (credentials, the roles'
//! 401/403, the rate limits' 429, Kratos's 409) and from its shape (path ids, JSON bodies). A
//! route without a described handler, or a described handler without a route, fails the build
//! of the document and its test, so the document cannot fall behind the router.

use axum::http::Method;
use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema};

use crate::http::access::{Access, RouteDecision};
use crate::identity::users::Role;

/// Every handler that describes itself, by path.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::http::health::health,
    crate::http::health::ready,
    serve,
    crate::gateway::proxy::chat_completions,
    crate::gateway::proxy::completions,
    crate::gateway::proxy::embeddings,
    crate::gateway::models,
    crate::gateway::metrics,
    crate::identity::admin::me,
    crate::identity::admin::list_users,
    crate::identity::admin::disable_user,
    crate::identity::admin::delete_user,
    crate::identity::admin::change_role,
    crate::identity::admin::revoke_all_sessions,
    crate::identity::admin::audit,
    crate::identity::admin::invite,
    crate::identity::admin::reset_factors,
    crate::identity::signin::enrol,
    crate::identity::signin::totp_setup,
    crate::identity::signin::totp_confirm,
    crate::identity::signin::password_signin,
    crate::identity::signin::register,
    crate::identity::signin::magic_link,
    crate::identity::signin::magic_link_verify,
    crate::identity::signin::signout,
    crate::identity::signin::passkey_register_start,
    crate::identity::signin::passkey_register_finish,
    crate::identity::signin::passkey_signin_start,
    crate::identity::signin::passkey_signin_finish,
    crate::identity::tokens_api::create,
    crate::identity::signin::step_up,
    crate::identity::account_api::passkeys,
    crate::identity::account_api::rename_passkey,
    crate::identity::account_api::remove_passkey,
    crate::identity::account_api::sessions,
    crate::identity::account_api::revoke_session,
    crate::identity::account_api::recovery_codes,
    crate::notifications::api::list,
    crate::notifications::api::mark_all_read,
    crate::notifications::api::mark_read,
    crate::notifications::api::stream,
    crate::identity::tokens_api::list,
    crate::identity::tokens_api::revoke,
    crate::honey_jars::jars_api::list,
    crate::honey_jars::jars_api::create,
    crate::honey_jars::jars_api::get,
    crate::honey_jars::jars_api::update,
    crate::honey_jars::jars_api::delete,
    crate::honey_jars::jars_api::set_shares,
    crate::honey_jars::documents_api::upload,
    crate::honey_jars::documents_api::reindex,
    crate::honey_jars::documents_api::list,
    crate::honey_jars::documents_api::content,
    crate::honey_jars::documents_api::delete,
    crate::honey_jars::documents_api::approve,
    crate::honey_jars::documents_api::search,
    crate::bee::api::create,
    crate::bee::api::list,
    crate::bee::api::get,
    crate::bee::api::update,
    crate::bee::api::delete,
    crate::bee::api::export,
    crate::bee::api::ask,
    crate::beeacon::status,
))]
struct Handlers;

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build())
        .build()
        .into()
}

/// An OpenAI request: the fields stingd reads, and anything else passed through to the model.
fn openai_request(required: &[(&str, Schema)]) -> Schema {
    let mut object =
        ObjectBuilder::new().additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(true)));
    for (name, schema) in required {
        object = object.property(*name, schema.clone()).required(*name);
    }
    object.into()
}

fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

/// `/api/openapi.json`: the document of exactly the routes this router serves (the table is
/// handed in by the router, so this module does not name it).
#[utoipa::path(get, path = "/api/openapi.json", summary = "This document", responses((status = 200, description = "the OpenAPI 3.1 document")))]
pub(crate) async fn serve(
    axum::Extension(decisions): axum::Extension<std::sync::Arc<[RouteDecision]>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match document(&decisions) {
        Ok(doc) => axum::Json(doc).into_response(),
        Err(missing) => crate::http::ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            crate::http::ErrorKind::Server,
            "undocumented_route",
            missing,
        )
        .into_response(),
    }
}

/// The document for `decisions` (every route the router serves, with its access decision).
pub fn document(decisions: &[RouteDecision]) -> Result<OpenApi, String> {
    // The web app's pages and assets are not the API.
    let decisions: Vec<&RouteDecision> = decisions.iter().filter(|d| !is_page(d.path)).collect();
    let mut api = Handlers::openapi();
    let mut described = 0;
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let decision = decisions
                .iter()
                .find(|d| d.path == path && d.method == method)
                .ok_or_else(|| format!("{method} {path} is described but the router has no such route"))?;
            complete(operation, decision);
            described += 1;
        }
    }
    if described != decisions.len() {
        let missing = decisions
            .iter()
            .find(|d| {
                api.paths
                    .paths
                    .get(d.path)
                    .is_none_or(|item| !operations(&mut item.clone()).iter().any(|(m, _)| *m == d.method))
            })
            .map(|d| format!("{} {}", d.method, d.path))
            .unwrap_or_default();
        return Err(format!("{missing} has no #[utoipa::path] on its handler (or it is not listed in openapi.rs)"));
    }
    let messages = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(true))),
        )
        .min_items(Some(1));
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        "ChatCompletionRequest".into(),
        openai_request(&[("model", string()), ("messages", messages.into())]).into(),
    );
    components
        .schemas
        .insert("CompletionRequest".into(), openai_request(&[("model", string()), ("prompt", string())]).into());
    components
        .schemas
        .insert("EmbeddingRequest".into(), openai_request(&[("model", string()), ("input", string())]).into());
    components.security_schemes.insert(
        "bearer".into(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("an API token (`sting_...`) or a gateway key"))
                .build(),
        ),
    );
    components.security_schemes.insert(
        "session".into(),
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::identity::sessions::COOKIE_NAME,
            "a session from signing in; state changes need this site's Origin",
        ))),
    );
    api.info = InfoBuilder::new()
        .title("STING-CE stingd")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("Identity, Honey Jars, Bee and the OpenAI-compatible gateway. Errors are `{\"error\": {\"message\", \"type\", \"param\", \"code\"}}` with a stable `code`."))
        .build();
    Ok(api)
}

/// Whether `path` is one of the web app's (a page or an asset), not the API's: an explicit
/// list, so that a new API route can never drop out of the document unnoticed.
pub fn is_page(path: &str) -> bool {
    crate::web::PATHS.contains(&path)
}

/// The operations of a path, by method.
fn operations(item: &mut PathItem) -> Vec<(Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
    .collect()
}

/// Adds a response unless the handler described that status itself.
fn answer(operation: &mut Operation, status: u16, description: &str) {
    operation.responses.responses.entry(status.to_string()).or_insert_with(|| error_response(description));
}

/// What a route's decision and shape say about it.
fn complete(operation: &mut Operation, decision: &RouteDecision) {
    let (method, path) = (&decision.method, decision.path);
    operation.operation_id = Some(operation_id(method, path));
    operation.tags =
        Some(vec![path.split('/').nth(if path.starts_with("/api/") { 2 } else { 1 }).unwrap_or("api").to_string()]);
    if *method == Method::POST && path.starts_with("/v1/") {
        let schema = match path {
            "/v1/chat/completions" => "ChatCompletionRequest",
            "/v1/completions" => "CompletionRequest",
            _ => "EmbeddingRequest",
        };
        operation.request_body = Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
                .build(),
        );
    }
    let path_params: Vec<&str> =
        path.split('/').filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}'))).collect();
    for name in &path_params {
        let parameter = ParameterBuilder::new()
            .name(*name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid))),
            ))
            .build();
        operation.parameters.get_or_insert_with(Vec::new).push(parameter);
    }
    if !path_params.is_empty() {
        answer(operation, 400, "the id is not a UUID");
        answer(operation, 404, "no such user, token, jar, document or conversation (or not one the caller can reach)");
    }
    let json_body = operation.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json"));
    if json_body {
        answer(operation, 400, "the body is not JSON, or a value is not acceptable");
        answer(operation, 413, "the body is too large");
        answer(operation, 415, "the body is not `application/json`");
        answer(operation, 422, "the JSON does not have the expected shape");
    } else if *method == Method::POST {
        answer(operation, 400, "the request is not acceptable");
    }
    match decision.access {
        // Pages are not in the document; the arm is here for completeness.
        Access::Page => {}
        Access::Public => {
            if *method == Method::POST {
                answer(operation, 403, "sent from another site, or the link is not valid");
            }
        }
        Access::Authenticated | Access::Role(_) => {
            let security = operation.security.get_or_insert_with(Vec::new);
            security.push(SecurityRequirement::new("bearer", Vec::<String>::new()));
            security.push(SecurityRequirement::new("session", Vec::<String>::new()));
            answer(operation, 401, "no valid credentials");
            answer(
                operation,
                403,
                match decision.access {
                    Access::Role(Role::Admin | Role::Moderator) => {
                        "needs a higher role with a second factor (AAL2), or a token lacks the scope"
                    }
                    _ => "needs a higher role, a token lacks the scope, or a session's request came from another site",
                },
            );
        }
    }
    if path.starts_with("/api/auth/") {
        answer(operation, 401, "the link, code or password was not accepted");
    }
    if crate::http::is_builtin_only(path) {
        answer(operation, 409, "sign-in, factors and roles are managed in Ory Kratos (`auth.provider: kratos`)");
    }
    if !path.starts_with("/health") {
        answer(operation, 429, "too many requests from this address or caller (see Retry-After)");
    }
    let needs_nothing = path.starts_with("/health") || path == "/api/openapi.json" || path == "/api/beeacon/status";
    if !needs_nothing {
        answer(operation, 503, "the database or the model is unavailable (see Retry-After)");
    }
}

fn operation_id(method: &Method, path: &str) -> String {
    let mut id = method.as_str().to_lowercase();
    for part in path.split(['/', '-', '.']).filter(|p| !p.is_empty()) {
        id.push('_');
        id.push_str(part.trim_matches(['{', '}']));
    }
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_described_and_nothing_else() {
        let (_, decisions) = crate::http::routes().into_parts();
        let doc = super::document(&decisions).expect("every route has a description");
        let json = serde_json::to_value(&doc).unwrap();
        for decision in decisions.iter().filter(|d| !super::is_page(d.path)) {
            let op = &json["paths"][decision.path][decision.method.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {}", decision.method, decision.path);
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{} {} has no summary",
                decision.method,
                decision.path
            );
            if decision.access != crate::http::access::Access::Public {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{} {} must say it needs credentials",
                    decision.method,
                    decision.path
                );
            }
            assert!(op["responses"].get("500").is_none());
        }
        // The web app's list names routes that exist.
        for path in crate::web::PATHS {
            assert!(decisions.iter().any(|d| d.path == *path), "{path} is in web::PATHS but not routed");
        }
        // Response bodies come from the handlers' types.
        let jars = &json["paths"]["/api/jars"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(jars["$ref"], "#/components/schemas/JarList", "{jars}");
        assert!(json["components"]["schemas"]["Jar"]["properties"]["permission"].is_object());
    }
}

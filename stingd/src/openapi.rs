//! The OpenAPI document served at `/api/openapi.json`, built from the same route list the
//! router is built from ([`crate::http::routes`]): paths, methods and who may call them come
//! from the code, request bodies from the Rust types (utoipa), and the errors each route can
//! answer from its access decision. A route without a description here fails the test that
//! builds the document, so the document cannot fall behind the router.

use axum::http::Method;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};

use crate::http::access::{Access, RouteDecision};
use crate::identity::users::Role;

/// What the route list does not say about a route.
struct Doc {
    summary: &'static str,
    /// The request body's schema, by component name.
    body: Option<&'static str>,
    /// Success statuses and what they mean.
    ok: &'static [(u16, &'static str)],
    /// Whether it needs the database or a model process, and so can answer 503.
    can_be_unavailable: bool,
}

const fn doc(summary: &'static str, body: Option<&'static str>, ok: &'static [(u16, &'static str)]) -> Doc {
    Doc { summary, body, ok, can_be_unavailable: true }
}

fn describe(method: &Method, path: &str) -> Option<Doc> {
    const OK: &[(u16, &str)] = &[(200, "done")];
    const NO_CONTENT: &[(u16, &str)] = &[(204, "done")];
    Some(match (method.as_str(), path) {
        ("POST", "/v1/chat/completions") => {
            doc("Chat completion (OpenAI-compatible; `stream` for SSE)", Some("ChatCompletionRequest"), OK)
        }
        ("POST", "/v1/completions") => doc("Text completion (OpenAI-compatible)", Some("CompletionRequest"), OK),
        ("POST", "/v1/embeddings") => doc("Embeddings (OpenAI-compatible)", Some("EmbeddingRequest"), OK),
        ("GET", "/v1/models") => doc("The configured models and their state", None, OK),
        ("GET", "/metrics") => doc("Prometheus/OpenMetrics metrics", None, OK),
        ("GET", "/api/me") => doc("Who the caller is: user, role, assurance level", None, OK),
        ("GET", "/api/openapi.json") => Doc { can_be_unavailable: false, ..doc("This document", None, OK) },
        ("GET", "/api/admin/users") => doc("Every account", None, OK),
        ("POST", "/api/admin/users/{id}/disable") => {
            doc("Disable an account; its sessions and tokens end at once", None, NO_CONTENT)
        }
        ("POST", "/api/admin/users/{id}/role") => {
            doc("Change an account's role (its sessions end)", Some("RoleChange"), NO_CONTENT)
        }
        ("DELETE", "/api/admin/users/{id}") => doc("Delete an account and everything it owns", None, NO_CONTENT),
        ("POST", "/api/admin/users/{id}/reset-factors") => {
            doc("Remove an account's factors and mail a new enrolment link", None, OK)
        }
        ("POST", "/api/admin/sessions/revoke-all") => doc("End every session of every user", None, OK),
        ("GET", "/api/admin/audit") => doc("The audit log, newest first", None, OK),
        ("GET", "/api/beeacon/status") => Doc {
            can_be_unavailable: false,
            ..doc("The view from inside: models, queues, sessions, ingestion, Vault reachability", None, OK)
        },
        ("POST", "/api/admin/invitations") => {
            doc("Create an account and mail its enrolment link", Some("Invitation"), &[(201, "invited")])
        }
        ("POST", "/api/auth/enrol") => {
            doc("Open a one-time enrolment link (a session for registering a factor)", Some("EnrolRequest"), OK)
        }
        ("POST", "/api/auth/register") => doc(
            "Register (if `auth.registration` allows): an enrolment link by mail",
            Some("MagicLinkRequest"),
            &[(202, "accepted, whether or not the address can register")],
        ),
        ("POST", "/api/auth/magic-link") => doc(
            "Mail a sign-in link",
            Some("MagicLinkRequest"),
            &[(202, "accepted, whether or not the address has an account")],
        ),
        ("POST", "/api/auth/magic-link/verify") => doc("Use a sign-in link", Some("MagicLinkVerify"), OK),
        ("POST", "/api/auth/password") => {
            doc("Sign in with a password and a second factor", Some("PasswordSignIn"), OK)
        }
        ("POST", "/api/auth/signout") => doc("End this session", None, NO_CONTENT),
        ("POST", "/api/auth/totp/setup") => doc("Start TOTP enrolment", None, OK),
        ("POST", "/api/auth/passkey/register/start") => {
            doc("Start registering a passkey: options for navigator.credentials.create()", None, OK)
        }
        ("POST", "/api/auth/passkey/register/finish") => {
            doc("Keep the new passkey (the session becomes AAL2)", Some("PasskeyRegistrationFinish"), OK)
        }
        ("POST", "/api/auth/passkey/start") => doc(
            "Start signing in with a passkey: options for navigator.credentials.get()",
            Some("PasskeySignInStart"),
            OK,
        ),
        ("POST", "/api/auth/passkey/finish") => {
            doc("Sign in with a passkey (an AAL2 session)", Some("PasskeySignInFinish"), OK)
        }
        ("POST", "/api/auth/totp/confirm") => {
            doc("Confirm TOTP with a first code (the session becomes AAL2)", Some("CodeRequest"), OK)
        }
        ("GET", "/api/tokens") => doc("The caller's API tokens (never their secrets)", None, OK),
        ("POST", "/api/tokens") => doc(
            "Create an API token (shown once)",
            Some("NewToken"),
            &[(201, "created; the only time the secret is shown")],
        ),
        ("DELETE", "/api/tokens/{id}") => doc("Revoke one of the caller's API tokens", None, NO_CONTENT),
        ("GET", "/api/jars") => doc("The Honey Jars the caller can reach, with what they may do", None, OK),
        ("POST", "/api/jars") => doc("Create a Honey Jar", Some("NewJar"), &[(201, "created")]),
        ("GET", "/api/jars/{id}") => doc("One Honey Jar (with its shares, for its managers)", None, OK),
        ("PATCH", "/api/jars/{id}") => doc("Rename or re-describe a Honey Jar", Some("JarUpdate"), OK),
        ("DELETE", "/api/jars/{id}") => doc("Delete a Honey Jar with everything in it", None, NO_CONTENT),
        ("POST", "/api/jars/{id}/documents") => doc(
            "Upload a document (the request body itself, named by `?name=`): text, Markdown, HTML, PDF or DOCX",
            None,
            &[
                (201, "stored: `ready`, or `held` for a moderator when it holds personal data"),
                (202, "with `?wait=false`: queued; follow its status in the jar's document list"),
            ],
        ),
        ("GET", "/api/jars/{id}/documents") => {
            doc("The jar's documents with their indexing status, progress and errors", None, OK)
        }
        ("POST", "/api/jars/{id}/reindex") => {
            doc("Index every document of the jar again, in the background", None, &[(202, "queued")])
        }
        ("GET", "/api/jars/{id}/documents/{doc}/content") => {
            doc("A document as stored (the upload, or its redacted text)", None, OK)
        }
        ("DELETE", "/api/jars/{id}/documents/{doc}") => {
            doc("Delete a document with its chunks and findings", None, NO_CONTENT)
        }
        ("POST", "/api/jars/{id}/documents/{doc}/approve") => {
            doc("Make a document held for review searchable", None, NO_CONTENT)
        }
        ("GET", "/api/search") => {
            doc("Search the jars the caller can read: chunks, snippets and scores above the floor", None, OK)
        }
        ("GET", "/api/conversations") => doc("Your conversations with Bee, the latest first", None, OK),
        ("POST", "/api/conversations") => doc(
            "Start a conversation with Bee, drawing on some jars or all you can read",
            Some("NewConversation"),
            &[(201, "created")],
        ),
        ("GET", "/api/conversations/{id}") => doc("A conversation with its messages and their sources", None, OK),
        ("PATCH", "/api/conversations/{id}") => {
            doc("Rename a conversation or change the jars it draws on", Some("ConversationUpdate"), OK)
        }
        ("DELETE", "/api/conversations/{id}") => doc("Delete a conversation with its messages", None, NO_CONTENT),
        ("GET", "/api/conversations/{id}/export") => {
            doc("Download a conversation (`format=json` or `markdown`)", None, OK)
        }
        ("POST", "/api/conversations/{id}/messages") => doc(
            "Ask Bee: server-sent events `sources`, `delta`…, then `done` (or `error`); one JSON answer with `stream: false`",
            Some("Question"),
            OK,
        ),
        ("PUT", "/api/jars/{id}/shares") => {
            doc("Replace who the Honey Jar is shared with (users, roles, everyone)", Some("JarShares"), OK)
        }
        _ => return None,
    })
}

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

fn error_schema() -> Schema {
    let detail = ObjectBuilder::new()
        .property("message", string())
        .required("message")
        .property("type", string())
        .required("type")
        .property("code", string())
        .required("code")
        .property(
            "param",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])),
        )
        .required("param");
    ObjectBuilder::new().property("error", detail).required("error").into()
}

/// The document for `decisions` (every route the router serves, with its access decision).
pub fn document(decisions: &[RouteDecision]) -> Result<OpenApi, String> {
    let mut paths = PathsBuilder::new();
    for decision in decisions {
        let doc = describe(&decision.method, decision.path)
            .ok_or_else(|| format!("{} {} has no description in openapi.rs", decision.method, decision.path))?;
        let mut operation = OperationBuilder::new()
            .summary(Some(doc.summary))
            .operation_id(Some(operation_id(&decision.method, decision.path)))
            .tag(decision.path.split('/').nth(if decision.path.starts_with("/api/") { 2 } else { 1 }).unwrap_or("api"));
        for (status, description) in doc.ok {
            operation =
                operation.response(status.to_string(), ResponseBuilder::new().description(*description).build());
        }
        let path_params: Vec<&str> =
            decision.path.split('/').filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}'))).collect();
        for name in &path_params {
            operation = operation.parameter(
                ParameterBuilder::new().name(*name).parameter_in(ParameterIn::Path).required(Required::True).schema(
                    Some(
                        ObjectBuilder::new().schema_type(Type::String).format(Some(
                            utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid),
                        )),
                    ),
                ),
            );
        }
        let query = |name: &str, required: bool, description: &str, kind: Type| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(if required { Required::True } else { Required::False })
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(kind)))
        };
        if decision.path == "/api/jars/{id}/documents" && decision.method == Method::POST {
            operation = operation
                .parameter(query("name", true, "the document's name, with its extension", Type::String))
                .parameter(query(
                    "wait",
                    false,
                    "`true` (default): answer once indexed; `false`: answer at once and index in the background",
                    Type::String,
                ))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("application/octet-stream", ContentBuilder::new().build())
                        .build(),
                ))
                .response("413", error_response("over `honey_jars.max_document_size`, or over the uploader's quota"))
                .response("415", error_response("not a kind of document STING reads, or not what its name says"))
                .response("422", error_response("unreadable, empty, or refused by the personal-data policy"));
        }
        if decision.path == "/api/search" {
            operation = operation
                .parameter(query(
                    "q",
                    true,
                    "the words to look for (web-search syntax: \"phrases\", -not, or)",
                    Type::String,
                ))
                .parameter(query("jar", false, "only this jar", Type::String))
                .parameter(query("limit", false, "at most this many results (1 to 50; 10 by default)", Type::Integer))
                .parameter(query(
                    "match",
                    false,
                    "`auto` (default: every word, else any), `all` (every word) or `any` (any word, ranked by how many)",
                    Type::String,
                ))
                .response("400", error_response("no query, or a bad jar, limit or match"));
        }
        if decision.path == "/api/conversations/{id}/export" {
            operation = operation
                .parameter(query("format", false, "`json` (default) or `markdown`", Type::String))
                .response("400", error_response("an unknown format"));
        }
        if !path_params.is_empty() {
            operation = operation.response("400", error_response("the id is not a UUID")).response(
                "404",
                error_response("no such user, token, jar or document (or not one the caller can reach)"),
            );
        }
        if decision.path == "/api/admin/audit" {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some("how many events, newest first (1 to 1000; 100 by default)"))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                        utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64),
                    )))),
            );
            operation = operation.response("400", error_response("the limit is not a number"));
        }
        if let Some(body) = doc.body {
            operation = operation
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content(
                            "application/json",
                            ContentBuilder::new().schema(Some(Ref::from_schema_name(body))).build(),
                        )
                        .build(),
                ))
                .response("400", error_response("the body is not JSON, or a value is not acceptable"))
                .response("413", error_response("the body is too large"))
                .response("415", error_response("the body is not `application/json`"))
                .response("422", error_response("the JSON does not have the expected shape"));
        } else if decision.method == Method::POST {
            operation = operation.response("400", error_response("the request is not acceptable"));
        }
        if decision.method == Method::POST && decision.path.starts_with("/v1/") {
            operation = operation.response("404", error_response("no such model"));
        }
        if decision.method == Method::POST && decision.path == "/api/conversations" {
            operation = operation.response("404", error_response("a jar named is not one the caller can read"));
        }
        if decision.path.starts_with("/api/conversations/") {
            operation = operation.response(
                "404",
                error_response("no such conversation of the caller's, no such jar, or (asking) no such model"),
            );
        }
        if decision.path == "/api/conversations/{id}/messages" {
            operation = operation.response("502", error_response("the model failed before answering"));
        }
        match decision.access {
            Access::Public => {}
            Access::Authenticated | Access::Role(_) => {
                operation = operation
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .security(SecurityRequirement::new("session", Vec::<String>::new()))
                    .response("401", error_response("no valid credentials"))
                    .response("403", error_response(match decision.access {
                        Access::Role(Role::Admin | Role::Moderator) => "needs a higher role with a second factor (AAL2), or a token lacks the scope",
                        _ => "needs a higher role, a token lacks the scope, or a session's request came from another site",
                    }));
            }
        }
        if decision.access == Access::Public && decision.method == Method::POST {
            operation = operation.response("403", error_response("sent from another site, or the link is not valid"));
        }
        if decision.path.starts_with("/api/auth/") {
            operation = operation.response("401", error_response("the link, code or password was not accepted"));
        }
        if decision.path.starts_with("/api/jars") && matches!(decision.method, Method::POST | Method::PATCH) {
            operation = operation.response("409", error_response("the caller already has a jar of that name"));
        }
        if crate::http::is_builtin_only(decision.path) {
            operation = operation.response(
                "409",
                error_response("sign-in, factors and roles are managed in Ory Kratos (`auth.provider: kratos`)"),
            );
        }
        operation = operation
            .response("429", error_response("too many requests from this address or caller (see Retry-After)"));
        if doc.can_be_unavailable {
            operation =
                operation.response("503", error_response("the database or the model is unavailable (see Retry-After)"));
        }
        let method = match decision.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "DELETE" => HttpMethod::Delete,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            other => return Err(format!("{other} {} uses a method openapi.rs does not map", decision.path)),
        };
        paths = paths.path(decision.path, utoipa::openapi::PathItem::new(method, operation.build()));
    }
    paths = paths.path(
        "/health",
        utoipa::openapi::PathItem::new(
            HttpMethod::Get,
            OperationBuilder::new()
                .summary(Some("Liveness; the only route that needs no credentials"))
                .operation_id(Some("get_health"))
                .tag("health")
                .response("200", ResponseBuilder::new().description("alive").build())
                .build(),
        ),
    );
    let messages = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(true))),
        )
        .min_items(Some(1));
    let components = ComponentsBuilder::new()
        .schema("Error", error_schema())
        .schema("ChatCompletionRequest", openai_request(&[("model", string()), ("messages", messages.into())]))
        .schema("CompletionRequest", openai_request(&[("model", string()), ("prompt", string())]))
        .schema("EmbeddingRequest", openai_request(&[("model", string()), ("input", string())]))
        .schema_from::<crate::identity::signin::EnrolRequest>()
        .schema_from::<crate::identity::signin::CodeRequest>()
        .schema_from::<crate::identity::signin::PasswordSignIn>()
        .schema_from::<crate::identity::signin::MagicLinkRequest>()
        .schema_from::<crate::identity::signin::MagicLinkVerify>()
        .schema_from::<crate::identity::admin::RoleChange>()
        .schema_from::<crate::identity::admin::Invitation>()
        .schema_from::<crate::identity::tokens_api::NewToken>()
        .schema_from::<crate::bee::api::NewConversation>()
        .schema_from::<crate::bee::api::ConversationUpdate>()
        .schema_from::<crate::bee::api::Question>()
        .schema_from::<crate::honey_jars::jars_api::NewJar>()
        .schema_from::<crate::honey_jars::jars_api::JarUpdate>()
        .schema_from::<crate::honey_jars::jars_api::JarShares>()
        .schema_from::<crate::honey_jars::jars_api::ShareInput>()
        .schema_from::<crate::honey_jars::jars_api::ShareLevel>()
        .schema_from::<crate::identity::signin::PasskeyRegistrationFinish>()
        .schema_from::<crate::identity::signin::PasskeySignInStart>()
        .schema_from::<crate::identity::signin::PasskeySignInFinish>()
        .schema_from::<Role>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an API token (`sting_...`) or a gateway key"))
                    .build(),
            ),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::identity::sessions::COOKIE_NAME,
                "a session from signing in; state changes need this site's Origin",
            ))),
        )
        .build();
    Ok(OpenApiBuilder::new()
        .info(InfoBuilder::new().title("STING-CE stingd").version(env!("CARGO_PKG_VERSION")).description(Some("Identity, administration and the OpenAI-compatible gateway. Errors are `{\"error\": {\"message\", \"type\", \"param\", \"code\"}}` with a stable `code`.")).build())
        .paths(paths.build())
        .components(Some(components))
        .build())
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
    fn every_route_is_described() {
        let (_, decisions) = crate::http::routes().into_parts();
        let doc = super::document(&decisions).expect("every route has a description");
        let json = serde_json::to_value(&doc).unwrap();
        for decision in &decisions {
            let op = &json["paths"][decision.path][decision.method.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {}", decision.method, decision.path);
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
    }
}

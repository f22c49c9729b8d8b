//! Checks a parsed YAML tree against the JSON schema derived from [`crate::Config`], collecting
//! every problem instead of stopping at the first, as serde would.
//!
//! It understands the subset of JSON Schema that schemars emits for our types: `$ref`, `type`,
//! `properties`, `additionalProperties`, `required`, `items`, `enum`, `const`, `oneOf`/`anyOf`,
//! `minimum`/`maximum` and our own `format`s (see [`crate::values`]).
//!
//! The walk also yields the document as JSON typed by the schema (`8080` a number where a number
//! belongs, a string where a string does), which serde then turns into [`crate::Config`]. YAML's
//! own guesses about scalar types never reach serde.

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::values::{VAULT_REF_PREFIX, check_format};

/// Walks a tree against a root schema (the one holding `$defs`).
pub(crate) struct Validator<'a> {
    root: &'a Value,
    file: &'a std::path::Path,
}

impl<'a> Validator<'a> {
    pub fn new(root: &'a Value, file: &'a std::path::Path) -> Self {
        Self { root, file }
    }

    pub fn check_document(&self, node: &Node) -> (Value, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let value = self.check(node, self.root, "", &mut out);
        (value, out)
    }

    fn location(&self, node_span: &marked_yaml::Span) -> Option<Location> {
        self.marker_location(node_span.start())
    }

    fn node_location(&self, node: &Node) -> Option<Location> {
        self.marker_location(crate::document::node_start(node))
    }

    fn marker_location(&self, marker: Option<&marked_yaml::Marker>) -> Option<Location> {
        marker.map(|m| Location { file: self.file.to_path_buf(), line: m.line(), column: m.column() })
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn check(&self, node: &Node, schema: &'a Value, key: &str, out: &mut Vec<Diagnostic>) -> Value {
        let schema = self.resolve(schema);
        if let Some(alternatives) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
            return self.check_alternatives(node, schema, alternatives, key, out);
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            return self.check_choice(node, allowed, key, out);
        }
        let Some(json_type) = self.check_type(node, schema, key, out) else {
            return Value::Null;
        };
        match node {
            Node::Mapping(map) => self.check_mapping(map, schema, key, out),
            Node::Sequence(seq) => {
                let items = schema.get("items");
                Value::Array(
                    seq.iter()
                        .enumerate()
                        .map(|(i, item)| match items {
                            Some(items) => self.check(item, items, &format!("{key}[{i}]"), out),
                            None => Value::Null,
                        })
                        .collect(),
                )
            }
            Node::Scalar(scalar) => {
                self.check_scalar(scalar, schema, key, out);
                typed_scalar(scalar, json_type)
            }
        }
    }

    /// `Option<T>` is `anyOf [T, null]`; an enum with documented variants is `oneOf [const...]`.
    fn check_alternatives(
        &self,
        node: &Node,
        schema: &'a Value,
        alternatives: &'a [Value],
        key: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Value {
        let resolved: Vec<&Value> = alternatives.iter().map(|a| self.resolve(a)).collect();
        let consts: Option<Vec<Value>> = resolved
            .iter()
            .map(|a| a.get("const").cloned().or_else(|| a.get("enum").and_then(|e| e.get(0)).cloned()))
            .collect();
        if let Some(allowed) = consts {
            return self.check_choice(node, &allowed, key, out);
        }
        let mut attempts = Vec::new();
        for alternative in &resolved {
            let mut errors = Vec::new();
            let value = self.check(node, alternative, key, &mut errors);
            if errors.is_empty() {
                return value;
            }
            attempts.push(errors);
        }
        // Report the attempt for the alternative that is not `null`: its errors are the useful ones.
        let non_null: Vec<usize> = (0..resolved.len()).filter(|&i| !is_null_schema(resolved[i])).collect();
        if let [only] = non_null[..] {
            out.append(&mut attempts[only]);
        } else {
            let expected = describe_schema(schema);
            out.push(self.wrong_type(node, key, &expected));
        }
        Value::Null
    }

    fn check_choice(&self, node: &Node, allowed: &[Value], key: &str, out: &mut Vec<Diagnostic>) -> Value {
        let names: Vec<String> = allowed.iter().map(value_text).collect();
        let Node::Scalar(scalar) = node else {
            let expected = format!("one of {}", names.join(", "));
            out.push(self.wrong_type(node, key, &expected));
            return Value::Null;
        };
        if let Some(value) = allowed.iter().find(|v| scalar_matches_value(scalar, v)) {
            return value.clone();
        }
        let text = scalar.as_str();
        let mut d = Diagnostic::new(
            Code::InvalidValue,
            key,
            format!("`{text}` is not one of the choices: {}", names.join(", ")),
        )
        .at(self.location(scalar.span()));
        if let Some(close) = closest(text, names.iter().map(String::as_str)) {
            d = d.hint(format!("did you mean `{close}`?"));
        }
        out.push(d);
        Value::Null
    }

    /// Returns None (after reporting) when the node's kind is not one the schema allows.
    /// Otherwise the JSON type the node is read as, preferring the most specific one.
    fn check_type(&self, node: &Node, schema: &'a Value, key: &str, out: &mut Vec<Diagnostic>) -> Option<&'a str> {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return Some("any"),
        };
        for preferred in ["null", "object", "array", "boolean", "integer", "number", "string"] {
            if types.contains(&preferred) && node_is(node, preferred) {
                return types.into_iter().find(|t| *t == preferred);
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("vault-ref") {
            out.push(self.plain_secret(node, key));
        } else {
            out.push(self.wrong_type(node, key, &describe_types(&types)));
        }
        None
    }

    fn check_mapping(&self, map: &MarkedMappingNode, schema: &'a Value, key: &str, out: &mut Vec<Diagnostic>) -> Value {
        let mut object = Map::new();
        let empty = Map::new();
        let properties = schema.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let additional = schema.get("additionalProperties");
        for (name, value) in map.iter() {
            let child_key = join(key, name.as_str());
            if let Some(property) = properties.get(name.as_str()) {
                object.insert(name.to_string(), self.check(value, property, &child_key, out));
            } else if let Some(extra) = additional.filter(|a| a.is_object()) {
                object.insert(name.to_string(), self.check(value, extra, &child_key, out));
            } else if additional == Some(&Value::Bool(false)) {
                let mut d = Diagnostic::new(Code::UnknownKey, &child_key, "unknown key").at(self.location(name.span()));
                let known = properties.keys().map(String::as_str);
                d = match closest(name.as_str(), known) {
                    Some(close) => d.hint(format!("did you mean `{close}`?")),
                    None => d.hint(format!(
                        "known keys here: {}",
                        properties.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                };
                out.push(d);
            }
        }
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let Some(required) = required.as_str() else { continue };
            if map.get(required).is_none() {
                out.push(
                    Diagnostic::new(Code::MissingKey, join(key, required), format!("`{required}` is required here"))
                        .at(self.node_location(&Node::Mapping(map.clone()))),
                );
            }
        }
        Value::Object(object)
    }

    fn check_scalar(&self, scalar: &MarkedScalarNode, schema: &Value, key: &str, out: &mut Vec<Diagnostic>) {
        let text = scalar.as_str();
        let at = self.location(scalar.span());
        if let Some(number) = scalar_number(scalar) {
            let below = schema.get("minimum").and_then(Value::as_f64).filter(|&min| number < min);
            let above = schema.get("maximum").and_then(Value::as_f64).filter(|&max| number > max);
            if below.is_some() || above.is_some() {
                let range = match (schema.get("minimum"), schema.get("maximum")) {
                    (Some(min), Some(max)) => format!("between {min} and {max}"),
                    (Some(min), None) => format!("at least {min}"),
                    (None, Some(max)) => format!("at most {max}"),
                    (None, None) => unreachable!(),
                };
                out.push(
                    Diagnostic::new(Code::InvalidValue, key, format!("{text} is out of range: it must be {range}"))
                        .at(at),
                );
                return;
            }
        }
        let Some(format) = schema.get("format").and_then(Value::as_str) else { return };
        if node_is_null(scalar) {
            return;
        }
        if format == "vault-ref" && !text.starts_with(VAULT_REF_PREFIX) {
            out.push(self.plain_secret(&Node::Scalar(scalar.clone()), key));
            return;
        }
        if let Some(Err(message)) = check_format(format, text) {
            out.push(Diagnostic::new(Code::InvalidValue, key, message).at(at));
        }
    }

    /// Never quotes the value: it is a secret written where only a reference belongs.
    fn plain_secret(&self, node: &Node, key: &str) -> Diagnostic {
        let (path, field) = match key.rsplit_once('.') {
            Some((parent, field)) => (parent.replace(['[', ']'], "/").replace('.', "/"), field),
            None => (key.to_string(), "value"),
        };
        Diagnostic::new(
            Code::PlainSecret,
            key,
            "this is a secret: config.yml holds only a reference to it, never the value itself",
        )
        .at(self.node_location(node))
        .hint(format!(
            "store the value in Vault (KV path `{path}`, key `{field}`) and write `vault-ref:{path}#{field}` here; \
             if this value was real, treat it as exposed and change it"
        ))
    }

    fn wrong_type(&self, node: &Node, key: &str, expected: &str) -> Diagnostic {
        let found = match node {
            Node::Mapping(_) => "a mapping".to_string(),
            Node::Sequence(_) => "a list".to_string(),
            Node::Scalar(s) if node_is_null(s) => "an empty value".to_string(),
            Node::Scalar(s) => format!("`{}`", s.as_str()),
        };
        Diagnostic::new(Code::WrongType, key, format!("expected {expected}, found {found}"))
            .at(self.node_location(node))
    }
}

pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() { child.to_string() } else { format!("{parent}.{child}") }
}

/// A scalar as the JSON type the schema walk chose for it.
fn typed_scalar(scalar: &MarkedScalarNode, json_type: &str) -> Value {
    let text = scalar.as_str();
    match json_type {
        "null" => Value::Null,
        "boolean" => Value::Bool(scalar.as_bool().unwrap_or_default()),
        "integer" => text.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        "number" => text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
        _ => Value::String(text.to_string()),
    }
}

fn node_is_null(scalar: &MarkedScalarNode) -> bool {
    scalar.may_coerce() && matches!(scalar.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

fn scalar_number(scalar: &MarkedScalarNode) -> Option<f64> {
    if !scalar.may_coerce() {
        return None;
    }
    scalar.as_str().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn node_is(node: &Node, json_type: &str) -> bool {
    match (node, json_type) {
        (Node::Mapping(_), "object") => true,
        (Node::Sequence(_), "array") => true,
        (Node::Scalar(s), "null") => node_is_null(s),
        (Node::Scalar(s), "boolean") => s.as_bool().is_some(),
        (Node::Scalar(s), "integer") => s.may_coerce() && s.as_str().parse::<i64>().is_ok(),
        (Node::Scalar(s), "number") => scalar_number(s).is_some(),
        (Node::Scalar(s), "string") => !node_is_null(s),
        _ => false,
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

fn scalar_matches_value(scalar: &MarkedScalarNode, value: &Value) -> bool {
    match value {
        Value::String(s) => scalar.as_str() == s,
        Value::Bool(b) => scalar.as_bool() == Some(*b),
        Value::Null => node_is_null(scalar),
        Value::Number(n) => scalar_number(scalar) == n.as_f64(),
        _ => false,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn describe_types(types: &[&str]) -> String {
    let words: Vec<&str> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "object" => "a mapping",
            "array" => "a list",
            "boolean" => "true or false",
            "integer" => "a whole number",
            "number" => "a number",
            "string" => "a text value",
            other => other,
        })
        .collect();
    let mut text = words.join(" or ");
    if types.contains(&"null") {
        text.push_str(" (or nothing)");
    }
    text
}

fn describe_schema(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| "another kind of value".into())
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub(crate) fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(word, c), strsim::jaro_winkler(word, c), c))
        .filter(|(distance, similarity, c)| *distance <= 2.max(c.len() / 3) || *similarity >= 0.88)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

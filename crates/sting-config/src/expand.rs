//! `${NAME}` in a config value is replaced by that environment variable, so one file can serve
//! several machines (`path: ${STING_TEST_MODEL}`). `$${` writes a literal `${`. An unset
//! variable is an error at its line, never an empty string.

use std::collections::BTreeMap;

use marked_yaml::Node;
use marked_yaml::types::MarkedScalarNode;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::document::Document;

/// Expands every scalar of the document in place; returns one diagnostic per unset variable.
pub(crate) fn expand(document: &mut Document, environment: &BTreeMap<String, String>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let file = document.file.clone();
    walk(&mut document.root, "", environment, &mut |key, scalar, message| {
        let at = scalar.span().start().map(|m| Location { file: file.clone(), line: m.line(), column: m.column() });
        problems.push(
            Diagnostic::new(Code::BadEnvironment, key, message)
                .at(at)
                .hint("set the variable before starting, or write the value itself"),
        );
    });
    problems
}

fn walk(
    node: &mut Node,
    key: &str,
    env: &BTreeMap<String, String>,
    report: &mut impl FnMut(&str, &MarkedScalarNode, String),
) {
    match node {
        Node::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                walk(v, &crate::validate::join(key, k.as_str()), env, report);
            }
        }
        Node::Sequence(seq) => {
            for (i, item) in seq.iter_mut().enumerate() {
                walk(item, &format!("{key}[{i}]"), env, report);
            }
        }
        Node::Scalar(scalar) => {
            if !scalar.as_str().contains('$') {
                return;
            }
            match substitute(scalar.as_str(), env) {
                Ok(text) => {
                    let coerce = scalar.may_coerce();
                    let mut replaced = MarkedScalarNode::new(*scalar.span(), text);
                    replaced.set_coerce(coerce);
                    *scalar = replaced;
                }
                Err(message) => report(key, scalar, message),
            }
        }
    }
}

fn substitute(text: &str, env: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(literal) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = literal;
        } else if let Some(body) = after.strip_prefix("${") {
            let end = body.find('}').ok_or_else(|| "`${` without a closing `}`".to_string())?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`${{{name}}}` is not a variable name"));
            }
            let value = env
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("environment variable {name} is not set"))?;
            out.push_str(value);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_and_dollar_dollar_escapes() {
        let env = BTreeMap::from([("A".to_string(), "/models".to_string())]);
        assert_eq!(substitute("${A}/x.gguf", &env).unwrap(), "/models/x.gguf");
        assert_eq!(substitute("cost $5 $${A}", &env).unwrap(), "cost $5 ${A}");
        assert_eq!(substitute("${B}", &env).unwrap_err(), "environment variable B is not set");
        assert!(substitute("${A", &env).is_err());
        assert!(substitute("${A-B}", &env).is_err());
    }
}

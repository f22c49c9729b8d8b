//! A config file as text plus its YAML tree with positions, so that every later step (validation,
//! semantic checks, migrations that edit text in place) can point at file, line and column.

use std::path::{Path, PathBuf};

use marked_yaml::{LoadError, LoaderOptions, Node};

use crate::diagnostic::{Code, Diagnostic, Location};

/// A parsed config file. The tree's top level is always a mapping.
#[derive(Clone, Debug)]
pub struct Document {
    pub file: PathBuf,
    pub text: String,
    pub root: Node,
}

impl Document {
    pub fn parse(file: &Path, text: &str) -> Result<Self, Diagnostic> {
        let location =
            |m: &marked_yaml::Marker| Location { file: file.to_path_buf(), line: m.line(), column: m.column() };
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return Err(Diagnostic::new(Code::MissingKey, "version", "the file is empty")
                .at(Some(Location { file: file.to_path_buf(), line: 1, column: 1 }))
                .hint("start from the documented default: `msting config show --defaults > config.yml`"));
        }
        // Quoted scalars stay text: `"443"` is not a port number, as in any YAML 1.2 reader.
        let options = LoaderOptions::default().error_on_duplicate_keys(true).prevent_coercion(true);
        let root = marked_yaml::parse_yaml_with_options(0, text, options).map_err(|e| match e {
            LoadError::DuplicateKey(inner) => Diagnostic::new(
                Code::DuplicateKey,
                inner.key.as_str(),
                format!(
                    "`{}` appears twice in the same mapping (first on line {})",
                    inner.key.as_str(),
                    inner.prev_key.span().start().map_or(0, |m| m.line())
                ),
            )
            .at(inner.key.span().start().map(location))
            .hint("keep one of them: YAML would otherwise silently use the last"),
            LoadError::TopLevelMustBeMapping(m) => {
                Diagnostic::new(Code::WrongType, "", "the file must be a mapping of sections (`key: value` lines)")
                    .at(Some(location(&m)))
            }
            LoadError::ScanError(m, scan) => {
                let detail = scan.to_string();
                let detail = detail.split(" at byte").next().unwrap_or(&detail).to_string();
                Diagnostic::new(Code::Syntax, "", format!("not valid YAML: {detail}"))
                    .at(Some(location(&m)))
                    .hint("check the indentation (spaces, not tabs) and quoting around this line")
            }
            LoadError::UnexpectedAnchor(m) => {
                Diagnostic::new(Code::Syntax, "", "YAML anchors and aliases are not supported in config.yml")
                    .at(Some(location(&m)))
                    .hint("write the value out where it is used")
            }
            LoadError::UnexpectedTag(m) => {
                Diagnostic::new(Code::Syntax, "", "YAML tags (`!name`) are not supported in config.yml")
                    .at(Some(location(&m)))
            }
            LoadError::MappingKeyMustBeScalar(m) => {
                Diagnostic::new(Code::Syntax, "", "keys must be plain names").at(Some(location(&m)))
            }
            LoadError::TopLevelMustBeSequence(m) => {
                Diagnostic::new(Code::Syntax, "", "unexpected document shape").at(Some(location(&m)))
            }
        })?;
        Ok(Self { file: file.to_path_buf(), text: text.to_string(), root })
    }

    /// The node at a key path such as `llm.models[1].name`.
    pub fn node(&self, path: &str) -> Option<&Node> {
        let mut node = &self.root;
        for part in split_path(path) {
            node = match part {
                PathPart::Key(k) => node.as_mapping()?.get_node(k)?,
                PathPart::Index(i) => node.as_sequence()?.get_node(i)?,
            };
        }
        Some(node)
    }

    /// Where a key path is written: the key itself for a mapping entry, the item for a list
    /// element, or, when the key is absent, the nearest ancestor that is present.
    pub fn location_of(&self, path: &str) -> Option<Location> {
        let parts = split_path(path);
        let mut node = &self.root;
        let mut best = node.span().start();
        for part in parts {
            match part {
                PathPart::Key(k) => {
                    let Some(map) = node.as_mapping() else { break };
                    let Some((key, value)) = map.iter().find(|(key, _)| key.as_str() == k) else { break };
                    best = key.span().start();
                    node = value;
                }
                PathPart::Index(i) => {
                    let Some(item) = node.as_sequence().and_then(|s| s.get_node(i)) else { break };
                    best = node_start(item);
                    node = item;
                }
            }
        }
        best.map(|m| Location { file: self.file.clone(), line: m.line(), column: m.column() })
    }
}

/// Where a node begins as a reader sees it. The parser marks a block mapping or list where its
/// first value starts, so ask the first key (or item) instead.
pub(crate) fn node_start(node: &Node) -> Option<&marked_yaml::Marker> {
    let first = match node {
        Node::Mapping(map) => map.keys().next().and_then(|k| k.span().start()),
        Node::Sequence(seq) => seq.first().and_then(node_start),
        Node::Scalar(_) => None,
    };
    first.or_else(|| node.span().start())
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PathPart<'a> {
    Key(&'a str),
    Index(usize),
}

pub(crate) fn split_path(path: &str) -> Vec<PathPart<'_>> {
    let mut parts = Vec::new();
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, mut rest) = segment.split_once('[').map_or((segment, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            parts.push(PathPart::Key(name));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                parts.push(PathPart::Index(i));
            }
            rest = after.trim_start_matches('[');
        }
    }
    parts
}

/// The key and value at a dotted `path` of mappings, as the YAML tree has them.
pub(crate) fn entry<'a>(root: &'a Node, path: &[&str]) -> Option<(&'a marked_yaml::types::MarkedScalarNode, &'a Node)> {
    let mut node = root;
    let mut found = None;
    for part in path {
        let (key, value) = node.as_mapping()?.iter().find(|(k, _)| k.as_str() == *part)?;
        found = Some((key, value));
        node = value;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_split_into_keys_and_indices() {
        assert_eq!(
            split_path("llm.models[1].name"),
            vec![PathPart::Key("llm"), PathPart::Key("models"), PathPart::Index(1), PathPart::Key("name")]
        );
    }

    #[test]
    fn locations_point_at_keys_and_fall_back_to_ancestors() {
        let doc =
            Document::parse(Path::new("c.yml"), "version: 1\nllm:\n  models:\n    - name: a\n      path: x\n").unwrap();
        let at = |p| doc.location_of(p).map(|l| (l.line, l.column));
        assert_eq!(at("llm.models[0].path"), Some((5, 7)));
        assert_eq!(at("llm.models[0]"), Some((4, 7)));
        assert_eq!(at("llm.queue_depth"), Some((2, 1)));
    }
}

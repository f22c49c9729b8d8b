//! Bringing an older config up to [`CURRENT_VERSION`] by editing its text in place, so that the
//! operator's comments and layout survive and the change reads as a small diff.
//!
//! Versions: 0 is the original STING-CE (Python) `config.yml`, which had no `version` key;
//! 1 is this rebuild's first schema. Each step is a function from one version's document to a
//! list of line edits plus notes for the operator about what could not be carried over.

use std::path::Path;

use marked_yaml::Node;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::document::{Document, entry};
use crate::load::{Overrides, load_str};
use crate::schema::CURRENT_VERSION;

/// The oldest version this build can migrate from.
pub const OLDEST_VERSION: u32 = 0;

/// The outcome of migrating one file. Nothing is written here: the caller shows [`Self::diff`]
/// and writes [`Self::new_text`] only with the operator's consent, and only if `problems` is
/// empty.
#[derive(Clone, Debug)]
pub struct Migration {
    pub from: u32,
    pub to: u32,
    pub old_text: String,
    pub new_text: String,
    /// What the operator should know: keys dropped or moved, and why.
    pub notes: Vec<String>,
    /// Problems the migrated file still has (keys no migration knows); empty when it is valid.
    pub problems: Option<Diagnostics>,
}

impl Migration {
    /// A unified diff of the change, labelled with the file name.
    pub fn diff(&self, file: &Path) -> String {
        let name = file.display().to_string();
        similar::TextDiff::from_lines(&self.old_text, &self.new_text)
            .unified_diff()
            .context_radius(2)
            .header(&format!("{name} (version {})", self.from), &format!("{name} (version {})", self.to))
            .to_string()
    }
}

/// Plans the migration of `text` to the current version; `Ok(None)` when it is already current.
pub fn migrate(file: &Path, text: &str) -> Result<Option<Migration>, Diagnostics> {
    let document = Document::parse(file, text).map_err(|d| Diagnostics::single(file, d))?;
    let version = read_version(&document).map_err(|d| Diagnostics::single(file, d))?;
    if version == CURRENT_VERSION {
        return Ok(None);
    }
    let mut current = text.to_string();
    let mut notes = Vec::new();
    for from in version..CURRENT_VERSION {
        let document = Document::parse(file, &current).map_err(|d| Diagnostics::single(file, d))?;
        let step = match from {
            0 => from_original(&document),
            _ => unreachable!("every version below CURRENT_VERSION has a step"),
        };
        notes.extend(step.notes);
        current = step.edits.apply(&current);
    }
    let problems = load_str(file, &current, &Overrides::default()).err();
    Ok(Some(Migration {
        from: version,
        to: CURRENT_VERSION,
        old_text: text.to_string(),
        new_text: current,
        notes,
        problems,
    }))
}

fn read_version(document: &Document) -> Result<u32, Diagnostic> {
    let Some(node) = document.root.as_mapping().and_then(|m| m.get_node("version")) else {
        return Ok(0);
    };
    let at = document.location_of("version");
    let version = node
        .as_scalar()
        .and_then(|s| s.as_str().parse::<u32>().ok())
        .ok_or_else(|| Diagnostic::new(Code::WrongType, "version", "expected a whole number").at(at.clone()))?;
    if version > CURRENT_VERSION {
        return Err(Diagnostic::new(
            Code::UnsupportedVersion,
            "version",
            format!("version {version} is newer than this build's {CURRENT_VERSION}: it cannot be migrated backwards"),
        )
        .at(at)
        .hint("use the msting that wrote it"));
    }
    Ok(version)
}

struct Step {
    edits: Edits,
    notes: Vec<String>,
}

/// Version 0 → 1: the original's `database.postgresql`, `app.flask`, `auth.kratos`,
/// `llm.models` and `observability` sections, as its architecture guide documents them.
fn from_original(doc: &Document) -> Step {
    let text = Text::new(&doc.text);
    let mut edits = Edits::default();
    let mut notes = Vec::new();

    // database.postgresql.{host,port,name,user} move up into database; the password does not.
    if let Some((pg_key, pg_value)) = entry(&doc.root, &["database", "postgresql"]) {
        let pg_indent = column(pg_key);
        let mut moved = Vec::new();
        if let Some(children) = pg_value.as_mapping() {
            for (child, _) in children.iter() {
                let block = text.block(line(child), column(child));
                match child.as_str() {
                    "host" | "port" | "name" | "user" => {
                        moved.extend(text.reindented(block, column(child) - pg_indent))
                    }
                    other => notes.push(format!(
                        "database.postgresql.{other}: removed; {}",
                        if other == "password" {
                            "the database password is generated and kept in Vault (`database.password` is a vault-ref)"
                        } else {
                            "no longer configurable"
                        }
                    )),
                }
            }
        }
        edits.replace(text.block(line(pg_key), pg_indent), moved);
        notes.push("database.postgresql: its host, port, name and user moved up into `database`".into());
    }

    // app.flask: stingd replaces the Flask app; nothing in it carries over as is.
    if let Some((app_key, app_value)) = entry(&doc.root, &["app"]) {
        edits.replace(text.block(line(app_key), column(app_key)), Vec::new());
        let mut dropped = Vec::new();
        collect_leaves(app_value, "app", &mut dropped);
        for key in dropped {
            let why = match key.rsplit('.').next().unwrap_or_default() {
                "secret_key" => "stingd generates its session keys once and keeps them in Vault",
                "port" => "stingd is the entry point now: see `services.stingd.https_port` and `http_port`",
                "debug" => "for verbose logs set `system.log_level: debug`",
                _ => "the Flask app is gone; stingd has no such setting",
            };
            notes.push(format!("{key}: removed; {why}"));
        }
    }

    // auth.kratos stays; using it is now an explicit choice of provider.
    if let Some((auth_key, auth_value)) = entry(&doc.root, &["auth"]) {
        let has_kratos = auth_value.as_mapping().is_some_and(|m| m.get_node("kratos").is_some());
        let has_provider = auth_value.as_mapping().is_some_and(|m| m.get_node("provider").is_some());
        if has_kratos && !has_provider {
            let indent = auth_value.as_mapping().and_then(|m| m.keys().next()).map_or(column(auth_key) + 2, column);
            edits.insert(line(auth_key) + 1, vec![format!("{}provider: kratos", " ".repeat(indent))]);
            notes.push("auth.provider: set to `kratos`, since the original signed in through Ory Kratos".into());
        }
    }

    // llm.models named Hugging Face services, not files: they cannot be carried over.
    if let Some((models_key, models_value)) = entry(&doc.root, &["llm", "models"]) {
        let without_path = models_value
            .as_sequence()
            .is_some_and(|s| s.iter().any(|m| m.as_mapping().is_some_and(|m| m.get_node("path").is_none())));
        if without_path {
            let names: Vec<String> = models_value
                .as_sequence()
                .into_iter()
                .flat_map(|s| s.iter())
                .filter_map(|m| m.as_mapping()?.get_scalar("name").map(|n| n.as_str().to_string()))
                .collect();
            remove_children(&text, &mut edits, &doc.root, &["llm"], |k| k == models_key.as_str());
            notes.push(format!(
                "llm.models: removed the original's model services ({}); list GGUF files under `llm.models` with `name` and `path` (the default serves `bee`)",
                names.join(", ")
            ));
        }
    }

    // The observability stack (Grafana, Loki, Promtail) is replaced by stingd's /metrics.
    const STACK: [&str; 5] = ["enabled", "profiles", "grafana", "loki", "promtail"];
    for key in remove_children(&text, &mut edits, &doc.root, &["observability"], |k| STACK.contains(&k)) {
        notes.push(format!(
            "observability.{key}: removed; metrics come from stingd's /metrics (`observability.metrics`, `observability.prometheus`)"
        ));
    }

    let first_content = text.lines.iter().position(|l| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    });
    edits.insert(first_content.unwrap_or(0), vec![format!("version: {}", 1)]);
    Step { edits, notes }
}

/// Removes the children of a mapping that `doomed` selects, or the whole mapping when none
/// would be left (an empty section would read as `null`). Returns the removed keys.
fn remove_children(
    text: &Text,
    edits: &mut Edits,
    root: &Node,
    path: &[&str],
    doomed: impl Fn(&str) -> bool,
) -> Vec<String> {
    let Some((parent_key, parent)) = entry(root, path) else { return Vec::new() };
    let Some(map) = parent.as_mapping() else { return Vec::new() };
    let removed: Vec<_> = map.keys().filter(|k| doomed(k.as_str())).collect();
    if removed.len() == map.len() {
        edits.replace(text.block(line(parent_key), column(parent_key)), Vec::new());
    } else {
        for key in &removed {
            edits.replace(text.block(line(key), column(key)), Vec::new());
        }
    }
    removed.iter().map(|k| k.as_str().to_string()).collect()
}

/// The key node and value of a path of mapping keys.
fn collect_leaves(node: &Node, prefix: &str, out: &mut Vec<String>) {
    match node.as_mapping() {
        Some(map) if !map.is_empty() => {
            for (k, v) in map.iter() {
                collect_leaves(v, &format!("{prefix}.{}", k.as_str()), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// 0-based line of a key.
fn line(key: &marked_yaml::types::MarkedScalarNode) -> usize {
    key.span().start().map_or(0, |m| m.line() - 1)
}

/// 0-based column (its indentation) of a key.
fn column(key: &marked_yaml::types::MarkedScalarNode) -> usize {
    key.span().start().map_or(0, |m| m.column() - 1)
}

/// The file's lines, and where each mapping entry's block of lines begins and ends.
struct Text<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Self {
        Self { lines: text.lines().collect() }
    }

    /// Lines `[start, end)` of the entry whose key is at `key_line`/`indent`: the comments
    /// directly above it, the key, and everything indented deeper (or a list at the same depth).
    /// A comment that runs up to the first line is the file's header, not the key's.
    fn block(&self, key_line: usize, indent: usize) -> (usize, usize) {
        let mut start = key_line;
        while start > 0 {
            let above = self.lines[start - 1];
            let trimmed = above.trim_start();
            if trimmed.starts_with('#') && above.len() - trimmed.len() == indent {
                start -= 1;
            } else {
                break;
            }
        }
        if start == 0 {
            start = key_line;
        }
        let mut last = key_line;
        for (i, l) in self.lines.iter().enumerate().skip(key_line + 1) {
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let depth = l.len() - trimmed.len();
            if depth > indent || (depth == indent && (trimmed.starts_with("- ") || trimmed == "-")) {
                last = i;
            } else {
                break;
            }
        }
        (start, last + 1)
    }

    /// The block's lines with `by` columns of indentation taken off.
    fn reindented(&self, (start, end): (usize, usize), by: usize) -> Vec<String> {
        self.lines[start..end]
            .iter()
            .map(|l| {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                l[spaces.min(by)..].to_string()
            })
            .collect()
    }
}

/// Line replacements on the original text, applied together.
#[derive(Default)]
struct Edits {
    /// (start, end, replacement): lines `[start, end)` become `replacement`.
    changes: Vec<(usize, usize, Vec<String>)>,
}

impl Edits {
    fn replace(&mut self, (start, end): (usize, usize), lines: Vec<String>) {
        self.changes.push((start, end, lines));
    }

    fn insert(&mut self, at: usize, lines: Vec<String>) {
        self.changes.push((at, at, lines));
    }

    fn apply(mut self, text: &str) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Bottom-up, so earlier positions stay valid; at one position, the replacement goes
        // first and the insertion then lands in front of it.
        self.changes.sort_by(|a, b| b.0.cmp(&a.0).then((a.0 == a.1).cmp(&(b.0 == b.1))));
        for pair in self.changes.windows(2) {
            let (later, earlier) = (&pair[0], &pair[1]);
            assert!(
                earlier.1 <= later.0 || earlier.0 == later.0,
                "migration edits overlap: {:?} and {:?}",
                earlier.0..earlier.1,
                later.0..later.1
            );
        }
        for (start, end, replacement) in self.changes {
            lines.splice(start..end.min(lines.len()), replacement);
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

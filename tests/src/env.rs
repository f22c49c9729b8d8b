//! The real components a test needs, located through the variables `tests/env/setup.sh` prints.
//! A missing one fails the test with the command that installs it; nothing is skipped.

use std::path::{Path, PathBuf};

/// A component prepared by `tests/env/setup.sh`, and the variable that locates it.
#[derive(Clone, Copy, Debug)]
pub enum Component {
    LlamaServer,
    TestModel,
    /// The all-MiniLM-L6-v2 folder (config, tokenizer, safetensors).
    EmbeddingModel,
    Bao,
    BaseImage,
    Postgres,
    Redis,
    Pebble,
    Age,
    /// A Python with the official `openai` client installed.
    Python,
    /// The schemathesis command (API fuzzing from an OpenAPI document).
    Schemathesis,
    /// Chromium, driven headless.
    Chromium,
    /// chromedriver, Chromium's WebDriver server (the same version).
    Chromedriver,
    /// axe-core's browser bundle (`axe.min.js`, from npm, pinned in `tests/env/axe/`).
    Axe,
}

impl Component {
    pub fn var(self) -> &'static str {
        match self {
            Self::LlamaServer => "STING_LLAMA_SERVER",
            Self::TestModel => "STING_TEST_MODEL",
            Self::EmbeddingModel => "STING_TEST_EMBEDDING_MODEL",
            Self::Bao => "STING_BAO",
            Self::BaseImage => "STING_BASE_IMAGE",
            Self::Postgres => "STING_PG_URL",
            Self::Redis => "STING_REDIS_URL",
            Self::Pebble => "STING_PEBBLE",
            Self::Age => "STING_AGE",
            Self::Python => "STING_PYTHON",
            Self::Schemathesis => "STING_SCHEMATHESIS",
            Self::Chromium => "STING_CHROMIUM",
            Self::Chromedriver => "STING_CHROMEDRIVER",
            Self::Axe => "STING_AXE",
        }
    }

    /// Whether the value names a file (or folder) that must exist.
    fn is_file(self) -> bool {
        matches!(
            self,
            Self::LlamaServer
                | Self::TestModel
                | Self::EmbeddingModel
                | Self::Bao
                | Self::Pebble
                | Self::Age
                | Self::Python
                | Self::Schemathesis
                | Self::Chromium
                | Self::Chromedriver
                | Self::Axe
        )
    }
}

/// The folder of the package whose test is running, read when the test runs. Not
/// `env!("CARGO_MANIFEST_DIR")`: the target directory is shared between clones, so a path
/// compiled in may name a clone that is gone.
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR for tests")
}

/// The value of a component's variable; panics with what to run when it is missing.
pub fn require(component: Component) -> String {
    require_from(component, |var| std::env::var(var).ok())
}

fn require_from(component: Component, lookup: impl Fn(&str) -> Option<String>) -> String {
    let var = component.var();
    let how = "run the test set-up first: `eval \"$(sudo tests/env/setup.sh)\"` (or use tests/run.sh, which does it)";
    let value = lookup(var).unwrap_or_default();
    if value.is_empty() {
        panic!("{var} is not set: this test needs a real component. {how}");
    }
    if component.is_file() && !Path::new(&value).exists() {
        panic!("{var}={value} does not exist. {how}");
    }
    value
}

pub fn require_path(component: Component) -> PathBuf {
    PathBuf::from(require(component))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panic_message(f: impl FnOnce() -> String + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(f).expect_err("a missing component must fail the test");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_missing_component_fails_with_the_command_that_installs_it() {
        let unset = panic_message(|| require_from(Component::Bao, |_| None));
        assert!(unset.contains("STING_BAO is not set") && unset.contains("tests/env/setup.sh"), "{unset}");
        let gone = panic_message(|| require_from(Component::TestModel, |_| Some("/nonexistent/model.gguf".into())));
        assert!(
            gone.contains("/nonexistent/model.gguf does not exist") && gone.contains("tests/env/setup.sh"),
            "{gone}"
        );
    }
}

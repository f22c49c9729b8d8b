//! Bee, the assistant that answers from Honey Jars: conversations sealed like documents, each
//! question answered from the best passages the asker may read (`documents::retrieve`, which
//! decides access in the database), through the gateway's own path to the model, so remote
//! models get redacted requests exactly as direct clients do.

pub mod api;
pub mod conversations;
pub mod prompt;
pub mod upstream;

use std::collections::HashMap;

/// Bee's settings (`bee`, `pii.chat`) and each model's window.
pub struct BeeRules {
    pub persona: String,
    pub model: Option<String>,
    pub sources: u32,
    pub answer_tokens: u32,
    /// Tokens one request may use, by model name and alias.
    pub windows: HashMap<String, u32>,
    pub chat_pii: sting_config::ChatPiiMode,
}

/// The window assumed for a model stingd knows nothing of.
const UNKNOWN_WINDOW: u32 = 2048;

impl BeeRules {
    pub fn from_config(config: &sting_config::Config) -> Self {
        let mut windows = HashMap::new();
        for model in &config.llm.models {
            // llama-server splits its context between its parallel slots.
            let window = if model.remote.is_some() { model.context } else { model.context / model.parallel.max(1) };
            for name in std::iter::once(&model.name).chain(&model.aliases) {
                windows.insert(name.clone(), window);
            }
        }
        Self {
            persona: config.bee.persona.clone(),
            model: config.bee.model.clone(),
            sources: config.bee.sources,
            answer_tokens: config.bee.answer_tokens,
            windows,
            chat_pii: config.pii.chat,
        }
    }

    pub fn window(&self, model: &str) -> u32 {
        self.windows.get(model).copied().unwrap_or(UNKNOWN_WINDOW)
    }
}

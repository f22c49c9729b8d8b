//! The `llm` section as the supervisor sees it: the models, the llama-server binary, the
//! confining launcher and the memory budget.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use sting_config::{Config, GpuLayers};

use crate::supervisor::{ChildSpec, ModelConfig, RemoteConfig, RestartPolicy, SupervisorConfig};

/// The supervisor's view of the `llm` section.
pub fn supervisor_config(config: &Config) -> anyhow::Result<SupervisorConfig> {
    let binary = llama_server_binary(config.llm.llama_server.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    // Children start through this binary's `sandbox-exec`, which confines them: without it
    // they do not start at all.
    let launcher = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find stingd's own binary to confine models: {e}"))?;
    let models = config
        .llm
        .models
        .iter()
        .map(|m| ModelConfig {
            remote: m.remote.as_ref().map(|r| RemoteConfig {
                base_url: r.base_url.clone(),
                model: r.model.clone(),
                allowed: m.allow_remote,
                api_key: None,
            }),
            name: m.name.clone(),
            aliases: m.aliases.clone(),
            spec: ChildSpec {
                name: m.name.clone(),
                binary: binary.clone(),
                model: m.path.clone(),
                context: m.context,
                parallel: m.parallel,
                threads: m.threads.unwrap_or(cores),
                // `auto` is decided when the model is checked (see `gpu::auto_layers`).
                gpu_layers: match m.gpu_layers {
                    GpuLayers::Auto => 0,
                    GpuLayers::Count(n) => n,
                },
                embeddings: m.embeddings,
                launcher: launcher.clone(),
                unconfined: config.system.unconfined_children,
                pooling: None,
            },
            sha256: m.sha256.clone(),
            idle_ttl: m.idle_ttl.as_std(),
            pinned: m.pinned,
            replicas: m.replicas,
            auto_gpu_layers: m.gpu_layers == GpuLayers::Auto,
        })
        .collect();
    Ok(SupervisorConfig {
        models,
        queue_depth: config.llm.queue_depth,
        memory_budget: config.llm.memory_budget.map_or_else(detect_memory_budget, |b| b.bytes()),
        restart: RestartPolicy::default(),
        load_timeout: Duration::from_secs(120),
    })
}

/// The config's binary, else `STING_LLAMA_SERVER`, else `llama-server` on the PATH.
fn llama_server_binary(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let candidate = configured
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("STING_LLAMA_SERVER").map(PathBuf::from))
        .or_else(|| {
            std::env::var_os("PATH")
                .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("llama-server")).find(|p| p.is_file()))
        });
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => {
            bail!("llama-server not found at {}: set `llm.llama_server` or STING_LLAMA_SERVER", path.display())
        }
        None => bail!("llama-server not found: set `llm.llama_server` in the config, or STING_LLAMA_SERVER"),
    }
}

/// What this host (or this container's cgroup) allows, less a quarter for everything else.
fn detect_memory_budget() -> u64 {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let host = system.total_memory();
    let limit = system.cgroup_limits().map_or(host, |c| c.total_memory.min(host));
    limit / 4 * 3
}

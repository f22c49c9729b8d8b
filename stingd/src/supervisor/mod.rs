//! The inference supervisor: the one owner of every model process's state.
//!
//! As in Ollama's scheduler, a single task owns all state; everything else talks to it through a
//! channel ([`Supervisor`] is the cheap, cloneable handle). A request asks for a [`Lease`] on a
//! model: the supervisor loads the model if needed (within the memory budget, evicting the least
//! recently used idle model, never a busy one), picks the replica with the fewest outstanding
//! requests and one of its llama-server slots for the caller (see [`slots`]: no caller's prompt
//! cache serves another), and counts the lease until it is dropped; with every slot busy, the
//! request waits its turn here. Crashed children restart with exponential
//! backoff and jitter; a crash loop puts the model in `failed`, with the exit status and the tail
//! of its stderr, and requests for it get a clear error instead of waiting.

mod backoff;
mod child;
mod slots;
mod spawn;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

pub use backoff::RestartPolicy;
use backoff::{CrashHistory, Verdict};
pub use child::ChildSpec;
use child::{ChildEvent, RunningChild};
use slots::Slots;
pub use slots::Taken as SlotLease;
use spawn::Spawner;

/// One configured model.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub name: String,
    pub aliases: Vec<String>,
    pub spec: ChildSpec,
    /// Served by a server off this machine instead of a local process.
    pub remote: Option<RemoteConfig>,
    pub sha256: Option<String>,
    pub idle_ttl: Duration,
    pub pinned: bool,
    pub replicas: u32,
    /// `gpu_layers: auto`: decided from the GPU's free memory when the model is checked.
    pub auto_gpu_layers: bool,
}

/// An OpenAI-compatible server elsewhere. Used only when `allowed`; never a silent fallback.
#[derive(Clone, Debug)]
pub struct RemoteConfig {
    /// Up to and without `/v1`, as `https://api.example.com`.
    pub base_url: String,
    /// The name the remote server knows the model by, if it differs.
    pub model: Option<String>,
    pub allowed: bool,
    /// The key the remote server wants (from Vault), sent as a bearer token.
    pub api_key: Option<Arc<str>>,
}

#[derive(Clone, Debug)]
pub struct SupervisorConfig {
    pub models: Vec<ModelConfig>,
    /// Requests that may wait per model beyond its parallel slots.
    pub queue_depth: u32,
    /// Bytes the loaded models may use together.
    pub memory_budget: u64,
    pub restart: RestartPolicy,
    /// How long a model may take to become ready.
    pub load_timeout: Duration,
}

/// Why a request cannot have a model now. Each maps to a clear HTTP answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AcquireError {
    #[error("the model `{name}` does not exist; available: {known}")]
    UnknownModel { name: String, known: String },
    #[error("the model `{model}` has failed: {reason}")]
    Failed { model: String, reason: String },
    #[error("the model `{model}` is unavailable: {reason}")]
    Unavailable { model: String, reason: String, retry_after: Duration },
    #[error("the model `{model}` is busy: {waiting} requests are already waiting")]
    QueueFull { model: String, waiting: u32, retry_after: Duration },
    #[error(
        "the model `{model}` is served off this machine, and sending requests there is not allowed (set `allow_remote: true` for it to permit it)"
    )]
    RemoteNotAllowed { model: String },
    #[error("stingd is shutting down")]
    ShuttingDown,
}

/// The right to send one request to one model process. Dropping it tells the supervisor the
/// request is over (for least-outstanding routing, idle timing and eviction).
pub struct Lease {
    pub base_url: String,
    /// The child's key; none for a remote server (its credentials arrive with Vault).
    pub api_key: Option<Arc<str>>,
    pub model: Arc<str>,
    /// Set when the request leaves the machine: what to call the model there.
    pub remote: Option<RemoteLease>,
    /// The llama-server slot to pin the request to (`id_slot`), and whether its prompt cache
    /// is the caller's own; `None` for a remote model or a request that cannot be pinned.
    pub slot: Option<SlotLease>,
    /// llama-server answered from the slot (see [`Lease::mark_served`]).
    served: bool,
    release: Option<(mpsc::UnboundedSender<Msg>, usize, Slot, u64)>,
}

impl Lease {
    /// llama-server has taken the request's prompt into its slot (it answered, or streamed a
    /// first chunk): from now on the slot holds this caller's prompt. A lease dropped without
    /// this leaves the slot nobody's.
    pub fn mark_served(&mut self) {
        self.served = true;
    }
}

/// Whose request a lease is for, as far as llama-server's prompt cache goes.
#[derive(Clone, Debug)]
pub enum CacheOwner {
    /// A caller (a user, an API key): the request is pinned to a slot, and reuses the slot's
    /// prompt cache only if it was this caller's.
    Caller(Arc<str>),
    /// A request llama-server spreads over slots itself (embeddings): it takes a place, and
    /// afterwards no slot's cache is taken to be anyone's.
    Unpinned,
}

#[derive(Clone, Debug)]
pub struct RemoteLease {
    pub model: Option<String>,
}

/// What a lease holds: a local replica, or a place in a remote model's queue.
#[derive(Clone, Debug)]
enum Slot {
    /// `caller` is `None` for an unpinned request.
    Replica {
        replica: usize,
        slot: u32,
        caller: Option<Arc<str>>,
    },
    Remote,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some((tx, model, slot, generation)) = self.release.take() {
            let _ = tx.send(Msg::Release { model, slot, generation, served: self.served });
        }
    }
}

/// Where a model is in its life, as `/v1/models`, metrics and the status report show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    Unloaded,
    Loading,
    Loaded,
    Restarting,
    Failed,
    /// Served by a remote server: no process here.
    Remote,
}

impl ModelState {
    /// The states of a model served here (what the metrics' one-hot gauge lists).
    pub const LOCAL: [Self; 5] = [Self::Unloaded, Self::Loading, Self::Loaded, Self::Restarting, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unloaded => "unloaded",
            Self::Loading => "loading",
            Self::Loaded => "loaded",
            Self::Restarting => "restarting",
            Self::Failed => "failed",
            Self::Remote => "remote",
        }
    }
}

/// What `/v1/models` shows of a model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub aliases: Vec<String>,
    pub state: ModelState,
    pub pinned: bool,
    pub path: PathBuf,
    pub memory_estimate: Option<u64>,
    /// Requests waiting for the model to load.
    pub waiting: u32,
    pub replicas: Vec<ReplicaStatus>,
    pub failure: Option<Failure>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicaStatus {
    pub state: &'static str,
    pub pid: Option<u32>,
    /// How the process is confined, as its launcher reported.
    pub sandbox: Option<String>,
    pub outstanding: u32,
    pub restarts: u64,
    pub last_exit: Option<String>,
}

/// Why a model is in `failed`.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub reason: String,
    pub exit_status: Option<String>,
    pub stderr_tail: String,
    /// Seconds since the Unix epoch.
    pub since: u64,
}

impl ModelStatus {
    /// What anyone who may use the model sees: its name, state and load. The path, the pids,
    /// the sandbox, exit statuses and llama-server's stderr (which can echo what others sent)
    /// are for the operator.
    pub fn public(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "aliases": self.aliases,
            "state": self.state,
            "pinned": self.pinned,
            "waiting": self.waiting,
            "replicas": self.replicas.iter().map(|r| serde_json::json!({ "state": r.state, "outstanding": r.outstanding })).collect::<Vec<_>>(),
            "failure": self.failure.as_ref().map(|f| serde_json::json!({ "reason": "the model failed: an admin can see why", "since": f.since })),
        })
    }
}

#[derive(Clone)]
pub struct Supervisor {
    tx: mpsc::UnboundedSender<Msg>,
}

enum Msg {
    Acquire { model: String, owner: CacheOwner, reply: oneshot::Sender<Result<Lease, AcquireError>> },
    Release { model: usize, slot: Slot, generation: u64, served: bool },
    Child { model: usize, replica: usize, generation: u64, event: ChildEvent },
    Checked { model: usize, result: Result<Checked, sting_models::GgufError> },
    Restart { model: usize, replica: usize, generation: u64 },
    Status { reply: oneshot::Sender<Vec<ModelStatus>> },
    Shutdown { reply: oneshot::Sender<()> },
}

impl Supervisor {
    /// Starts the owner task (and the thread that spawns children). Pinned models load now.
    pub fn start(config: SupervisorConfig, client: reqwest::Client) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let spawner = Spawner::start()?;
        let models = config.models.iter().cloned().map(Model::new).collect();
        let owner = Owner { config, models, tx: tx.clone(), spawner, client, shutting_down: false };
        tokio::spawn(owner.run(rx));
        Ok(Self { tx })
    }

    pub async fn acquire(&self, model: &str, owner: CacheOwner) -> Result<Lease, AcquireError> {
        let (reply, answer) = oneshot::channel();
        let msg = Msg::Acquire { model: model.to_string(), owner, reply };
        self.tx.send(msg).map_err(|_| AcquireError::ShuttingDown)?;
        answer.await.map_err(|_| AcquireError::ShuttingDown)?
    }

    pub async fn status(&self) -> Vec<ModelStatus> {
        let (reply, answer) = oneshot::channel();
        if self.tx.send(Msg::Status { reply }).is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Stops every child and waits for them to exit.
    pub async fn shutdown(&self) {
        let (reply, answer) = oneshot::channel();
        if self.tx.send(Msg::Shutdown { reply }).is_ok() {
            let _ = answer.await;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplicaState {
    Stopped,
    Starting { since: Instant },
    Ready,
    Backoff { until: Instant },
}

struct Replica {
    state: ReplicaState,
    generation: u64,
    child: Option<RunningChild>,
    outstanding: u32,
    /// The process's slots: which are busy, whose prompt each holds.
    slots: Slots,
    crashes: CrashHistory,
    restarts: u64,
    last_exit: Option<String>,
}

#[derive(Debug)]
enum Check {
    Unchecked,
    Checking,
    Passed { estimate: u64 },
}

struct Waiter {
    since: Instant,
    owner: CacheOwner,
    reply: oneshot::Sender<Result<Lease, AcquireError>>,
}

struct Model {
    config: ModelConfig,
    name: Arc<str>,
    replicas: Vec<Replica>,
    waiters: VecDeque<Waiter>,
    check: Check,
    failure: Option<Failure>,
    last_used: Instant,
    remote_outstanding: u32,
}

impl Model {
    fn new(config: ModelConfig) -> Self {
        let local_replicas = if config.remote.is_some() { 0 } else { config.replicas.max(1) };
        let replicas = (0..local_replicas)
            .map(|_| Replica {
                state: ReplicaState::Stopped,
                generation: 0,
                child: None,
                outstanding: 0,
                slots: Slots::new(config.spec.parallel),
                crashes: CrashHistory::default(),
                restarts: 0,
                last_exit: None,
            })
            .collect();
        Self {
            name: config.name.as_str().into(),
            config,
            replicas,
            waiters: VecDeque::new(),
            check: Check::Unchecked,
            failure: None,
            last_used: Instant::now(),
            remote_outstanding: 0,
        }
    }

    fn answers_to(&self, name: &str) -> bool {
        self.config.name == name || self.config.aliases.iter().any(|a| a == name)
    }

    fn outstanding(&self) -> u32 {
        self.replicas.iter().map(|r| r.outstanding).sum::<u32>() + self.remote_outstanding
    }

    fn is_running(&self) -> bool {
        self.replicas.iter().any(|r| r.state != ReplicaState::Stopped)
    }

    fn is_loading(&self) -> bool {
        matches!(self.check, Check::Checking)
            || self.replicas.iter().any(|r| matches!(r.state, ReplicaState::Starting { .. }))
    }

    fn estimate(&self) -> u64 {
        match self.check {
            Check::Passed { estimate } => estimate * u64::from(self.config.replicas.max(1)),
            _ => 0,
        }
    }

    /// Requests that may be in flight or waiting before new ones are refused.
    fn capacity(&self, queue_depth: u32) -> u32 {
        self.config.spec.parallel * self.config.replicas.max(1) + queue_depth
    }

    fn state(&self) -> ModelState {
        if self.config.remote.is_some() {
            ModelState::Remote
        } else if self.failure.is_some() {
            ModelState::Failed
        } else if self.replicas.iter().any(|r| r.state == ReplicaState::Ready) {
            ModelState::Loaded
        } else if self.is_loading() {
            ModelState::Loading
        } else if self.replicas.iter().any(|r| matches!(r.state, ReplicaState::Backoff { .. })) {
            ModelState::Restarting
        } else {
            ModelState::Unloaded
        }
    }
}

struct Owner {
    config: SupervisorConfig,
    models: Vec<Model>,
    tx: mpsc::UnboundedSender<Msg>,
    spawner: Spawner,
    client: reqwest::Client,
    shutting_down: bool,
}

impl Owner {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        for i in 0..self.models.len() {
            if self.models[i].config.pinned && self.models[i].config.remote.is_none() {
                self.begin_load(i).await;
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let mut shutdown_reply: Option<oneshot::Sender<()>> = None;
        let mut shutdown_deadline = None;
        loop {
            tokio::select! {
                msg = rx.recv() => {
                    let Some(msg) = msg else { break };
                    if let Msg::Shutdown { reply } = msg {
                        self.shutting_down = true;
                        self.stop_all();
                        shutdown_reply = Some(reply);
                        shutdown_deadline = Some(Instant::now() + Duration::from_secs(5));
                    } else {
                        self.handle(msg).await;
                    }
                }
                _ = tick.tick() => self.on_tick().await,
            }
            if let Some(deadline) = shutdown_deadline {
                let all_gone = self.models.iter().all(|m| m.replicas.iter().all(|r| r.child.is_none()));
                if all_gone || Instant::now() > deadline {
                    if let Some(reply) = shutdown_reply.take() {
                        let _ = reply.send(());
                    }
                    break;
                }
            }
        }
    }

    async fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Acquire { model, owner, reply } => self.acquire(&model, owner, reply).await,
            Msg::Release { model, slot, generation, served } => {
                let m = &mut self.models[model];
                match slot {
                    Slot::Replica { replica, slot, caller } => {
                        let r = &mut m.replicas[replica];
                        if r.generation == generation {
                            r.outstanding = r.outstanding.saturating_sub(1);
                            r.slots.release(slot, caller.as_ref(), served);
                            if caller.is_none() {
                                r.slots.forget_holders();
                            }
                        }
                    }
                    Slot::Remote => m.remote_outstanding = m.remote_outstanding.saturating_sub(1),
                }
                m.last_used = Instant::now();
                // A slot is free: the longest waiting request gets it.
                self.serve_waiters(model);
            }
            Msg::Child { model, replica, generation, event } => self.on_child(model, replica, generation, event).await,
            Msg::Checked { model, result } => self.on_checked(model, result).await,
            Msg::Restart { model, replica, generation } => {
                let r = &self.models[model].replicas[replica];
                if r.generation == generation && matches!(r.state, ReplicaState::Backoff { .. }) && !self.shutting_down
                {
                    self.start_replica(model, replica).await;
                }
            }
            Msg::Status { reply } => {
                let _ = reply.send(self.status());
            }
            Msg::Shutdown { .. } => unreachable!("handled in run"),
        }
    }

    async fn acquire(&mut self, name: &str, owner: CacheOwner, reply: oneshot::Sender<Result<Lease, AcquireError>>) {
        if self.shutting_down {
            let _ = reply.send(Err(AcquireError::ShuttingDown));
            return;
        }
        let Some(i) = self.models.iter().position(|m| m.answers_to(name)) else {
            let known = self.models.iter().map(|m| m.config.name.as_str()).collect::<Vec<_>>().join(", ");
            let _ = reply.send(Err(AcquireError::UnknownModel { name: name.to_string(), known }));
            return;
        };
        let queue_depth = self.config.queue_depth;
        let m = &mut self.models[i];
        if let Some(failure) = &m.failure {
            let _ =
                reply.send(Err(AcquireError::Failed { model: m.config.name.clone(), reason: failure.reason.clone() }));
            return;
        }
        // Requests whose client has left hold no place in the queue.
        m.waiters.retain(|w| !w.reply.is_closed());
        let waiting = m.outstanding() + m.waiters.len() as u32;
        if waiting >= m.capacity(queue_depth) {
            let _ = reply.send(Err(AcquireError::QueueFull {
                model: m.config.name.clone(),
                waiting,
                retry_after: Duration::from_secs(1),
            }));
            return;
        }
        m.last_used = Instant::now();
        if let Some(remote) = &m.config.remote {
            let result = if remote.allowed {
                m.remote_outstanding += 1;
                Ok(Lease {
                    base_url: remote.base_url.trim_end_matches('/').to_string(),
                    api_key: remote.api_key.clone(),
                    model: m.name.clone(),
                    remote: Some(RemoteLease { model: remote.model.clone() }),
                    slot: None,
                    served: false,
                    release: Some((self.tx.clone(), i, Slot::Remote, 0)),
                })
            } else {
                Err(AcquireError::RemoteNotAllowed { model: m.config.name.clone() })
            };
            let _ = reply.send(result);
            return;
        }
        // Those already waiting go first.
        if self.models[i].waiters.is_empty() {
            if let Some(lease) = self.lease(i, &owner) {
                let _ = reply.send(Ok(lease));
                return;
            }
        }
        let m = &mut self.models[i];
        let backoff = m.replicas.iter().filter_map(|r| match r.state {
            ReplicaState::Backoff { until } => Some(until),
            _ => None,
        });
        if !m.is_loading() {
            if let Some(until) = backoff.min() {
                let _ = reply.send(Err(AcquireError::Unavailable {
                    model: m.config.name.clone(),
                    reason: format!(
                        "it is restarting after a crash ({})",
                        m.replicas.iter().find_map(|r| r.last_exit.clone()).unwrap_or_default()
                    ),
                    retry_after: until.saturating_duration_since(Instant::now()).max(Duration::from_secs(1)),
                }));
                return;
            }
        }
        m.waiters.push_back(Waiter { since: Instant::now(), owner, reply });
        if !self.models[i].is_running() && !self.models[i].is_loading() {
            self.begin_load(i).await;
        }
    }

    /// A lease on a free slot of a ready replica, if there is one: the replica where the
    /// caller's prompt is cached, else the one with the fewest outstanding requests.
    fn lease(&mut self, i: usize, owner: &CacheOwner) -> Option<Lease> {
        let m = &mut self.models[i];
        let (r, replica) = m
            .replicas
            .iter_mut()
            .enumerate()
            .filter(|(_, r)| r.state == ReplicaState::Ready && r.child.is_some() && r.slots.free() > 0)
            .min_by_key(|(_, r)| {
                let warm = matches!(owner, CacheOwner::Caller(caller) if r.slots.holds_free(caller));
                (!warm, r.outstanding)
            })?;
        let child = replica.child.as_ref()?;
        let (slot, id, caller) = match owner {
            CacheOwner::Caller(caller) => {
                let taken = replica.slots.take(caller)?;
                (Some(taken), taken.id, Some(caller.clone()))
            }
            CacheOwner::Unpinned => (None, replica.slots.take_unpinned()?, None),
        };
        replica.outstanding += 1;
        m.last_used = Instant::now();
        Some(Lease {
            base_url: format!("http://127.0.0.1:{}", child.port),
            api_key: Some(child.api_key.clone()),
            model: m.name.clone(),
            remote: None,
            slot,
            served: false,
            release: Some((self.tx.clone(), i, Slot::Replica { replica: r, slot: id, caller }, replica.generation)),
        })
    }

    /// Serves waiting requests from ready replicas; waiters whose client left are dropped.
    fn serve_waiters(&mut self, i: usize) {
        while let Some(waiter) = self.models[i].waiters.pop_front() {
            if waiter.reply.is_closed() {
                continue;
            }
            match self.lease(i, &waiter.owner) {
                Some(lease) => {
                    let _ = waiter.reply.send(Ok(lease));
                }
                None => {
                    self.models[i].waiters.push_front(waiter);
                    break;
                }
            }
        }
    }

    fn fail_waiters(&mut self, i: usize, error: AcquireError) {
        for waiter in self.models[i].waiters.drain(..) {
            let _ = waiter.reply.send(Err(error.clone()));
        }
    }

    /// Loads a model: check its file once (GGUF header, checksum), make room within the
    /// budget, then start every replica.
    async fn begin_load(&mut self, i: usize) {
        match self.models[i].check {
            Check::Checking => return,
            Check::Unchecked => {
                self.models[i].check = Check::Checking;
                let config = self.models[i].config.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = check_model_file(&config);
                    let _ = tx.send(Msg::Checked { model: i, result });
                });
                return;
            }
            Check::Passed { .. } => {}
        }
        if let Err(no_room) = self.make_room(i) {
            let name = self.models[i].config.name.clone();
            self.fail_waiters(
                i,
                AcquireError::Unavailable {
                    model: name,
                    reason: no_room.to_string(),
                    retry_after: Duration::from_secs(5),
                },
            );
            return;
        }
        for r in 0..self.models[i].replicas.len() {
            if self.models[i].replicas[r].state == ReplicaState::Stopped {
                self.start_replica(i, r).await;
            }
        }
    }

    async fn on_checked(&mut self, i: usize, result: Result<Checked, sting_models::GgufError>) {
        match result {
            Ok(checked) => {
                let spec = &mut self.models[i].config.spec;
                if spec.embeddings && !checked.declares_pooling {
                    // A generative model used for embeddings: average its token vectors.
                    spec.pooling = Some("mean");
                }
                if let Some(layers) = checked.gpu_layers {
                    spec.gpu_layers = layers;
                }
                self.models[i].check = Check::Passed { estimate: checked.estimate };
                self.begin_load(i).await;
            }
            Err(error) => {
                self.models[i].check = Check::Unchecked;
                self.mark_failed(i, error.to_string(), None, String::new());
            }
        }
    }

    /// Evicts least recently used idle models until model `i` fits in the memory budget.
    fn make_room(&mut self, i: usize) -> Result<(), NoRoom> {
        let budget = self.config.memory_budget;
        let need = self.models[i].estimate();
        let in_use = |models: &[Model]| models.iter().filter(|m| m.is_running()).map(Model::estimate).sum::<u64>();
        if need > budget {
            return Err(NoRoom::OverBudget { need: mib(need), budget: mib(budget) });
        }
        while in_use(&self.models) + need > budget {
            let victim = self
                .models
                .iter()
                .enumerate()
                .filter(|(j, m)| {
                    *j != i
                        && m.is_running()
                        && !m.config.pinned
                        && m.outstanding() == 0
                        && m.waiters.is_empty()
                        && !m.is_loading()
                })
                .min_by_key(|(_, m)| m.last_used)
                .map(|(j, _)| j);
            match victim {
                Some(j) => {
                    tracing::info!(evicted = %self.models[j].config.name, for_model = %self.models[i].config.name, "unloading the least recently used idle model to make room");
                    self.stop_model(j);
                }
                None => {
                    return Err(NoRoom::Held { need: mib(need), held: mib(in_use(&self.models)), budget: mib(budget) });
                }
            }
        }
        Ok(())
    }

    async fn start_replica(&mut self, i: usize, r: usize) {
        let spec = self.models[i].config.spec.clone();
        let replica = &mut self.models[i].replicas[r];
        replica.generation += 1;
        // A new process: its slots hold nobody's prompt.
        replica.slots = Slots::new(spec.parallel);
        let generation = replica.generation;
        let tx = self.tx.clone();
        let report = move |event| {
            let _ = tx.send(Msg::Child { model: i, replica: r, generation, event });
        };
        match child::start(&self.spawner, &spec, self.client.clone(), report).await {
            Ok(child) => {
                tracing::info!(model = %self.models[i].config.name, replica = r, pid = ?child.pid, port = child.port, "llama-server starting");
                let replica = &mut self.models[i].replicas[r];
                replica.child = Some(child);
                replica.state = ReplicaState::Starting { since: Instant::now() };
            }
            Err(e) => {
                let reason = format!("cannot start {}: {e}", spec.binary.display());
                self.mark_failed(i, reason, None, String::new());
            }
        }
    }

    async fn on_child(&mut self, i: usize, r: usize, generation: u64, event: ChildEvent) {
        if self.models[i].replicas[r].generation != generation {
            return;
        }
        match event {
            ChildEvent::Ready => {
                let replica = &mut self.models[i].replicas[r];
                if matches!(replica.state, ReplicaState::Starting { .. }) {
                    replica.state = ReplicaState::Ready;
                    tracing::info!(model = %self.models[i].config.name, replica = r, "llama-server ready");
                    self.serve_waiters(i);
                }
            }
            ChildEvent::Exited { status, stderr_tail } => {
                let policy = self.config.restart.clone();
                let name = self.models[i].config.name.clone();
                let parallel = self.models[i].config.spec.parallel;
                let replica = &mut self.models[i].replicas[r];
                replica.child = None;
                replica.outstanding = 0;
                replica.slots = Slots::new(parallel);
                if replica.state == ReplicaState::Stopped || self.shutting_down {
                    return;
                }
                replica.last_exit = Some(status.clone());
                tracing::warn!(model = %name, replica = r, %status, "llama-server exited unexpectedly");
                match replica.crashes.record(Instant::now(), &policy) {
                    Verdict::CrashLoop { crashes } => {
                        let reason = format!(
                            "llama-server crashed {crashes} times within {} s ({status})",
                            policy.window.as_secs()
                        );
                        self.mark_failed(i, reason, Some(status), stderr_tail);
                    }
                    Verdict::RestartAfter(delay) => {
                        replica.state = ReplicaState::Backoff { until: Instant::now() + delay };
                        replica.restarts += 1;
                        let tx = self.tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = tx.send(Msg::Restart { model: i, replica: r, generation });
                        });
                        let m = &self.models[i];
                        let any_up = m
                            .replicas
                            .iter()
                            .any(|r| matches!(r.state, ReplicaState::Ready | ReplicaState::Starting { .. }));
                        if !any_up {
                            let reason = format!("llama-server {status}; restarting in {} ms", delay.as_millis());
                            self.fail_waiters(
                                i,
                                AcquireError::Unavailable {
                                    model: name,
                                    reason,
                                    retry_after: delay.max(Duration::from_secs(1)),
                                },
                            );
                        }
                    }
                }
            }
        }
    }

    fn mark_failed(&mut self, i: usize, reason: String, exit_status: Option<String>, stderr_tail: String) {
        tracing::error!(model = %self.models[i].config.name, %reason, "model failed");
        let since = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        self.models[i].failure = Some(Failure { reason: reason.clone(), exit_status, stderr_tail, since });
        self.stop_model(i);
        let model = self.models[i].config.name.clone();
        self.fail_waiters(i, AcquireError::Failed { model, reason });
    }

    fn stop_model(&mut self, i: usize) {
        for replica in &mut self.models[i].replicas {
            replica.state = ReplicaState::Stopped;
            if let Some(child) = replica.child.as_mut() {
                child.stop();
            }
        }
    }

    fn stop_all(&mut self) {
        for i in 0..self.models.len() {
            self.stop_model(i);
            self.fail_waiters(i, AcquireError::ShuttingDown);
        }
    }

    async fn on_tick(&mut self) {
        let now = Instant::now();
        let load_timeout = self.config.load_timeout;
        for i in 0..self.models.len() {
            let m = &mut self.models[i];
            // Waiters never hang: past the load timeout they get an answer.
            while m.waiters.front().is_some_and(|w| now.duration_since(w.since) > load_timeout) {
                let w = m.waiters.pop_front().expect("front exists");
                let reason = if m.replicas.iter().any(|r| r.state == ReplicaState::Ready) {
                    format!("every one of its slots stayed busy for {} s", load_timeout.as_secs())
                } else {
                    format!("it did not become ready within {} s", load_timeout.as_secs())
                };
                let _ = w.reply.send(Err(AcquireError::Unavailable {
                    model: m.config.name.clone(),
                    reason,
                    retry_after: Duration::from_secs(5),
                }));
            }
            // A child that never becomes ready is killed; its exit counts as a crash.
            for replica in &mut m.replicas {
                if let ReplicaState::Starting { since } = replica.state {
                    if now.duration_since(since) > load_timeout {
                        if let Some(child) = replica.child.as_mut() {
                            child.stop();
                        }
                    }
                }
            }
            let idle = !m.config.pinned
                && m.outstanding() == 0
                && m.waiters.is_empty()
                && m.replicas.iter().any(|r| r.state == ReplicaState::Ready)
                && !m.is_loading()
                && now.duration_since(m.last_used) > m.config.idle_ttl;
            if idle {
                tracing::info!(model = %m.config.name, "unloading idle model");
                self.stop_model(i);
            }
        }
    }

    fn status(&self) -> Vec<ModelStatus> {
        self.models
            .iter()
            .map(|m| ModelStatus {
                name: m.config.name.clone(),
                aliases: m.config.aliases.clone(),
                state: m.state(),
                pinned: m.config.pinned,
                path: m.config.spec.model.clone(),
                memory_estimate: match m.check {
                    Check::Passed { estimate } => Some(estimate),
                    _ => None,
                },
                waiting: m.waiters.len() as u32,
                replicas: m
                    .replicas
                    .iter()
                    .map(|r| ReplicaStatus {
                        state: match r.state {
                            ReplicaState::Stopped => "stopped",
                            ReplicaState::Starting { .. } => "starting",
                            ReplicaState::Ready => "ready",
                            ReplicaState::Backoff { .. } => "backoff",
                        },
                        pid: r.child.as_ref().and_then(|c| c.pid),
                        sandbox: r.child.as_ref().and_then(|c| c.sandbox.lock().expect("sandbox note lock").clone()),
                        outstanding: r.outstanding,
                        restarts: r.restarts,
                        last_exit: r.last_exit.clone(),
                    })
                    .collect(),
                failure: m.failure.clone(),
            })
            .collect()
    }
}

/// What checking a model's file found.
struct Checked {
    estimate: u64,
    declares_pooling: bool,
    /// Layers to offload, when the config said `auto`.
    gpu_layers: Option<u32>,
}

/// Why a model cannot be loaded within the memory budget (sizes in MiB).
#[derive(Debug, thiserror::Error)]
enum NoRoom {
    #[error("it needs about {need} MiB, more than the whole budget of {budget} MiB")]
    OverBudget { need: u64, budget: u64 },
    #[error(
        "not enough memory: it needs about {need} MiB and {held} MiB of the {budget} MiB budget is held by busy or pinned models"
    )]
    Held { need: u64, held: u64, budget: u64 },
}

/// Reads the model's header (and checksum, when configured).
fn check_model_file(config: &ModelConfig) -> Result<Checked, sting_models::GgufError> {
    let info = sting_models::read_gguf(&config.spec.model)?;
    if let Some(expected) = &config.sha256 {
        sting_models::verify_sha256(&config.spec.model, expected)?;
    }
    let context = u64::from(config.spec.context);
    let gpu_layers =
        config.auto_gpu_layers.then(|| crate::gpu::auto_layers(crate::gpu::detect().as_ref(), &info, context));
    Ok(Checked {
        estimate: info.estimate_memory(context).total(),
        declares_pooling: info.pooling_type.is_some(),
        gpu_layers,
    })
}

fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

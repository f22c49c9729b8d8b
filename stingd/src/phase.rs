//! Where stingd is in its start, as one `watch`: what it still waits for, and the application
//! once it is built. Every part that answers before the application exists (`/health/ready`,
//! the status socket, the metrics port, the starting router) reads this one value, so they
//! cannot disagree. It knows no feature: the application type is a parameter.

use std::sync::Arc;

use tokio::sync::watch;

/// What stingd waits on, for programs that act on it (`msting doctor`) without reading words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaited {
    /// Its own Vault login (Vault sealed, unreachable, or the login refused).
    Vault,
    /// The rest of the application: its secrets, the database, the models' set-up.
    Application,
}

/// Why stingd is not ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub on: Awaited,
    /// For people: what exactly, and the last error.
    pub reason: String,
}

/// One moment of the start.
#[derive(Clone)]
pub struct Phase<A> {
    /// Why stingd is not ready (`None`: it is). Set again after the start if a dependency is
    /// lost for a while (Vault's token had to be renewed by a new login).
    pub waiting_for: Option<Waiting>,
    /// The application, from when it is built; never taken back.
    pub app: Option<A>,
}

impl<A> Phase<A> {
    pub fn map<B>(self, f: impl FnOnce(A) -> B) -> Phase<B> {
        Phase { waiting_for: self.waiting_for, app: self.app.map(f) }
    }
}

/// The sending side, shared by whoever moves the start on.
pub struct Phases<A>(Arc<watch::Sender<Phase<A>>>);

impl<A> Clone for Phases<A> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<A: Clone> Phases<A> {
    pub fn new(on: Awaited, reason: impl Into<String>) -> Self {
        let waiting = Waiting { on, reason: reason.into() };
        Self(Arc::new(watch::Sender::new(Phase { waiting_for: Some(waiting), app: None })))
    }

    /// Already built: nothing is awaited.
    pub fn ready_with(app: A) -> Self {
        Self(Arc::new(watch::Sender::new(Phase { waiting_for: None, app: Some(app) })))
    }

    pub fn waiting(&self, on: Awaited, reason: impl Into<String>) {
        let waiting = Waiting { on, reason: reason.into() };
        self.0.send_modify(|phase| phase.waiting_for = Some(waiting));
    }

    /// What was awaited is back. Before the application is built, stingd still waits for it.
    pub fn recovered(&self) {
        self.0.send_modify(|phase| {
            phase.waiting_for = match phase.app {
                Some(_) => None,
                None => Some(Waiting { on: Awaited::Application, reason: "starting".into() }),
            }
        });
    }

    /// The application is built: from now on it serves.
    pub fn ready(&self, app: A) {
        self.0.send_modify(|phase| *phase = Phase { waiting_for: None, app: Some(app) });
    }

    pub fn current(&self) -> Phase<A> {
        self.0.borrow().clone()
    }

    pub fn app(&self) -> Option<A> {
        self.0.borrow().app.clone()
    }

    pub fn waiting_for(&self) -> Option<Waiting> {
        self.0.borrow().waiting_for.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_see_the_wait_then_the_application_and_a_later_wait_keeps_it() {
        let phases: Phases<u32> = Phases::new(Awaited::Vault, "waiting for Vault");
        assert_eq!(phases.waiting_for().map(|w| w.on), Some(Awaited::Vault));
        assert!(phases.app().is_none());
        phases.waiting(Awaited::Application, "waiting for the database");
        phases.ready(7);
        assert_eq!(phases.app(), Some(7));
        assert_eq!(phases.waiting_for(), None);
        phases.waiting(Awaited::Vault, "logging in to Vault again");
        assert_eq!(phases.app(), Some(7), "a dependency lost later does not take the application away");
        phases.recovered();
        assert_eq!(phases.waiting_for(), None);
    }

    #[test]
    fn a_recovery_before_the_application_exists_is_not_ready() {
        let phases: Phases<u32> = Phases::new(Awaited::Vault, "waiting for Vault");
        phases.recovered();
        assert_eq!(phases.waiting_for().map(|w| w.on), Some(Awaited::Application));
    }
}

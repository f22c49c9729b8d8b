//! Every background task stingd starts, so that a shutdown stops and waits for them all
//! rather than leaving them to be dropped mid-write when the runtime ends.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The tracker every spawned task joins, and the token that tells the endless ones to stop.
#[derive(Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    shutdown: CancellationToken,
    /// Cancelled when the listeners stop taking requests: what would hold a connection open
    /// for good (a notification stream) ends, so requests in flight can finish.
    draining: CancellationToken,
}

impl Tasks {
    /// A task that ends on its own (an indexing pass, a mail being sent): shutdown waits for it.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }

    /// A task that would run forever (a watcher, a listener, a renewal loop): shutdown stops it
    /// at its next await.
    pub fn spawn_until_shutdown<F>(&self, task: F)
    where
        F: Future + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = task => {}
            }
        });
    }

    /// Whether shutdown has begun: a queue stops between its items, leaving the rest for the
    /// next start.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// Resolves when shutdown begins: for a finite task to stop at a wait of its own (a backoff)
    /// rather than anywhere.
    pub async fn shutting_down(&self) {
        self.shutdown.cancelled().await
    }

    /// Says that the listeners are stopping: streams that never end on their own end now.
    pub fn begin_draining(&self) {
        self.draining.cancel();
    }

    /// Resolves when the listeners begin to stop.
    pub async fn draining(&self) {
        self.draining.cancelled().await
    }

    /// Stops the endless tasks and waits for all of them, at most `grace`. Returns how many
    /// were still running when the grace ran out.
    pub async fn shut_down(&self, grace: Duration) -> usize {
        self.draining.cancel();
        self.shutdown.cancel();
        self.tracker.close();
        match tokio::time::timeout(grace, self.tracker.wait()).await {
            Ok(()) => 0,
            Err(_) => self.tracker.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[tokio::test]
    async fn shutdown_stops_endless_tasks_and_waits_for_finite_ones() {
        let tasks = Tasks::default();
        let finished = Arc::new(AtomicBool::new(false));
        tasks.spawn({
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                finished.store(true, Ordering::SeqCst);
            }
        });
        tasks.spawn_until_shutdown(std::future::pending::<()>());
        assert_eq!(tasks.shut_down(Duration::from_secs(10)).await, 0);
        assert!(finished.load(Ordering::SeqCst), "shutdown returned before the finite task was done");
    }

    #[tokio::test]
    async fn a_task_that_outlives_the_grace_is_counted() {
        let tasks = Tasks::default();
        tasks.spawn(tokio::time::sleep(Duration::from_secs(60)));
        assert_eq!(tasks.shut_down(Duration::from_millis(50)).await, 1);
    }
}

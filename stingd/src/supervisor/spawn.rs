//! Starting llama-server children so that none outlives stingd.
//!
//! Each child asks the kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`). The kernel
//! means the parent *thread*: a child forked from a short-lived thread (a tokio blocking thread,
//! say) would be killed when that thread ends. So every child is forked from one dedicated
//! thread that lives as long as the process, and a kill -9 of stingd takes them all down.

#![allow(unsafe_code)]

use std::io;
use std::sync::mpsc as std_mpsc;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

type Request = (Command, oneshot::Sender<io::Result<Child>>);

/// A handle to the spawning thread.
#[derive(Clone)]
pub struct Spawner {
    tx: std_mpsc::Sender<Request>,
}

impl Spawner {
    /// Starts the spawning thread; it enters the current tokio runtime so children are reaped
    /// by it.
    pub fn start() -> io::Result<Self> {
        let (tx, rx) = std_mpsc::channel::<Request>();
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new().name("stingd-spawner".into()).spawn(move || {
            let _entered = runtime.enter();
            for (mut command, reply) in rx {
                let parent = std::process::id() as libc::pid_t;
                // SAFETY: the closure runs in the forked child before exec and calls only
                // async-signal-safe functions (prctl, getppid, _exit); it allocates nothing.
                unsafe {
                    command.pre_exec(move || {
                        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                            return Err(io::Error::last_os_error());
                        }
                        // The parent may have died between fork and prctl: then nothing would
                        // ever deliver the signal.
                        if libc::getppid() != parent {
                            libc::_exit(1);
                        }
                        Ok(())
                    });
                }
                let _ = reply.send(command.spawn());
            }
        })?;
        Ok(Self { tx })
    }

    pub async fn spawn(&self, command: Command) -> io::Result<Child> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((command, reply)).map_err(|_| io::Error::other("the spawning thread is gone"))?;
        answer.await.map_err(|_| io::Error::other("the spawning thread is gone"))?
    }
}

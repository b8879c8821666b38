//! Starting function processes in their own process group, and killing the whole group.
//!
//! Every function process is the leader of a new process group (`setpgid(0, 0)` at spawn), so a
//! timeout or an abandoned request can kill it together with everything it started (`sh` and
//! its children). The group is only signalled while its leader is not yet reaped: until then the
//! kernel cannot hand the group id to another process.

use std::process::{ExitStatus, Stdio};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::config::FunctionProcess;
use crate::error::Error;

/// A spawned function process that kills its process group when dropped before it was reaped.
#[derive(Debug)]
pub(crate) struct GroupedChild {
    child: Child,
    pgid: Option<Pid>,
}

impl GroupedChild {
    /// Spawns `process` with `extra_env` added to the inherited environment and the given pipes.
    pub(crate) fn spawn(
        process: &FunctionProcess,
        extra_env: Vec<(String, String)>,
        stdin: Stdio,
        stdout: Stdio,
        stderr: Stdio,
    ) -> Result<Self, Error> {
        let mut command = Command::new(&process.program);
        command
            .args(&process.args)
            .envs(extra_env)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        let child = command.spawn().map_err(|source| Error::SpawnFailed {
            program: process.program.clone(),
            source,
        })?;
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        Ok(GroupedChild { child, pgid })
    }

    /// The process id (also the process group id), while not reaped.
    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// The child's pipes and handle, to take stdin/stdout/stderr from.
    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Sends `signal` to the whole process group, if the leader has not been reaped.
    pub(crate) fn signal_group(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            if let Err(errno) = killpg(pgid, signal) {
                tracing::debug!(%pgid, %errno, "signalling function process group");
            }
        }
    }

    /// Kills the whole group with SIGKILL and reaps the leader.
    pub(crate) async fn kill_and_reap(&mut self) -> Result<ExitStatus, Error> {
        self.signal_group(Signal::SIGKILL);
        self.wait().await
    }

    /// Waits for the leader to exit and reaps it. After this the group is no longer signalled.
    pub(crate) async fn wait(&mut self) -> Result<ExitStatus, Error> {
        let status = self.child.wait().await.map_err(Error::FunctionIo)?;
        self.pgid = None;
        Ok(status)
    }
}

impl Drop for GroupedChild {
    fn drop(&mut self) {
        // Runs before `child` is dropped (and handed to tokio's orphan reaper), so the leader
        // is still unreaped and the group id still ours.
        self.signal_group(Signal::SIGKILL);
    }
}

/// How an exit status reads in a response, in Go's words: `exit status 2`, `signal: killed`.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(9) => "signal: killed".to_owned(),
        Some(15) => "signal: terminated".to_owned(),
        Some(signal) => match Signal::try_from(signal) {
            Ok(sig) => format!("signal: {}", sig.as_str()),
            Err(_) => format!("signal: {signal}"),
        },
        None => status.to_string(),
    }
}

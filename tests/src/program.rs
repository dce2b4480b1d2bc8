//! Running a program to completion from an async test: given text on its
//! standard input, its standard output and error collected, its exit
//! status kept — and killed (by its handle) if it runs too long, so that a
//! program stuck at a prompt fails the test instead of hanging it.

use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long [`run_with_stdin`] lets a program run (the logins these tests
/// run take a few seconds at most).
pub const PROGRAM_TIMEOUT: Duration = Duration::from_secs(120);

/// What a program printed and how it ended.
#[derive(Debug)]
pub struct ProgramOutput {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output (lossy UTF-8).
    pub stdout: String,
    /// Its standard error (lossy UTF-8).
    pub stderr: String,
}

impl ProgramOutput {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Its exit code (`None` if a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `cmd` with `stdin` written to its standard input (then closed),
/// collecting standard output and error. Panics if it cannot be started
/// or has not exited within [`PROGRAM_TIMEOUT`] (it is killed then).
pub async fn run_with_stdin(cmd: Command, stdin: &str) -> ProgramOutput {
    run_with_stdin_within(cmd, stdin, PROGRAM_TIMEOUT).await
}

/// [`run_with_stdin`] with another time limit than [`PROGRAM_TIMEOUT`].
pub async fn run_with_stdin_within(cmd: Command, stdin: &str, timeout: Duration) -> ProgramOutput {
    let what = format!("{:?}", cmd);
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    // A program that exits without reading its input closes the pipe: not
    // an error here, its output says what happened.
    let _ = input.write_all(stdin.as_bytes()).await;
    drop(input);
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} still running after {timeout:?}; killed"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    ProgramOutput {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn feeds_stdin_and_collects_both_streams_and_the_status() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "read line; echo \"got $line\"; echo oops >&2; exit 3"]);
        let out = run_with_stdin(cmd, "hello\n").await;
        assert_eq!(out.stdout, "got hello\n");
        assert_eq!(out.stderr, "oops\n");
        assert_eq!(out.code(), Some(3));
        assert!(!out.success());
    }

    #[tokio::test]
    async fn a_program_that_outlives_the_limit_is_killed_and_fails_the_test() {
        let pid_file = std::env::temp_dir().join(format!("oncp-program-{}", std::process::id()));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo $$ > \"$1\"; exec sleep 60", "sh"])
            .arg(&pid_file);
        let run = tokio::spawn(async move {
            run_with_stdin_within(cmd, "", Duration::from_millis(500)).await
        });
        let err = run.await.expect_err("the time limit panics");
        assert!(err.is_panic());
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let _ = std::fs::remove_file(&pid_file);
        // Killed: gone, or a zombie until tokio reaps it.
        let status = format!("/proc/{}/status", pid.trim());
        let end = std::time::Instant::now() + Duration::from_secs(5);
        let dead = || std::fs::read_to_string(&status).map_or(true, |s| s.contains("State:\tZ"));
        while !dead() && std::time::Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(dead(), "pid {} still running", pid.trim());
    }
}

//! Command tools: a `[tools.<name>]` with `command = ["prog", "arg", ...]`, run
//! by the CLI as a subprocess. The call's JSON arguments go to its stdin, its
//! stdout is the result the model sees; a non-zero exit, a failure to start or a
//! timeout is reported to the model as the tool's error (with the status and the
//! end of stderr), and shown to the user through a [`FailureHook`].

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use respan_codegen::spec::ToolSpec;
use respan_runtime::{BoxFuture, DEFAULT_TOOL_TIMEOUT, Tool, ToolError, strict_schema};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

/// How much of a failed command's stderr the model is told (its end).
const STDERR_TAIL: usize = 1_000;

/// Extra time the runtime allows a command tool beyond its own timeout, so that
/// the tool's own timeout (which kills the process and says so) fires first.
const GRACE: Duration = Duration::from_secs(2);

/// A command tool's failure, for the person watching the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandFailure {
    /// The tool's name.
    pub tool: String,
    /// What happened: "exited with status 3", "did not finish within 5 s and was killed", ...
    pub reason: String,
    /// Everything the command wrote to stderr.
    pub stderr: String,
}

/// Called on every failure of a command tool (the CLI prints it, dimmed).
pub type FailureHook = Arc<dyn Fn(&CommandFailure) + Send + Sync>;

/// Where command tools run and who hears of their failures.
#[derive(Clone, Default)]
pub struct CommandSettings {
    /// The working directory of the commands (the CLI uses the workflow file's
    /// directory, so `command = ["./lookup.sh"]` is found next to the file);
    /// `None`: the current directory.
    pub dir: Option<PathBuf>,
    /// Told of every failure.
    pub on_failure: Option<FailureHook>,
}

impl std::fmt::Debug for CommandSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSettings")
            .field("dir", &self.dir)
            .field("on_failure", &self.on_failure.is_some())
            .finish()
    }
}

/// A tool that runs a program: JSON arguments on stdin, stdout is the result.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use respan_cli::command::CommandTool;
/// use respan_runtime::Tool;
///
/// let tool = CommandTool::new("echo_args", "Echoes its arguments.", ["cat"]);
/// let result = tool.call(&(), r#"{"city":"Paris"}"#).await;
/// # #[cfg(unix)]
/// assert_eq!(result.unwrap(), r#"{"city":"Paris"}"#);
/// # }
/// ```
#[derive(Clone)]
pub struct CommandTool {
    name: String,
    description: String,
    parameters: Value,
    program: String,
    args: Vec<String>,
    timeout: Duration,
    needs_approval: bool,
    settings: CommandSettings,
}

impl CommandTool {
    /// A tool running `command` (a program and its arguments) with an empty
    /// object schema, the default timeout, in the current directory.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        description: impl Into<String>,
        command: impl IntoIterator<Item = S>,
    ) -> Self {
        let mut command = command.into_iter().map(Into::into);
        Self {
            name: name.into(),
            description: description.into(),
            parameters: empty_schema(),
            program: command.next().unwrap_or_default(),
            args: command.collect(),
            timeout: DEFAULT_TOOL_TIMEOUT,
            needs_approval: false,
            settings: CommandSettings::default(),
        }
    }

    /// The tool a `[tools.<name>]` table declares, if it has a `command`:
    /// its `description`, its `parameters` (in the strict form, as a Rust
    /// tool's schema is; an empty object schema without them), its
    /// `timeout_secs` (60 s by default), its `needs_approval`.
    pub fn from_spec(spec: &ToolSpec, settings: &CommandSettings) -> Option<Self> {
        let command = spec.command.as_ref()?;
        let description = spec
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| format!("Runs `{}`.", command.value.join(" ")));
        let mut tool = Self::new(spec.name.value.clone(), description, command.value.clone());
        if let Some(parameters) = &spec.parameters {
            tool.parameters = strict_schema(parameters.value.clone());
        }
        if let Some(secs) = &spec.timeout_secs
            && let Ok(timeout) = Duration::try_from_secs_f64(secs.value)
        {
            tool.timeout = timeout;
        }
        tool.needs_approval = spec
            .needs_approval
            .as_ref()
            .is_some_and(|needs| needs.value);
        tool.settings = settings.clone();
        Some(tool)
    }

    /// The JSON Schema of the arguments.
    pub fn parameters(mut self, schema: Value) -> Self {
        self.parameters = strict_schema(schema);
        self
    }

    /// How long one call may take (then the process is killed).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether every call waits for a person's approval (`respan run` asks).
    pub fn needs_approval(mut self, needs_approval: bool) -> Self {
        self.needs_approval = needs_approval;
        self
    }

    /// Where the command runs and who hears of its failures.
    pub fn settings(mut self, settings: CommandSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The program, resolved against the working directory when it is a
    /// relative path (`./lookup.sh`); a bare name (`python3`) is looked up in `PATH`.
    fn program(&self) -> PathBuf {
        let program = Path::new(&self.program);
        match &self.settings.dir {
            Some(dir) if program.is_relative() && program.components().count() > 1 => {
                dir.join(program)
            }
            _ => program.to_path_buf(),
        }
    }

    fn fail(&self, reason: String, stderr: &str) -> ToolError {
        if let Some(hook) = &self.settings.on_failure {
            hook(&CommandFailure {
                tool: self.name.clone(),
                reason: reason.clone(),
                stderr: stderr.to_string(),
            });
        }
        let tail = tail(stderr.trim_end(), STDERR_TAIL);
        if tail.is_empty() {
            ToolError::new(format!("the command {reason}"))
        } else {
            ToolError::new(format!(
                "the command {reason}; its stderr ends with: {tail}"
            ))
        }
    }

    async fn run(&self, arguments: &str) -> Result<String, ToolError> {
        let mut command = tokio::process::Command::new(self.program());
        command
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &self.settings.dir {
            command.current_dir(dir);
        }
        // Its own process group, so a timeout kills what it started too.
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| self.fail(format!("`{}` could not be started ({e})", self.program), ""))?;
        let mut group = ProcessGroup(child.id());
        let stdin = child.stdin.take();
        let write = async move {
            if let Some(mut stdin) = stdin {
                // A program that does not read its input may exit first: fine.
                let _ = stdin.write_all(arguments.as_bytes()).await;
                let _ = stdin.shutdown().await;
            }
        };
        let run = async {
            let ((), output) = tokio::join!(write, child.wait_with_output());
            output
        };
        let output = match tokio::time::timeout(self.timeout, run).await {
            Err(_) => {
                group.kill();
                return Err(self.fail(
                    format!(
                        "did not finish within {} s and was killed",
                        self.timeout.as_secs_f64()
                    ),
                    "",
                ));
            }
            Ok(Err(e)) => return Err(self.fail(format!("failed: {e}"), "")),
            Ok(Ok(output)) => output,
        };
        group.0 = None;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let status = match output.status.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was stopped ({})", output.status),
            };
            return Err(self.fail(status, &stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string())
    }
}

impl std::fmt::Debug for CommandTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandTool")
            .field("name", &self.name)
            .field("program", &self.program)
            .field("args", &self.args)
            .field("timeout", &self.timeout)
            .field("needs_approval", &self.needs_approval)
            .finish_non_exhaustive()
    }
}

impl Tool<()> for CommandTool {
    fn name(&self) -> &str {
        &self.name
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> Value {
        self.parameters.clone()
    }
    fn timeout(&self) -> Duration {
        self.timeout.saturating_add(GRACE)
    }
    fn needs_approval(&self, _context: &(), _arguments: &Value) -> bool {
        self.needs_approval
    }
    fn call<'a>(
        &'a self,
        _context: &'a (),
        arguments: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolError>> {
        Box::pin(self.run(arguments))
    }
}

/// The schema of a tool without `parameters`: no arguments.
fn empty_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": false
    })
}

/// The last `max` bytes of `text` (on a character boundary), from a line start when one is near.
fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = &text[start..];
    match tail.find('\n') {
        Some(newline) if newline < max / 2 => &tail[newline + 1..],
        _ => tail,
    }
}

/// The process group of a running command: killed when dropped (the run was
/// cancelled, or the call timed out) unless the command finished.
struct ProcessGroup(Option<u32>);

impl ProcessGroup {
    fn kill(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.0.take()
            && let Ok(pid) = i32::try_from(pid)
        {
            // SAFETY: kill(2) has no memory effects; a negative pid names the group
            // the command leads (`process_group(0)`), which only it and its children are in.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        self.0 = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn sh(script: &str) -> CommandTool {
        CommandTool::new("t", "A test tool.", ["sh", "-c", script])
    }

    #[tokio::test]
    async fn arguments_on_stdin_and_stdout_is_the_result() {
        let tool = sh("printf 'got: '; cat; echo");
        assert_eq!(
            tool.call(&(), r#"{"a":1}"#).await.unwrap(),
            r#"got: {"a":1}"#
        );
    }

    #[tokio::test]
    async fn a_failure_is_a_tool_error_with_the_status_and_stderr() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hook_seen = seen.clone();
        let tool =
            sh("echo starting >&2; echo 'no such invoice' >&2; exit 3").settings(CommandSettings {
                dir: None,
                on_failure: Some(Arc::new(move |failure: &CommandFailure| {
                    hook_seen.lock().unwrap().push(failure.clone())
                })),
            });
        let error = tool.call(&(), "{}").await.unwrap_err();
        assert_eq!(
            error.message,
            "the command exited with status 3; its stderr ends with: starting\nno such invoice"
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].reason, "exited with status 3");
        assert_eq!(seen[0].stderr, "starting\nno such invoice\n");
    }

    #[tokio::test]
    async fn a_slow_command_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let tool = sh(&script).timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let error = tool.call(&(), "{}").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            error.message,
            "the command did not finish within 0.3 s and was killed"
        );
        // The whole group was killed, the background child too.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!marker.exists());
    }

    #[tokio::test]
    async fn a_missing_program_is_a_tool_error() {
        let tool = CommandTool::new("t", "x", ["./no-such-program"]);
        let error = tool.call(&(), "{}").await.unwrap_err();
        assert!(
            error
                .message
                .starts_with("the command `./no-such-program` could not be started"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn relative_programs_are_found_in_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hello.sh");
        std::fs::write(&script, "#!/bin/sh\necho hello from $(basename $(pwd))\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let tool = CommandTool::new("t", "x", ["./hello.sh"]).settings(CommandSettings {
            dir: Some(dir.path().to_path_buf()),
            on_failure: None,
        });
        let name = dir.path().file_name().unwrap().to_string_lossy();
        assert_eq!(
            tool.call(&(), "{}").await.unwrap(),
            format!("hello from {name}")
        );
    }

    #[test]
    fn tails_start_at_a_line_when_one_is_near() {
        assert_eq!(tail("short", 10), "short");
        let text = format!("{}\nlast line", "x".repeat(20));
        assert_eq!(tail(&text, 14), "last line");
        assert_eq!(tail("ééééé", 3), "é");
    }
}

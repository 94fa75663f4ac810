//! `respan run` in a real pseudo-terminal (expectrl), its output rendered by a
//! terminal emulator (vt100) as a person would see it: the answer streams in
//! (the screen holds part of it at some point), the spinner is drawn while
//! waiting and leaves nothing behind, and the final screen is exactly the
//! notice, the handoff line, the answer and the usage.
#![cfg(unix)]

use std::num::NonZeroU16;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::Session;

const QUESTION: &str = "I'm having trouble connecting to the API.";
const ROWS: NonZeroU16 = NonZeroU16::new(24).unwrap();
/// Wide enough that no line wraps.
const COLS: NonZeroU16 = NonZeroU16::new(300).unwrap();
/// Every wait is bounded.
const TIMEOUT: Duration = Duration::from_secs(60);
/// indicatif's default spinner frames.
const SPINNER: &[char] = &['⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];

#[test]
fn run_in_a_terminal_streams_and_leaves_no_spinner_behind() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .args(["run", "workflows/support.toml", QUESTION])
        .env_remove("RESPAN_API_KEY")
        .env_remove("RESPAN_BASE_URL")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    let mut session = Session::spawn(command).expect("a pseudo-terminal");
    session
        .get_process_mut()
        .set_window_size(COLS.get(), ROWS.get())
        .expect("the terminal's size");

    let mut screen = vt100::Parser::new(ROWS, COLS, 0);
    let mut raw = Vec::new();
    let mut partial_answer_seen = false;
    let mut status = None;
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        if started.elapsed() > TIMEOUT {
            let _ = session.get_process_mut().exit(true);
            panic!(
                "respan run did not finish within {TIMEOUT:?}; the screen:\n{}",
                screen.screen().contents()
            );
        }
        match session.try_read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buffer[..n]);
                screen.process(&buffer[..n]);
                let contents = screen.screen().contents();
                if contents.contains("[respan offline gateway")
                    && !contents.contains("to use the real gateway.")
                {
                    partial_answer_seen = true;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                if status.is_some() {
                    break; // exited, and everything it wrote was read
                }
                match session.get_process().status() {
                    Ok(current) if format!("{current:?}") == "StillAlive" => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    other => status = Some(format!("{other:?}")),
                }
            }
            // EIO: the program exited and closed its side of the terminal.
            Err(_) => break,
        }
    }
    let status = match status {
        Some(status) => status,
        None => format!("{:?}", session.get_process().wait()),
    };
    let contents = screen.screen().contents();
    assert!(
        status.contains("Exited(") && status.ends_with(", 0))"),
        "{status}\n{contents}"
    );

    // The spinner was drawn while waiting (so its absence below means something)...
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("is thinking…") && raw.contains(SPINNER),
        "no spinner was drawn: {raw:?}"
    );
    // ...and the answer arrived in pieces, shown as they came.
    assert!(partial_answer_seen, "the answer appeared all at once");

    // The final screen: nothing of the spinner, and exactly these lines.
    assert!(!contents.contains(SPINNER), "spinner residue:\n{contents}");
    assert!(
        !contents.contains("is thinking"),
        "spinner residue:\n{contents}"
    );
    let lines: Vec<&str> = contents
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(lines.len(), 6, "{contents}");
    assert!(
        lines[0]
            .starts_with("No RESPAN_API_KEY: using respan's offline gateway at http://127.0.0.1:"),
        "{contents}"
    );
    assert_eq!(lines[1], "→ Technical Agent", "{contents}");
    assert_eq!(
        lines[2],
        format!(
            "[respan offline gateway · model gpt-4o · agent Technical Agent] I took over the \
             conversation. About “{QUESTION}”: a real model would answer here. Set \
             RESPAN_API_KEY to use the real gateway."
        ),
        "{contents}"
    );
    assert!(lines[3].starts_with("usage: 2 requests · "), "{contents}");
    assert!(
        lines[4].starts_with("  Triage Agent     1 request · "),
        "{contents}"
    );
    assert!(
        lines[5].starts_with("  Technical Agent  1 request · "),
        "{contents}"
    );
    // Colors on a terminal (NO_COLOR unset): the handoff line is cyan.
    assert!(raw.contains("\x1b[36m→ Technical Agent\x1b[0m"), "{raw:?}");
}

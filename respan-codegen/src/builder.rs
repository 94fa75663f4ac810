//! The `build.rs` front door (like prost-build): every workflow file becomes a
//! typed Rust module in `OUT_DIR`, included with `respan::include_workflows!()`.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     respan_codegen::Builder::new().compile_dir("workflows")?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/main.rs
//! respan::include_workflows!();   // `mod support { ... }` for workflows/support.toml, ...
//! ```
//!
//! A mistake in a workflow fails the build with the same rustc-style diagnostics
//! as `respan check` (`workflows/support.toml:8:13`, the snippet, the fix).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::generate::{self, Options};

/// The name of the file that includes every generated module.
pub const INDEX_FILE: &str = "respan_workflows.rs";

/// Compiles workflow files into Rust modules, from `build.rs`.
#[derive(Clone, Debug)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    emit_rerun_if_changed: bool,
    emit_tests: bool,
    color: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder writing to `$OUT_DIR` and printing `cargo:rerun-if-changed` lines.
    pub fn new() -> Self {
        Self {
            out_dir: None,
            emit_rerun_if_changed: true,
            emit_tests: false,
            color: false,
        }
    }

    /// Writes the generated files to `dir` instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Whether to print `cargo:` lines: `cargo:rerun-if-changed=` for each file
    /// and directory (so that cargo reruns the build script when a workflow
    /// changes, and only then) and `cargo:warning=` for the checker's warnings.
    /// Default: yes; turn it off outside build scripts.
    pub fn emit_rerun_if_changed(mut self, emit: bool) -> Self {
        self.emit_rerun_if_changed = emit;
        self
    }

    /// Whether each workflow's `[[tests]]` become `#[test]` functions in its
    /// module (under `#[cfg(test)]`), so `cargo test` runs them on respan's
    /// offline gateway; the crate's tests then need respan's `offline`
    /// feature (`[dev-dependencies] respan = { version = "0.1", features =
    /// ["offline"] }`). Default: no.
    pub fn emit_tests(mut self, emit: bool) -> Self {
        self.emit_tests = emit;
        self
    }

    /// Compiles every `*.toml` file of `dir` (not recursive), in name order.
    /// Returns the paths of the generated files.
    pub fn compile_dir(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        let dir = dir.as_ref();
        self.rerun_if_changed(dir);
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
            .collect();
        files.sort();
        self.compile(&files)
    }

    /// Compiles these workflow files. Returns the paths of the generated files.
    ///
    /// On any error, prints every diagnostic to stderr (cargo shows it when the
    /// build script fails) and returns [`Error::Invalid`].
    pub fn compile(&self, files: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>, Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        std::fs::create_dir_all(&out_dir).map_err(|source| Error::Io {
            path: out_dir.clone(),
            source,
        })?;

        let mut rendered = String::new();
        let mut errors = 0;
        let mut modules: BTreeMap<String, (String, String)> = BTreeMap::new(); // name -> (path, code)
        for file in files {
            let file = file.as_ref();
            self.rerun_if_changed(file);
            let display = file.to_string_lossy().replace('\\', "/");
            let checked = crate::check_file(file, &display);
            for diagnostic in &checked.diagnostics {
                if diagnostic.is_error() {
                    errors += 1;
                    rendered.push_str(&checked.render_one(diagnostic, self.color));
                    rendered.push_str("\n\n");
                } else if self.emit_rerun_if_changed {
                    // Warnings do not fail the build; cargo shows them.
                    for line in checked.render_one(diagnostic, false).lines() {
                        println!("cargo:warning={line}");
                    }
                }
            }
            let Some(spec) = checked.valid_spec() else {
                continue;
            };
            let mut options = Options::new(display.clone());
            options.source = Some(checked.source.clone());
            options.tests = self.emit_tests;
            let Some(code) = generate::file(spec, &options) else {
                continue;
            };
            let name = spec.workflow.name.value.clone();
            if let Some((other, _)) = modules.get(&name) {
                errors += 1;
                rendered.push_str(&format!(
                    "error: two workflows are named `{name}`: {other} and {display}\n  = help: give one of them another `name` in `[workflow]`\n\n"
                ));
                continue;
            }
            modules.insert(name, (display, code));
        }
        if errors > 0 {
            let _ = std::io::stderr().write_all(rendered.as_bytes());
            return Err(Error::Invalid { errors, rendered });
        }

        let mut written = Vec::new();
        let mut index = String::from(
            "// @generated by respan: the workflows compiled by build.rs — do not edit\n\n",
        );
        for (name, (_, code)) in &modules {
            let path = out_dir.join(format!("{name}.rs"));
            write_if_changed(&path, code)?;
            index.push_str(&format!("include!(\"{name}.rs\");\n"));
            written.push(path);
        }
        write_if_changed(&out_dir.join(INDEX_FILE), &index)?;
        Ok(written)
    }

    fn rerun_if_changed(&self, path: &Path) {
        if self.emit_rerun_if_changed {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// Writes `contents` unless the file already has exactly them, so that an
/// unchanged workflow does not make cargo recompile the crate.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), Error> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, contents).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Why [`Builder`] failed.
#[non_exhaustive]
pub enum Error {
    /// Some workflow has errors; `rendered` is every diagnostic, rustc-style
    /// (already printed to stderr).
    Invalid { errors: usize, rendered: String },
    /// Reading a directory or writing an output file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `OUT_DIR` is not set: call the builder from `build.rs`, or set [`Builder::out_dir`].
    NoOutDir,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { errors: 1, .. } => {
                write!(
                    f,
                    "could not compile the workflows due to 1 error (shown above)"
                )
            }
            Error::Invalid { errors, .. } => {
                write!(
                    f,
                    "could not compile the workflows due to {errors} errors (shown above)"
                )
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NoOutDir => write!(
                f,
                "OUT_DIR is not set: run respan_codegen::Builder from build.rs, or set Builder::out_dir"
            ),
        }
    }
}

// `fn main() -> Result<(), Box<dyn Error>>` prints the Debug form: keep it readable.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

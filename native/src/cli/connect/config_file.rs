//! `--config FILE` in OpenConnect's format, merged into the command line
//! where it appears (OpenConnect reads the file at that point and then
//! goes on with the rest of the command line, so later options override
//! the file's and earlier ones are overridden by it).
//!
//! The format, as OpenConnect's manual and its parser define it: one long
//! option per line without the leading `--`; empty lines and lines whose
//! first non-blank character is `#` are ignored; leading blanks are
//! skipped, a trailing `\n` or `\r\n` removed; the option name ends at a
//! blank, a `=` or the end of the line; the value (options that take one)
//! follows after blanks and at most one `=`, and is the rest of the line
//! as is (no quoting, trailing blanks kept). An unknown option, a value
//! given to a flag, a missing value, or `config` inside a config file is
//! an error naming the line.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Why a config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot open config file '{}': {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Not an option of `oncp connect`.
    #[error("{}: unrecognised option at line {line}: '{name}'", path.display())]
    Unknown {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The option name.
        name: String,
    },
    /// A flag with a value.
    #[error("{}: option '{name}' does not take an argument at line {line}", path.display())]
    UnexpectedValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The option name.
        name: String,
    },
    /// An option without its value.
    #[error("{}: option '{name}' requires an argument at line {line}", path.display())]
    MissingValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The option name.
        name: String,
    },
    /// `config` inside a config file.
    #[error("{}: cannot use 'config' option inside config file (line {line})", path.display())]
    Nested {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// `--config` at the end of the command line.
    #[error("option '--config' requires an argument")]
    NoFile,
}

/// What the option table says about a long option name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A flag (no value).
    Flag,
    /// Takes a value.
    Value,
}

/// Looks long option names up (exact names only, as OpenConnect's config
/// parser does).
pub trait OptionTable {
    /// The kind of `--name`, or `None` if there is no such option.
    fn kind(&self, name: &str) -> Option<OptionKind>;
}

impl OptionTable for clap::Command {
    fn kind(&self, name: &str) -> Option<OptionKind> {
        self.get_arguments()
            .find(|a| {
                a.get_long() == Some(name)
                    || a.get_all_aliases().is_some_and(|al| al.contains(&name))
            })
            .map(|a| {
                if a.get_action().takes_values() {
                    OptionKind::Value
                } else {
                    OptionKind::Flag
                }
            })
    }
}

/// Several commands' options, searched in order (the subcommand's, then
/// the global flags').
#[derive(Debug, Clone, Copy)]
pub struct Tables<'a>(pub &'a [clap::Command]);

impl OptionTable for Tables<'_> {
    fn kind(&self, name: &str) -> Option<OptionKind> {
        self.0.iter().find_map(|t| t.kind(name))
    }
}

/// The command-line tokens (`--name` or `--name=value`) a config file's
/// text stands for.
pub fn parse(
    text: &str,
    path: &Path,
    table: &dyn OptionTable,
) -> Result<Vec<OsString>, ConfigError> {
    let mut out = Vec::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.trim_start_matches([' ', '\t', '\r']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        if name == "config" {
            return Err(ConfigError::Nested {
                path: path.to_path_buf(),
                line: line_no,
            });
        }
        let Some(kind) = table.kind(name) else {
            return Err(ConfigError::Unknown {
                path: path.to_path_buf(),
                line: line_no,
                name: name.to_string(),
            });
        };
        let value = skip_separator(rest, kind == OptionKind::Value);
        match (kind, value.is_empty()) {
            (OptionKind::Flag, true) => out.push(format!("--{name}").into()),
            (OptionKind::Flag, false) => {
                return Err(ConfigError::UnexpectedValue {
                    path: path.to_path_buf(),
                    line: line_no,
                    name: name.to_string(),
                });
            }
            (OptionKind::Value, true) => {
                return Err(ConfigError::MissingValue {
                    path: path.to_path_buf(),
                    line: line_no,
                    name: name.to_string(),
                });
            }
            (OptionKind::Value, false) => out.push(format!("--{name}={value}").into()),
        }
    }
    Ok(out)
}

/// Skips blanks and, for an option with a value, at most one `=`.
fn skip_separator(mut rest: &str, takes_value: bool) -> &str {
    let mut ate_equals = false;
    loop {
        if let Some(r) = rest.strip_prefix([' ', '\t']) {
            rest = r;
        } else if takes_value
            && !ate_equals
            && let Some(r) = rest.strip_prefix('=')
        {
            ate_equals = true;
            rest = r;
        } else {
            return rest;
        }
    }
}

/// Reads and parses `path`.
pub fn read(path: &Path, table: &dyn OptionTable) -> Result<Vec<OsString>, ConfigError> {
    let text = std::fs::read(path).map_err(|error| ConfigError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    parse(&String::from_utf8_lossy(&text), path, table)
}

/// Replaces each `--config FILE` / `--config=FILE` among `oncp connect`'s
/// arguments with the file's options, in place. `argv` is the whole
/// command line (`oncp [-v…] connect …`); anything that is not a
/// `connect` command line is returned unchanged. `cli` is the `oncp`
/// command definition (for which options take values).
pub fn expand_args(argv: Vec<OsString>, cli: &clap::Command) -> Result<Vec<OsString>, ConfigError> {
    let Some(connect) = cli.find_subcommand("connect") else {
        return Ok(argv);
    };
    // `oncp`, global flags, then the subcommand name.
    let sub_at = argv
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'))
        .map(|p| p + 1);
    let Some(sub_at) = sub_at.filter(|&i| argv[i] == "connect") else {
        return Ok(argv);
    };
    let tables = [connect.clone(), cli.clone()];
    let mut out: Vec<OsString> = argv[..=sub_at].to_vec();
    let mut it = argv.into_iter().skip(sub_at + 1);
    while let Some(tok) = it.next() {
        let s = tok.to_string_lossy().into_owned();
        if s == "--" {
            out.push(tok);
            out.extend(it);
            break;
        }
        if let Some(long) = s.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let full = resolve_long(&tables, name);
            if full.as_deref() == Some("config") {
                let file: OsString = match inline {
                    Some(_) => after_equals(&tok),
                    None => it.next().ok_or(ConfigError::NoFile)?,
                };
                out.extend(read(Path::new(&file), &Tables(&tables))?);
                continue;
            }
            let takes =
                full.as_deref().and_then(|n| Tables(&tables).kind(n)) == Some(OptionKind::Value);
            out.push(tok);
            if takes
                && inline.is_none()
                && let Some(v) = it.next()
            {
                out.push(v);
            }
            continue;
        }
        if let Some(shorts) = s.strip_prefix('-').filter(|r| !r.is_empty()) {
            out.push(tok.clone());
            // A cluster like `-bv` or `-uNAME`: a value-taking letter
            // swallows the rest, or the next token if it is last.
            for (i, c) in shorts.char_indices() {
                let takes = tables
                    .iter()
                    .flat_map(|t| t.get_arguments())
                    .find(|a| a.get_short() == Some(c))
                    .is_some_and(|a| a.get_action().takes_values());
                if takes {
                    if i + c.len_utf8() == shorts.len()
                        && let Some(v) = it.next()
                    {
                        out.push(v);
                    }
                    break;
                }
            }
            continue;
        }
        out.push(tok);
    }
    Ok(out)
}

/// What follows the first `=` of `--name=value`, byte for byte.
fn after_equals(tok: &OsStr) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    let b = tok.as_bytes();
    let at = b.iter().position(|&c| c == b'=').map_or(b.len(), |i| i + 1);
    OsStr::from_bytes(&b[at..]).to_owned()
}

/// The full long name `--name` stands for: an exact name or alias, else
/// the only option it is a prefix of (getopt_long's and clap's
/// `infer_long_args` rule).
fn resolve_long(tables: &[clap::Command], name: &str) -> Option<String> {
    if Tables(tables).kind(name).is_some() {
        return Some(name.to_string());
    }
    let mut candidates = tables
        .iter()
        .flat_map(|t| t.get_arguments())
        .filter_map(|a| a.get_long())
        .filter(|l| l.starts_with(name));
    match (candidates.next(), candidates.next()) {
        (Some(l), None) if !name.is_empty() => Some(l.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory;

    struct Table;
    impl OptionTable for Table {
        fn kind(&self, name: &str) -> Option<OptionKind> {
            match name {
                "no-dtls" | "background" => Some(OptionKind::Flag),
                "user" | "form-entry" | "servercert" => Some(OptionKind::Value),
                _ => None,
            }
        }
    }

    fn p(text: &str) -> Result<Vec<String>, ConfigError> {
        parse(text, Path::new("f.conf"), &Table)
            .map(|v| v.into_iter().map(|s| s.into_string().unwrap()).collect())
    }

    #[test]
    fn openconnect_line_rules() {
        let text = "# a comment\n\n   \t# indented comment\nuser=alice\nuser bob\r\n\
                    user \t= carol \nuser==dave\nno-dtls\n\tbackground\n\
                    form-entry frmLogin:realm=a b\nservercert pin-sha256:x=";
        assert_eq!(
            p(text).unwrap(),
            [
                "--user=alice",
                "--user=bob",
                "--user=carol ",
                "--user==dave",
                "--no-dtls",
                "--background",
                "--form-entry=frmLogin:realm=a b",
                "--servercert=pin-sha256:x=",
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = p("user=a\nbogus 1\n").unwrap_err().to_string();
        assert!(e.contains("unrecognised option at line 2: 'bogus'"), "{e}");
        let e = p("no-dtls=1").unwrap_err().to_string();
        assert!(
            e.contains("'no-dtls' does not take an argument at line 1"),
            "{e}"
        );
        let e = p("\n\nuser  ").unwrap_err().to_string();
        assert!(e.contains("'user' requires an argument at line 3"), "{e}");
        let e = p("config other.conf").unwrap_err().to_string();
        assert!(e.contains("inside config file"), "{e}");
        // Short names and leading dashes are not options in a config file.
        assert!(p("--user=a").is_err());
        assert!(p("u a").is_err());
    }

    fn expand(args: &[&str], files: &[(&str, &str)]) -> Result<Vec<String>, ConfigError> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("oncp-config-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let argv: Vec<OsString> = args
            .iter()
            .map(|a| a.replace("DIR", dir.to_str().unwrap()).into())
            .collect();
        let r = expand_args(argv, &Cli::command())
            .map(|v| v.into_iter().map(|s| s.into_string().unwrap()).collect());
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    #[test]
    fn expanded_where_it_appears() {
        let files = [("a.conf", "user=file\nno-dtls\nverbose\n")];
        let got = expand(
            &[
                "oncp",
                "-q",
                "connect",
                "-u",
                "first",
                "--config",
                "DIR/a.conf",
                "-uLAST",
                "h",
            ],
            &files,
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "oncp",
                "-q",
                "connect",
                "-u",
                "first",
                "--user=file",
                "--no-dtls",
                "--verbose",
                "-uLAST",
                "h"
            ]
        );
        // `--config=FILE`, and an abbreviated `--conf FILE`.
        let got = expand(&["oncp", "connect", "--conf", "DIR/a.conf", "h"], &files).unwrap();
        assert_eq!(got[2], "--user=file");
        let got = expand(&["oncp", "connect", "--config=DIR/a.conf"], &files).unwrap();
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn values_that_look_like_config_are_left_alone() {
        let got = expand(&["oncp", "connect", "-u", "--config", "h"], &[]).unwrap();
        assert_eq!(got, ["oncp", "connect", "-u", "--config", "h"]);
        let got = expand(&["oncp", "connect", "--", "--config", "x"], &[]).unwrap();
        assert_eq!(got, ["oncp", "connect", "--", "--config", "x"]);
        let got = expand(&["oncp", "demo", "--config", "x"], &[]).unwrap();
        assert_eq!(got, ["oncp", "demo", "--config", "x"]);
    }

    #[test]
    fn unreadable_or_nested_files_fail() {
        let e = expand(&["oncp", "connect", "--config", "DIR/missing"], &[]).unwrap_err();
        assert!(e.to_string().contains("cannot open config file"), "{e}");
        let e = expand(&["oncp", "connect", "--config"], &[]).unwrap_err();
        assert!(matches!(e, ConfigError::NoFile));
        let files = [("n.conf", "config DIR/n.conf\n")];
        let e = expand(&["oncp", "connect", "--config", "DIR/n.conf"], &files).unwrap_err();
        assert!(matches!(e, ConfigError::Nested { line: 1, .. }), "{e}");
    }
}

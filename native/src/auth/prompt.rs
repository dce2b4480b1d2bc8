//! Asking the user on the terminal: passwords without echo (rpassword),
//! choices as a numbered list; prompts on standard error, answers from
//! the terminal (`/dev/tty`), as standard input may carry the password.

use std::io::{BufRead, Write};

use crate::login::flow::{Question, QuestionKind};

/// Answers questions.
pub trait Prompter {
    /// The answer to `q` (for a choice: the choice's value).
    fn ask(&mut self, q: &Question) -> anyhow::Result<String>;
    /// Shows a message from the gateway.
    fn show(&mut self, message: &str);
}

/// Prompts on the terminal.
#[derive(Debug, Default)]
pub struct Terminal;

impl Prompter for Terminal {
    fn ask(&mut self, q: &Question) -> anyhow::Result<String> {
        let mut err = std::io::stderr();
        match &q.kind {
            QuestionKind::Password => Ok(rpassword::prompt_password(format!("{}: ", q.label))?),
            QuestionKind::Text => {
                write!(err, "{}: ", q.label)?;
                err.flush()?;
                read_line()
            }
            QuestionKind::Choice(cs) => loop {
                writeln!(err, "{}:", q.label)?;
                for (i, c) in cs.iter().enumerate() {
                    writeln!(err, "  {}) {}", i + 1, c.label)?;
                }
                write!(err, "Choose [1-{}]: ", cs.len())?;
                err.flush()?;
                let line = read_line()?;
                if let Some(c) = line
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| cs.get(n.wrapping_sub(1)))
                {
                    return Ok(c.value.clone());
                }
                if let Some(c) = crate::login::answers::match_choice(cs, line.trim()) {
                    return Ok(c.value.clone());
                }
                writeln!(err, "{:?} is not one of the choices", line.trim())?;
            },
        }
    }

    fn show(&mut self, message: &str) {
        eprintln!("{message}");
    }
}

/// Whether a terminal is there to ask on.
pub fn have_terminal() -> bool {
    std::fs::File::open("/dev/tty").is_ok()
}

/// Reads a line from the terminal (standard input may carry the password).
fn read_line() -> anyhow::Result<String> {
    let mut line = String::new();
    let tty = std::fs::File::open("/dev/tty")?;
    if std::io::BufReader::new(tty).read_line(&mut line)? == 0 {
        anyhow::bail!("the terminal closed while a login form was waiting for an answer");
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

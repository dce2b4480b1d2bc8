//! Answers to the questions of a sign-in held on the tunnel connection
//! (Pulse): `-u`, the `--passwd-on-stdin` password (once), `--authgroup`
//! for the realm or region, the `--token-mode` codes in order; what the
//! command line does not answer is asked on the terminal, or with
//! `--non-inter` (or no terminal) ends the sign-in with a sentence naming
//! the option that would have answered it.

use oncp_core::tunnel::{ChoiceKind, LoginChoice, LoginPrompt, LoginReply};
use zeroize::Zeroizing;

use crate::client::driver::LoginAnswerer;
use crate::login::answers::{Answers, match_choice};
use crate::login::form::Choice;

/// Asks the user (the terminal) what the command line does not say.
pub trait Ask {
    /// A line of text (`secret`: without echo), or `None` when it cannot.
    fn line(&mut self, label: &str, secret: bool) -> Option<String>;
}

/// Asks on the terminal (`/dev/tty`).
#[derive(Debug, Default)]
pub struct TerminalAsk;

impl Ask for TerminalAsk {
    fn line(&mut self, label: &str, secret: bool) -> Option<String> {
        if !crate::auth::prompt::have_terminal() {
            return None;
        }
        if secret {
            rpassword::prompt_password(format!("{label}: ")).ok()
        } else {
            use std::io::{BufRead, Write};
            eprint!("{label}: ");
            let _ = std::io::stderr().flush();
            let tty = std::fs::File::open("/dev/tty").ok()?;
            let mut s = String::new();
            std::io::BufReader::new(tty).read_line(&mut s).ok()?;
            Some(s.trim_end_matches(['\r', '\n']).to_string())
        }
    }
}

/// The command line's answers, then the terminal.
pub struct CommandLineAnswers<A: Ask> {
    answers: Answers,
    ask: A,
    next_token: usize,
}

impl<A: Ask> CommandLineAnswers<A> {
    /// Answers from `answers`, asking `ask` for the rest unless
    /// `answers.non_inter`.
    pub fn new(answers: Answers, ask: A) -> Self {
        CommandLineAnswers {
            answers,
            ask,
            next_token: 0,
        }
    }

    fn ask(&mut self, label: &str, secret: bool, option: &str) -> Result<String, String> {
        if self.answers.non_inter {
            return Err(format!(
                "the gateway asks for {label} and --non-inter is given: use {option}"
            ));
        }
        self.ask.line(label, secret).ok_or_else(|| {
            format!("the gateway asks for {label} and there is no terminal: use {option}")
        })
    }

    fn choose(&mut self, kind: ChoiceKind, options: &[LoginChoice]) -> Result<String, String> {
        let choices: Vec<Choice> = options
            .iter()
            .map(|o| Choice {
                value: o.value.clone(),
                label: o.label.clone(),
            })
            .collect();
        let what = match kind {
            ChoiceKind::Realm => "a realm",
            ChoiceKind::Region => "a region",
            ChoiceKind::SessionToEnd => "an open session to end (session limit reached)",
        };
        if kind != ChoiceKind::SessionToEnd
            && let Some(g) = self.answers.authgroup.as_deref()
        {
            return match_choice(&choices, g)
                .map(|c| c.value.clone())
                .ok_or_else(|| {
                    let names: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
                    format!("--authgroup {g:?} is none of {}", names.join(", "))
                });
        }
        let list: Vec<String> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}) {}", i + 1, c.label))
            .collect();
        let option = if kind == ChoiceKind::SessionToEnd {
            "an interactive run (there is no option for this choice)"
        } else {
            "--authgroup"
        };
        let label = format!("{what} [{}]", list.join("; "));
        let line = self.ask(&label, false, option)?;
        let line = line.trim();
        if let Some(c) = line
            .parse::<usize>()
            .ok()
            .and_then(|n| choices.get(n.wrapping_sub(1)))
        {
            return Ok(c.value.clone());
        }
        match_choice(&choices, line)
            .map(|c| c.value.clone())
            .ok_or_else(|| format!("{line:?} is not one of the choices"))
    }

    fn reply(&mut self, prompt: &LoginPrompt) -> Result<LoginReply, String> {
        Ok(match prompt {
            LoginPrompt::Choose { kind, options } => {
                LoginReply::Choice(self.choose(*kind, options)?)
            }
            LoginPrompt::RealmEntry => LoginReply::Text(match self.answers.authgroup.clone() {
                Some(g) => g,
                None => self.ask("the realm", false, "--authgroup")?,
            }),
            LoginPrompt::Password {
                username,
                username_only,
                user_label,
                password_label,
                ..
            } => {
                let user = if *username {
                    Some(match self.answers.user.clone() {
                        Some(u) => u,
                        None => self.ask(
                            user_label.as_deref().unwrap_or("the user name"),
                            false,
                            "-u/--user",
                        )?,
                    })
                } else {
                    None
                };
                let password = if *username_only {
                    String::new()
                } else {
                    match self.answers.password.take() {
                        Some(p) => p.to_string(),
                        None => self.ask(
                            password_label.as_deref().unwrap_or("the password"),
                            true,
                            "--passwd-on-stdin",
                        )?,
                    }
                };
                LoginReply::Password {
                    username: user,
                    password: Zeroizing::new(password),
                }
            }
            LoginPrompt::NewPassword => {
                let old = self.ask("the current (expired) password", true, "an interactive run")?;
                let new = self.ask("a new password", true, "an interactive run")?;
                LoginReply::NewPassword {
                    old: Zeroizing::new(old),
                    new: Zeroizing::new(new),
                }
            }
            LoginPrompt::Token { prompt } => {
                let code = match self.answers.token_codes.get(self.next_token) {
                    Some(c) => {
                        let c = c.clone();
                        if let Some(hook) = &self.answers.token_used {
                            hook(self.next_token);
                        }
                        self.next_token += 1;
                        c
                    }
                    None => self.ask(
                        if prompt.is_empty() {
                            "the token code"
                        } else {
                            prompt
                        },
                        true,
                        "--token-mode/--token-secret",
                    )?,
                };
                LoginReply::Token(Zeroizing::new(code))
            }
            LoginPrompt::Notice(text) => {
                eprintln!("{text}");
                LoginReply::Acknowledge
            }
        })
    }
}

impl<A: Ask> LoginAnswerer for CommandLineAnswers<A> {
    fn answer(&mut self, prompt: &LoginPrompt) -> LoginReply {
        self.reply(prompt).unwrap_or_else(LoginReply::Cancel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoTerminal;
    impl Ask for NoTerminal {
        fn line(&mut self, _: &str, _: bool) -> Option<String> {
            None
        }
    }
    struct Typed(Vec<&'static str>);
    impl Ask for Typed {
        fn line(&mut self, _: &str, _: bool) -> Option<String> {
            (!self.0.is_empty()).then(|| self.0.remove(0).to_string())
        }
    }

    fn realms() -> LoginPrompt {
        LoginPrompt::Choose {
            kind: ChoiceKind::Realm,
            options: ["Users", "Admins"]
                .iter()
                .map(|n| LoginChoice {
                    value: n.to_string(),
                    label: n.to_string(),
                })
                .collect(),
        }
    }

    fn pw_prompt() -> LoginPrompt {
        LoginPrompt::Password {
            username: true,
            username_only: false,
            retry: false,
            secondary: false,
            user_label: None,
            password_label: None,
        }
    }

    #[test]
    fn command_line_answers_first() {
        let answers = Answers {
            user: Some("alice".into()),
            password: Some(Zeroizing::new("hunter2".into())),
            authgroup: Some("adm".into()),
            token_codes: Zeroizing::new(vec!["123456".into()]),
            non_inter: true,
            ..Answers::default()
        };
        let mut a = CommandLineAnswers::new(answers, NoTerminal);
        assert_eq!(a.answer(&realms()), LoginReply::Choice("Admins".into()));
        assert_eq!(
            a.answer(&pw_prompt()),
            LoginReply::Password {
                username: Some("alice".into()),
                password: Zeroizing::new("hunter2".into())
            }
        );
        assert_eq!(
            a.answer(&LoginPrompt::Token {
                prompt: "Code".into()
            }),
            LoginReply::Token(Zeroizing::new("123456".into()))
        );
        // The password and the codes are used once.
        let LoginReply::Cancel(why) = a.answer(&pw_prompt()) else {
            panic!()
        };
        assert!(
            why.contains("--non-inter") && why.contains("--passwd-on-stdin"),
            "{why}"
        );
        let LoginReply::Cancel(why) = a.answer(&LoginPrompt::Token {
            prompt: String::new(),
        }) else {
            panic!()
        };
        assert!(why.contains("--token-mode"), "{why}");
    }

    #[test]
    fn missing_answers_name_the_option_or_come_from_the_terminal() {
        let mut a = CommandLineAnswers::new(Answers::default(), NoTerminal);
        let LoginReply::Cancel(why) = a.answer(&realms()) else {
            panic!()
        };
        assert!(
            why.contains("no terminal") && why.contains("--authgroup"),
            "{why}"
        );
        let LoginReply::Cancel(why) = a.answer(&pw_prompt()) else {
            panic!()
        };
        assert!(why.contains("-u/--user"), "{why}");
        let mut a = CommandLineAnswers::new(Answers::default(), Typed(vec!["2", "bob", "pw"]));
        assert_eq!(a.answer(&realms()), LoginReply::Choice("Admins".into()));
        assert_eq!(
            a.answer(&pw_prompt()),
            LoginReply::Password {
                username: Some("bob".into()),
                password: Zeroizing::new("pw".into())
            }
        );
        let answers = Answers {
            authgroup: Some("nobody".into()),
            ..Answers::default()
        };
        let mut a = CommandLineAnswers::new(answers, NoTerminal);
        let LoginReply::Cancel(why) = a.answer(&realms()) else {
            panic!()
        };
        assert!(why.contains("Users, Admins"), "{why}");
    }
}

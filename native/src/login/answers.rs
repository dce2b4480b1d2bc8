//! What the user gave on the command line to fill the login forms:
//! `-u`, the password from standard input (used once), `--authgroup`,
//! `--form-entry FORM:FIELD=VALUE`, `--non-inter`.

use zeroize::{Zeroize, Zeroizing};

use super::form::Choice;

/// A `--form-entry FORM:FIELD=VALUE`. The value may be a secret (a
/// password given this way): it is zeroed when the entry is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEntry {
    /// The form's name or id.
    pub form: String,
    /// The field name.
    pub field: String,
    /// The value.
    pub value: String,
}

impl Drop for FormEntry {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl std::str::FromStr for FormEntry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (form, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("form entry {s:?} is not FORM:FIELD=VALUE"))?;
        let (field, value) = rest
            .split_once('=')
            .ok_or_else(|| format!("form entry {s:?} is not FORM:FIELD=VALUE"))?;
        if form.is_empty() || field.is_empty() {
            return Err(format!("form entry {s:?} is not FORM:FIELD=VALUE"));
        }
        Ok(FormEntry {
            form: form.into(),
            field: field.into(),
            value: value.into(),
        })
    }
}

/// The non-interactive answers. `Debug` hides the password and the token
/// codes, and both are zeroed when dropped.
#[derive(Clone, Default)]
pub struct Answers {
    /// `-u/--user`.
    pub user: Option<String>,
    /// The password (`--passwd-on-stdin`), used for the first password field only.
    pub password: Option<Zeroizing<String>>,
    /// `--authgroup`: the realm and the role.
    pub authgroup: Option<String>,
    /// `--form-entry`.
    pub form_entries: Vec<FormEntry>,
    /// `--non-inter`: fail instead of asking.
    pub non_inter: bool,
    /// `--csd-wrapper` is configured (the Host Checker may run).
    pub csd_wrapper: bool,
    /// Software-token codes to fill token fields with, in order (the
    /// current and the next one, auth.md §6.1); when used up, token
    /// fields are asked like passwords.
    pub token_codes: Zeroizing<Vec<String>>,
    /// Called with the index (into the original `token_codes`) of each
    /// code as it is put into a form, before the form is sent: HOTP
    /// counters are saved here (OpenConnect writes its token file back
    /// at the same point).
    pub token_used: Option<TokenHook>,
}

/// See [`Answers::token_used`].
pub type TokenHook = std::sync::Arc<dyn Fn(usize) + Send + Sync>;

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("authgroup", &self.authgroup)
            .field("form_entries", &self.form_entries.len())
            .field("non_inter", &self.non_inter)
            .field("token_codes", &self.token_codes.len())
            .finish()
    }
}

impl Answers {
    /// The `--form-entry` value for `form`:`field`.
    pub fn entry(&self, form: &str, field: &str) -> Option<&str> {
        self.form_entries
            .iter()
            .rev()
            .find(|e| e.form == form && e.field == field)
            .map(|e| e.value.as_str())
    }
}

/// OpenConnect's `--authgroup` matching (auth.md §5): a label equal to
/// `wanted` (ignoring case) wins, else `wanted` must prefix exactly one
/// label.
pub fn match_choice<'a>(choices: &'a [Choice], wanted: &str) -> Option<&'a Choice> {
    let w = wanted.to_lowercase();
    if let Some(c) = choices.iter().find(|c| c.label.to_lowercase() == w) {
        return Some(c);
    }
    let mut prefixed = choices
        .iter()
        .filter(|c| c.label.to_lowercase().starts_with(&w));
    match (prefixed.next(), prefixed.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &str, l: &str) -> Choice {
        Choice {
            value: v.into(),
            label: l.into(),
        }
    }

    #[test]
    fn authgroup_exact_then_unique_prefix() {
        let cs = [c("0", "Users"), c("1", "User admins"), c("2", "Staff")];
        assert_eq!(match_choice(&cs, "users").unwrap().value, "0");
        assert_eq!(match_choice(&cs, "st").unwrap().value, "2");
        assert!(match_choice(&cs, "user").is_none(), "ambiguous prefix");
        assert!(match_choice(&cs, "x").is_none());
    }

    #[test]
    fn debug_hides_the_password_and_codes() {
        let a = Answers {
            user: Some("alice".into()),
            password: Some(String::from("hunter2-secret").into()),
            token_codes: vec!["918273".to_string()].into(),
            form_entries: vec!["frmLogin:password=entry-secret".parse().unwrap()],
            ..Default::default()
        };
        let shown = format!("{a:?}");
        assert!(shown.contains("alice"), "{shown}");
        for secret in ["hunter2", "918273", "entry-secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn form_entry_syntax() {
        let e: FormEntry = "frmX:pin=12:34=5".parse().unwrap();
        assert_eq!(
            (e.form.as_str(), e.field.as_str(), e.value.as_str()),
            ("frmX", "pin", "12:34=5")
        );
        assert!("nocolon".parse::<FormEntry>().is_err());
        assert!("f:novalue".parse::<FormEntry>().is_err());
    }
}

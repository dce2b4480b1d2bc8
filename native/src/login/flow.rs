//! The login loop as a pure state machine (auth.md §3): each HTTP
//! response goes in, the next action comes out — send a request, ask the
//! user, run the Host Checker, done (DSID) or failed. No sockets, no
//! terminal: [`crate::auth::login`] does the I/O.

use url::Url;

use super::answers::{Answers, match_choice};
use super::form::{Choice, Field, FieldKind, Form, FormKind, parse_page};
use super::jar::CookieJar;

/// Redirects followed per request (auth.md §1.4).
pub const MAX_REDIRECTS: u32 = 10;
/// Requests per login before giving up (a loop guard).
pub const MAX_REQUESTS: u32 = 64;

/// An HTTP request to send.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Absolute https URL.
    pub url: Url,
    /// The form body (`None`: GET).
    pub body: Option<String>,
}

impl std::fmt::Debug for HttpRequest {
    /// Method and URL only: bodies hold passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = if self.body.is_some() { "POST" } else { "GET" };
        write!(f, "{m} {}", self.url)
    }
}

/// A response, as the flow needs it.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// `Set-Cookie` header values, in order.
    pub set_cookies: Vec<String>,
    /// `Location` header.
    pub location: Option<String>,
    /// Body text.
    pub body: String,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// Free text (echoed).
    Text,
    /// Secret text (not echoed).
    Password,
    /// One of these (answer with the choice's value).
    Choice(Vec<Choice>),
}

/// One question for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The form's name (for `--form-entry`).
    pub form: String,
    /// The field's name.
    pub field: String,
    /// What the user sees.
    pub label: String,
    /// Its kind.
    pub kind: QuestionKind,
}

/// The login succeeded. `Debug` shows the URL only; the cookie strings
/// are zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Success {
    /// OpenConnect's cookie string (`DSID=…; DSFirst=…`).
    pub cookie: String,
    /// The whole jar as a `Cookie` header (what the tunnel request sends).
    pub jar: String,
    /// The URL the login ended on.
    pub url: Url,
}

impl Drop for Success {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.cookie);
        zeroize::Zeroize::zeroize(&mut self.jar);
    }
}

impl std::fmt::Debug for Success {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Success")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The gateway refused the request (401/403 without a DSID, other errors).
    #[error("the gateway answered {status} to {url}{}", hint(.status))]
    Status {
        /// HTTP status.
        status: u16,
        /// The URL requested.
        url: String,
    },
    /// A page with neither a form nor a DSID.
    #[error("failed to find a web form in the login page at {0}")]
    NoForm(String),
    /// Redirect loop or a bad `Location`.
    #[error("bad redirect: {0}")]
    Redirect(String),
    /// A form that cannot be submitted.
    #[error("cannot handle form {form:?}: {reason}")]
    BadForm {
        /// Form name.
        form: String,
        /// Why.
        reason: String,
    },
    /// An answer was needed but `--non-inter` was given.
    #[error("{}the login needs {what} (form {form:?}); give it with {how}, or run without --non-inter", fmt_page_error(.page_error))]
    NeedsInput {
        /// The form.
        form: String,
        /// The field(s).
        what: String,
        /// The option that would supply it.
        how: String,
        /// The gateway's error message on that page.
        page_error: Option<String>,
    },
    /// The Host Checker page came without a `DSPREAUTH` cookie.
    #[error("no DSPREAUTH cookie; not attempting the Host Checker (TNCC)")]
    NoPreauth,
    /// The same empty form twice, or too many requests.
    #[error("login cancelled: {0}")]
    Cancelled(String),
    /// An answer that is not one of the choices.
    #[error("{0:?} is not one of the choices for {1}")]
    BadChoice(String, String),
}

fn hint(status: &u16) -> &'static str {
    match status {
        401 | 403 => " (permission denied)",
        _ => "",
    }
}

fn fmt_page_error(e: &Option<String>) -> String {
    e.as_ref()
        .map(|e| format!("the gateway says: {e:?}; "))
        .unwrap_or_default()
}

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this request and feed the response to [`Login::on_response`].
    Send(HttpRequest),
    /// Ask these and feed the answers (in order) to [`Login::on_answers`].
    Ask {
        /// The questions.
        questions: Vec<Question>,
        /// A message from the page (error or notice) to show first.
        message: Option<String>,
    },
    /// Run `--csd-wrapper` and feed its new `DSPREAUTH` to
    /// [`Login::on_tncc`].
    RunTncc {
        /// The current `DSPREAUTH`.
        preauth: String,
        /// The `DSSIGNIN` cookie, if any.
        signin: Option<String>,
    },
    /// Logged in.
    Done(Success),
    /// Failed.
    Fail(AuthError),
}

/// A form waiting for the user's answers.
#[derive(Debug, Clone)]
struct Waiting {
    form: Form,
    /// Values filled so far (by field name); `None` = asked.
    values: Vec<(String, Option<String>)>,
    questions: Vec<Question>,
}

/// One login.
#[derive(Debug)]
pub struct Login {
    answers: Answers,
    jar: CookieJar,
    /// The URL of the last request.
    url: Url,
    redirects: u32,
    requests: u32,
    password_used: bool,
    tncc_ran: bool,
    empty_forms: u32,
    waiting: Option<Waiting>,
    /// Software-token codes put into forms so far.
    tokens_used: usize,
}

/// The `application/x-www-form-urlencoded` body OpenConnect sends
/// (auth.md §1.2): unreserved bytes as is, the rest `%xx` lowercase.
pub fn encode_form(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        let mut o = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                o.push(b as char);
            } else {
                o.push_str(&format!("%{b:02x}"));
            }
        }
        o
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Login {
    /// Starts a login at `start` (the gateway URL; `/` when it has no path).
    pub fn new(start: Url, answers: Answers) -> (Login, Step) {
        let login = Login {
            answers,
            jar: CookieJar::new(),
            url: start.clone(),
            redirects: 0,
            requests: 1,
            password_used: false,
            tncc_ran: false,
            empty_forms: 0,
            waiting: None,
            tokens_used: 0,
        };
        (
            login,
            Step::Send(HttpRequest {
                url: start,
                body: None,
            }),
        )
    }

    /// The cookie jar.
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }

    fn send(&mut self, url: Url, body: Option<String>) -> Step {
        self.requests += 1;
        if self.requests > MAX_REQUESTS {
            return Step::Fail(AuthError::Cancelled(format!(
                "more than {MAX_REQUESTS} requests"
            )));
        }
        self.url = url.clone();
        Step::Send(HttpRequest { url, body })
    }

    /// Resolves a `Location` or `action` against the current URL; on
    /// another host or port the jar is emptied (auth.md §1.4).
    fn resolve(&mut self, target: &str) -> Result<Url, AuthError> {
        let next = self
            .url
            .join(target)
            .map_err(|e| AuthError::Redirect(format!("{target:?}: {e}")))?;
        if next.scheme() != "https" {
            return Err(AuthError::Redirect(format!(
                "{target:?} is not an https URL"
            )));
        }
        if next.host_str() != self.url.host_str()
            || next.port_or_known_default() != self.url.port_or_known_default()
        {
            self.jar.clear();
        }
        Ok(next)
    }

    /// Feeds the response to the last request.
    pub fn on_response(&mut self, resp: HttpResponse) -> Step {
        for c in &resp.set_cookies {
            self.jar.set_cookie_header(c);
        }
        if let Some(cookie) = self.jar.session_cookie() {
            return Step::Done(Success {
                cookie,
                jar: self.jar.header().unwrap_or_default(),
                url: self.url.clone(),
            });
        }
        if (300..400).contains(&resp.status)
            && let Some(loc) = resp
                .location
                .as_deref()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            self.redirects += 1;
            if self.redirects > MAX_REDIRECTS {
                return Step::Fail(AuthError::Redirect(format!(
                    "more than {MAX_REDIRECTS} redirects"
                )));
            }
            return match self.resolve(loc) {
                Ok(u) => self.send(u, None),
                Err(e) => Step::Fail(e),
            };
        }
        self.redirects = 0;
        if resp.status != 200 || resp.body.is_empty() {
            return Step::Fail(AuthError::Status {
                status: resp.status,
                url: self.url.to_string(),
            });
        }
        let page = parse_page(&resp.body);
        let Some(form) = page.form else {
            if self.answers.csd_wrapper && !self.tncc_ran {
                let Some(preauth) = self.jar.get("DSPREAUTH") else {
                    return Step::Fail(AuthError::NoPreauth);
                };
                self.tncc_ran = true;
                return Step::RunTncc {
                    preauth: preauth.to_string(),
                    signin: self.jar.get("DSSIGNIN").map(str::to_string),
                };
            }
            return Step::Fail(AuthError::NoForm(self.url.to_string()));
        };
        self.on_form(form, page.error)
    }

    /// Feeds the Host Checker's new `DSPREAUTH`; the page is requested again.
    pub fn on_tncc(&mut self, preauth: &str) -> Step {
        self.jar.set("DSPREAUTH", preauth);
        let u = self.url.clone();
        self.send(u, None)
    }

    fn on_form(&mut self, form: Form, page_error: Option<String>) -> Step {
        if let Some(m) = &form.message {
            tracing::info!("gateway message: {m}");
        }
        if form.kind == FormKind::SelectRoles {
            return self.on_roles(form, page_error);
        }
        if !form
            .method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("post"))
        {
            return Step::Fail(AuthError::BadForm {
                form: form.ident().to_string(),
                reason: format!(
                    "method {:?} is not POST{}",
                    form.method.as_deref().unwrap_or(""),
                    if form
                        .action
                        .as_deref()
                        .is_some_and(|a| a.contains("remediate.cgi"))
                    {
                        " (this likely means the Host Checker failed)"
                    } else {
                        ""
                    }
                ),
            });
        }
        let ident = form.ident().to_string();
        let mut values = Vec::new();
        let mut questions = Vec::new();
        let mut filled_something = false;
        let mut passwords_seen = 0;
        for f in &form.fields {
            let token_field = match (&f.kind, form.kind) {
                (FieldKind::Password, FormKind::Login | FormKind::AdfsLogin) => passwords_seen > 0,
                (FieldKind::Text, FormKind::AdfsLogin) => f.name == "VerificationCode",
                (
                    FieldKind::Password,
                    FormKind::Defender | FormKind::NextToken | FormKind::TotpToken,
                ) => true,
                _ => false,
            };
            if f.kind == FieldKind::Password {
                passwords_seen += 1;
            }
            let v = if token_field
                && self.answers.entry(&ident, &f.name).is_none()
                && !self.answers.token_codes.is_empty()
            {
                if let Some(used) = &self.answers.token_used {
                    used(self.tokens_used);
                }
                self.tokens_used += 1;
                Ok(Some(self.answers.token_codes.remove(0)))
            } else {
                self.fill(&form, f, &mut questions, &page_error)
            };
            match v {
                Ok(Some(v)) => {
                    if !matches!(f.kind, FieldKind::Select(_)) || f.name != "realm" {
                        filled_something = true;
                    }
                    values.push((f.name.clone(), Some(v)));
                }
                Ok(None) => {
                    filled_something = true;
                    values.push((f.name.clone(), None));
                }
                Err(e) => return Step::Fail(e),
            }
        }
        if filled_something {
            self.empty_forms = 0;
        } else {
            self.empty_forms += 1;
            if self.empty_forms >= 2 {
                return Step::Fail(AuthError::Cancelled(format!(
                    "form {ident:?} came back with nothing to fill"
                )));
            }
        }
        let w = Waiting {
            form,
            values,
            questions,
        };
        if w.questions.is_empty() {
            return self.submit(w);
        }
        if self.answers.non_inter {
            return Step::Fail(AuthError::NeedsInput {
                form: ident.clone(),
                what: w
                    .questions
                    .iter()
                    .map(|q| q.field.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                how: how_to_answer(&ident, &w.questions[0]),
                page_error,
            });
        }
        let questions = w.questions.clone();
        self.waiting = Some(w);
        Step::Ask {
            questions,
            message: page_error,
        }
    }

    /// The value of one field: `Ok(Some)` filled, `Ok(None)` asked
    /// (a question was pushed).
    fn fill(
        &mut self,
        form: &Form,
        f: &Field,
        questions: &mut Vec<Question>,
        page_error: &Option<String>,
    ) -> Result<Option<String>, AuthError> {
        let ident = form.ident();
        let entry = self.answers.entry(ident, &f.name).map(str::to_string);
        let ask = |kind: QuestionKind| Question {
            form: ident.to_string(),
            field: f.name.clone(),
            label: f.label.clone(),
            kind,
        };
        match &f.kind {
            FieldKind::Hidden => Ok(Some(f.value.clone())),
            FieldKind::Checkbox => {
                // frmConfirmation lists open sessions as checkboxes: the
                // user picks which to close (an empty answer: none).
                let group = form.checkbox_groups.iter().find(|(n, _)| *n == f.name);
                if form.kind == FormKind::Confirmation
                    && let Some((_, choices)) = group
                {
                    if let Some(e) = entry {
                        return Ok(Some(e));
                    }
                    if self.answers.non_inter {
                        // OpenConnect's behaviour: the first one is ticked.
                        return Ok(Some(f.value.clone()));
                    }
                    let mut cs = choices.clone();
                    cs.push(Choice {
                        value: String::new(),
                        label: "close none".into(),
                    });
                    questions.push(Question {
                        label: "Sessions already open; close one to continue".into(),
                        ..ask(QuestionKind::Choice(cs))
                    });
                    return Ok(None);
                }
                Ok(Some(entry.unwrap_or_else(|| f.value.clone())))
            }
            FieldKind::Select(choices) => {
                if f.name == "realm"
                    && let Some(g) = &self.answers.authgroup
                {
                    match match_choice(choices, g) {
                        Some(c) => return Ok(Some(c.value.clone())),
                        None if self.answers.non_inter => {
                            return Err(AuthError::BadChoice(
                                g.clone(),
                                "the realm (--authgroup)".into(),
                            ));
                        }
                        None => tracing::warn!("--authgroup {g:?} matches no single realm"),
                    }
                }
                if let Some(e) = entry {
                    return match choices
                        .iter()
                        .find(|c| c.value == e)
                        .or_else(|| match_choice(choices, &e))
                    {
                        Some(c) => Ok(Some(c.value.clone())),
                        None => Err(AuthError::BadChoice(e, f.name.clone())),
                    };
                }
                if choices.len() == 1 {
                    return Ok(Some(choices[0].value.clone()));
                }
                questions.push(ask(QuestionKind::Choice(choices.clone())));
                Ok(None)
            }
            FieldKind::Text => {
                if let Some(e) = entry {
                    return Ok(Some(e));
                }
                let lname = f.name.to_ascii_lowercase();
                if (lname.starts_with("user") || lname.starts_with("uname"))
                    && let Some(u) = &self.answers.user
                {
                    return Ok(Some(u.clone()));
                }
                questions.push(ask(QuestionKind::Text));
                Ok(None)
            }
            FieldKind::Password => {
                if let Some(e) = entry {
                    return Ok(Some(e));
                }
                if !self.password_used
                    && let Some(p) = &self.answers.password
                {
                    self.password_used = true;
                    return Ok(Some(String::clone(p)));
                }
                let _ = page_error;
                questions.push(ask(QuestionKind::Password));
                Ok(None)
            }
        }
    }

    /// Feeds the answers to the last [`Step::Ask`], in order.
    pub fn on_answers(&mut self, answers: Vec<String>) -> Step {
        let Some(mut w) = self.waiting.take() else {
            return Step::Fail(AuthError::Cancelled("answers without a question".into()));
        };
        if w.form.kind == FormKind::SelectRoles {
            let Some(href) = answers.into_iter().next() else {
                return Step::Fail(AuthError::Cancelled("no role chosen".into()));
            };
            return self.follow_role(&href);
        }
        let mut it = answers.into_iter();
        for q in &w.questions {
            let a = it.next().unwrap_or_default();
            if let QuestionKind::Choice(cs) = &q.kind
                && !cs.iter().any(|c| c.value == a)
            {
                return Step::Fail(AuthError::BadChoice(a, q.field.clone()));
            }
            if let Some(slot) = w
                .values
                .iter_mut()
                .find(|(n, v)| *n == q.field && v.is_none())
            {
                slot.1 = Some(a);
            }
        }
        self.submit(w)
    }

    fn submit(&mut self, w: Waiting) -> Step {
        let pairs: Vec<(String, String)> = w
            .values
            .into_iter()
            .filter_map(|(n, v)| {
                let v = v.unwrap_or_default();
                // An unticked checkbox (empty confirmation choice) is not sent.
                let unticked = v.is_empty()
                    && w.form.kind == FormKind::Confirmation
                    && w.form.checkbox_groups.iter().any(|(g, _)| *g == n);
                (!unticked).then_some((n, v))
            })
            .collect();
        let target = match w.form.action.as_deref().filter(|a| !a.is_empty()) {
            Some(a) => match self.resolve(a) {
                Ok(u) => u,
                Err(e) => return Step::Fail(e),
            },
            None => self.url.clone(),
        };
        tracing::debug!("submitting form {:?}", w.form.ident());
        self.send(target, Some(encode_form(&pairs)))
    }

    fn on_roles(&mut self, form: Form, page_error: Option<String>) -> Step {
        let ident = form.ident().to_string();
        if form.roles.is_empty() {
            return Step::Fail(AuthError::BadForm {
                form: ident,
                reason: "no role links".into(),
            });
        }
        let chosen = self
            .answers
            .authgroup
            .as_deref()
            .and_then(|g| match_choice(&form.roles, g))
            .or_else(|| {
                self.answers
                    .entry(&ident, "role")
                    .and_then(|e| match_choice(&form.roles, e))
            })
            .or(if form.roles.len() == 1 {
                form.roles.first()
            } else {
                None
            })
            .map(|c| c.value.clone());
        if let Some(href) = chosen {
            return self.follow_role(&href);
        }
        let q = Question {
            form: ident.clone(),
            field: "role".into(),
            label: "Role".into(),
            kind: QuestionKind::Choice(form.roles.clone()),
        };
        if self.answers.non_inter {
            return Step::Fail(AuthError::NeedsInput {
                form: ident.clone(),
                what: "a role".into(),
                how: "--authgroup ROLE".into(),
                page_error,
            });
        }
        self.waiting = Some(Waiting {
            form,
            values: Vec::new(),
            questions: vec![q.clone()],
        });
        Step::Ask {
            questions: vec![q],
            message: page_error,
        }
    }

    fn follow_role(&mut self, href: &str) -> Step {
        match self.resolve(href) {
            Ok(u) => self.send(u, None),
            Err(e) => Step::Fail(e),
        }
    }
}

fn how_to_answer(form: &str, q: &Question) -> String {
    match (&q.kind, q.field.as_str()) {
        (QuestionKind::Password, _) => {
            format!("--passwd-on-stdin or --form-entry {form}:{}=VALUE", q.field)
        }
        (QuestionKind::Choice(_), "realm") => "--authgroup NAME".into(),
        (QuestionKind::Text, f) if f.to_ascii_lowercase().starts_with("user") => "-u/--user".into(),
        _ => format!("--form-entry {form}:{}=VALUE", q.field),
    }
}

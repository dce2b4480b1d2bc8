//! Reading a login page: the first `<form>` and its fields, the way
//! OpenConnect reads it (auth.md §4), through a real HTML parser.

use scraper::{ElementRef, Html, Selector};

/// One choice of a select, a role link or a checkbox group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What is sent (option `value`, link `href`, checkbox `value`).
    pub value: String,
    /// What the user sees.
    pub label: String,
}

/// What a field is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Sent as written (hidden inputs, honoured submit buttons).
    Hidden,
    /// Free text.
    Text,
    /// Secret text.
    Password,
    /// A `<select>`.
    Select(Vec<Choice>),
    /// A checkbox: sent ticked with its value (auth.md §4.2).
    Checkbox,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The `name` attribute.
    pub name: String,
    /// Its kind.
    pub kind: FieldKind,
    /// Its `value` attribute (empty when missing).
    pub value: String,
    /// The label a person would see (a `<label for>`, else the name).
    pub label: String,
}

/// The recognised forms (auth.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// `frmLogin`.
    Login,
    /// ADFS/Azure `loginForm`.
    AdfsLogin,
    /// `frmDefender`.
    Defender,
    /// `frmNextToken`.
    NextToken,
    /// `frmTotpToken`.
    TotpToken,
    /// `frmConfirmation`.
    Confirmation,
    /// `frmSelectRoles`.
    SelectRoles,
    /// SAML POST-binding (`hiddenform`, `formSAMLSSO`).
    Saml,
    /// Anything else: every visible field is asked.
    Unknown,
}

impl FormKind {
    fn of(name: Option<&str>, id: Option<&str>) -> FormKind {
        match name {
            Some("frmLogin") => return FormKind::Login,
            Some("frmDefender") => return FormKind::Defender,
            Some("frmNextToken") => return FormKind::NextToken,
            Some("frmTotpToken") => return FormKind::TotpToken,
            Some("frmConfirmation") => return FormKind::Confirmation,
            Some("frmSelectRoles") => return FormKind::SelectRoles,
            Some("hiddenform") => return FormKind::Saml,
            _ => {}
        }
        match id {
            Some("loginForm") => FormKind::AdfsLogin,
            Some("formSAMLSSO") => FormKind::Saml,
            _ => FormKind::Unknown,
        }
    }

    /// The submit button this form's page is submitted with.
    fn button(self) -> Option<&'static str> {
        match self {
            FormKind::Login => Some("btnSubmit"),
            FormKind::AdfsLogin => Some("submitButton"),
            FormKind::Defender | FormKind::NextToken => Some("btnAction"),
            FormKind::TotpToken => Some("totpactionEnter"),
            FormKind::Confirmation => Some("btnContinue"),
            FormKind::Saml => Some("submit"),
            FormKind::SelectRoles | FormKind::Unknown => None,
        }
    }
}

/// Submit buttons honoured in every form (auth.md §4.1).
const ALWAYS_HONOURED: [&str; 3] = [
    "sn-preauth-proceed",
    "sn-postauth-proceed",
    "secidactionEnter",
];

/// The first form of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `name` attribute.
    pub name: Option<String>,
    /// `id` attribute.
    pub id: Option<String>,
    /// Which form it is.
    pub kind: FormKind,
    /// `method` attribute.
    pub method: Option<String>,
    /// `action` attribute.
    pub action: Option<String>,
    /// Fields in submission order (selects first, auth.md §4.2).
    pub fields: Vec<Field>,
    /// Every checkbox choice by name (the fields keep only the first).
    pub checkbox_groups: Vec<(String, Vec<Choice>)>,
    /// Role links (`frmSelectRoles`).
    pub roles: Vec<Choice>,
    /// Pre/post sign-in message (`sn-preauth-text` / `sn-postauth-text`).
    pub message: Option<String>,
}

impl Form {
    /// The name the user refers to it by (`--form-entry FORM:…`): its
    /// `name`, else its `id`, else `form`.
    pub fn ident(&self) -> &str {
        self.name
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or("form")
    }
}

/// What a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Its first form, if any.
    pub form: Option<Form>,
    /// An error message shown on the page (Juniper's `cssSmallError`,
    /// or an element with id `error`).
    pub error: Option<String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a page.
pub fn parse_page(html: &str) -> Page {
    let doc = Html::parse_document(html);
    let error = doc
        .select(&sel(".cssSmallError, #error, .error"))
        .map(text_of)
        .find(|t| !t.is_empty());
    let form = doc.select(&sel("form")).next().map(|f| read_form(&doc, f));
    Page { form, error }
}

fn read_form(doc: &Html, f: ElementRef<'_>) -> Form {
    let attr = |n: &str| f.value().attr(n).map(str::to_string);
    let (name, id) = (attr("name"), attr("id"));
    let kind = FormKind::of(name.as_deref(), id.as_deref());
    let labels: Vec<(String, String)> = doc
        .select(&sel("label[for]"))
        .filter_map(|l| Some((l.value().attr("for")?.to_string(), text_of(l))))
        .collect();
    let label_for = |e: ElementRef<'_>, fallback: &str| {
        e.value()
            .attr("id")
            .and_then(|id| labels.iter().find(|(f, _)| f == id))
            .map(|(_, t)| t.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut inputs: Vec<Field> = Vec::new();
    let mut selects: Vec<Field> = Vec::new();
    let mut checkbox_groups: Vec<(String, Vec<Choice>)> = Vec::new();
    let mut message = None;
    let mut first_submit: Option<Field> = None;
    for e in f.select(&sel("input, select, textarea")) {
        let v = e.value();
        let Some(fname) = v.attr("name").map(str::to_string) else {
            continue;
        };
        match v.name() {
            "select" => {
                let choices = e
                    .select(&sel("option"))
                    .map(|o| Choice {
                        value: o
                            .value()
                            .attr("value")
                            .map(str::to_string)
                            .unwrap_or_else(|| text_of(o)),
                        label: text_of(o),
                    })
                    .collect();
                let label = label_for(e, &fname);
                selects.insert(
                    0,
                    Field {
                        name: fname,
                        kind: FieldKind::Select(choices),
                        value: String::new(),
                        label,
                    },
                );
            }
            "textarea" => {
                if fname == "sn-preauth-text" || fname == "sn-postauth-text" {
                    message = Some(e.text().collect::<String>().trim().to_string());
                }
            }
            _ => {
                let ty = v.attr("type").unwrap_or("text").to_ascii_lowercase();
                let value = v.attr("value").unwrap_or("").to_string();
                let hidden_style = v
                    .attr("style")
                    .is_some_and(|s| s.replace(' ', "").contains("display:none"));
                let kind = match ty.as_str() {
                    _ if hidden_style => FieldKind::Hidden,
                    "hidden" => FieldKind::Hidden,
                    "password" => FieldKind::Password,
                    "text" | "username" | "email" => FieldKind::Text,
                    "checkbox" => {
                        let label = row_text(e).unwrap_or_else(|| label_for(e, &value));
                        let choice = Choice {
                            value: value.clone(),
                            label,
                        };
                        match checkbox_groups.iter_mut().find(|(n, _)| *n == fname) {
                            Some((_, g)) => g.push(choice),
                            None => checkbox_groups.push((fname.clone(), vec![choice])),
                        }
                        FieldKind::Checkbox
                    }
                    "submit" => {
                        let honoured = kind.button() == Some(fname.as_str())
                            || ALWAYS_HONOURED.contains(&fname.as_str());
                        let field = Field {
                            name: fname.clone(),
                            kind: FieldKind::Hidden,
                            value: value.clone(),
                            label: fname.clone(),
                        };
                        if !honoured {
                            if first_submit.is_none() && fname != "btnCancel" {
                                first_submit = Some(field);
                            }
                            continue;
                        }
                        FieldKind::Hidden
                    }
                    _ => continue,
                };
                let label = label_for(e, &fname);
                inputs.push(Field {
                    name: fname,
                    kind,
                    value,
                    label,
                });
            }
        }
    }
    // An unknown form is submitted the way a browser would on Enter: with
    // its first named submit button.
    if kind == FormKind::Unknown
        && let Some(b) = first_submit
    {
        inputs.push(b);
    }
    let mut fields: Vec<Field> = Vec::new();
    for fl in selects.into_iter().chain(inputs) {
        if !fields.iter().any(|x| x.name == fl.name) {
            fields.push(fl);
        }
    }
    let roles = if kind == FormKind::SelectRoles {
        doc.select(&sel("#TABLE_SelectRole_1 a[href]"))
            .map(|a| Choice {
                value: a.value().attr("href").unwrap_or("").to_string(),
                label: text_of(a),
            })
            .collect()
    } else {
        Vec::new()
    };
    Form {
        name,
        id,
        kind,
        method: attr("method"),
        action: attr("action"),
        fields,
        checkbox_groups,
        roles,
        message,
    }
}

/// The text of the table row holding `e` (a checkbox's description).
fn row_text(e: ElementRef<'_>) -> Option<String> {
    e.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "tr")
        .map(text_of)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_form_fields_in_openconnect_order() {
        let html = r#"<html><body><p class="cssSmallError">Invalid username or password.</p>
          <form name="frmLogin" method="POST" action="login.cgi">
          <input type="hidden" name="tz_offset">
          <label for="u">Username</label><input type="text" id="u" name="username">
          <input type="password" name="password">
          <input type="submit" name="btnSubmit" value="Sign In">
          <input type="submit" name="btnOther" value="No">
          <select name="realm"><option value="0">xyz</option><option value="1">abc</option></select>
          <input type="checkbox" name="c" value="1"><input type="checkbox" name="c" value="2">
          <input type="radio" name="r" value="1">
          </form><form name="frmLogin2"></form></body></html>"#;
        let p = parse_page(html);
        assert_eq!(p.error.as_deref(), Some("Invalid username or password."));
        let f = p.form.unwrap();
        assert_eq!(f.kind, FormKind::Login);
        let names: Vec<_> = f.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "realm",
                "tz_offset",
                "username",
                "password",
                "btnSubmit",
                "c"
            ]
        );
        assert_eq!(f.fields[2].label, "Username");
        assert_eq!(f.fields[4].value, "Sign In");
        assert_eq!(f.checkbox_groups[0].1.len(), 2);
        match &f.fields[0].kind {
            FieldKind::Select(c) => assert_eq!(
                c[1],
                Choice {
                    value: "1".into(),
                    label: "abc".into()
                }
            ),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn roles_and_kinds() {
        let html = r#"<form name="frmSelectRoles"><table id="TABLE_SelectRole_1">
          <tr><td>pick</td></tr><tr><td><a href="login.cgi?role=0">foo</a></td></tr>
          <tr><td><a href="login.cgi?role=1">bar</a></td></tr></table></form>"#;
        let f = parse_page(html).form.unwrap();
        assert_eq!(f.kind, FormKind::SelectRoles);
        assert_eq!(f.roles[1].label, "bar");
        assert_eq!(f.roles[1].value, "login.cgi?role=1");
        assert!(parse_page("<p>no form</p>").form.is_none());
        let f = parse_page(r#"<form id="loginForm"><input type="email" name="UserName"></form>"#)
            .form
            .unwrap();
        assert_eq!(f.kind, FormKind::AdfsLogin);
        assert_eq!(f.fields[0].kind, FieldKind::Text);
        let f = parse_page(r#"<form name="custom"><input name="pin"><input type="submit" name="go" value="Go"></form>"#).form.unwrap();
        assert_eq!(f.kind, FormKind::Unknown);
        assert_eq!(f.ident(), "custom");
        assert_eq!(f.fields.len(), 2);
    }
}

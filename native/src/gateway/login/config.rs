//! What `oncp gateway`'s sign-in asks for: realms, a second factor,
//! the "already signed in" confirmation and roles.

/// The page that asks for the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenForm {
    /// A second password field (`token_as_second_password`) in `frmLogin`.
    Login,
    /// A separate `frmDefender` challenge page.
    Defender,
    /// A separate `frmTotpToken` page.
    Totp,
    /// A separate `frmNextToken` page (RSA "next tokencode").
    NextToken,
}

impl TokenForm {
    /// The form's `name` attribute.
    pub fn form_name(self) -> &'static str {
        match self {
            TokenForm::Login => "frmLogin",
            TokenForm::Defender => "frmDefender",
            TokenForm::Totp => "frmTotpToken",
            TokenForm::NextToken => "frmNextToken",
        }
    }
}

impl std::str::FromStr for TokenForm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            TokenForm::Login,
            TokenForm::Defender,
            TokenForm::Totp,
            TokenForm::NextToken,
        ]
        .into_iter()
        .find(|t| t.form_name().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            format!("unknown token form {s:?} (frmLogin, frmDefender, frmTotpToken, frmNextToken)")
        })
    }
}

/// When the "already signed in" page (`frmConfirmation`) is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfirmMode {
    /// Only when the user already has an open session (as Juniper does
    /// when its per-user session limit is reached).
    IfActive,
    /// After every sign-in.
    Always,
    /// Never (open sessions are simply kept).
    #[default]
    Never,
}

impl std::str::FromStr for ConfirmMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "if-active" => Ok(ConfirmMode::IfActive),
            "always" => Ok(ConfirmMode::Always),
            "never" => Ok(ConfirmMode::Never),
            _ => Err(format!(
                "unknown confirmation mode {s:?} (if-active, always, never)"
            )),
        }
    }
}

/// The second factor a sign-in needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// Where it is asked for.
    pub form: TokenForm,
    /// The code accepted; `None`: any code of 6 to 8 digits (like
    /// OpenConnect's test server).
    pub code: Option<String>,
    /// A TOTP secret (OpenConnect's `--token-secret` syntax): only its
    /// current code (or the one of the step before or after) is accepted.
    pub totp: Option<crate::login::otp::Secret>,
}

/// The sign-in steps the gateway serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginConfig {
    /// Realms offered in a `<select name="realm">` (empty: a hidden realm).
    pub realms: Vec<String>,
    /// Roles offered after sign-in (`frmSelectRoles`; fewer than two: none).
    pub roles: Vec<String>,
    /// A second factor.
    pub token: Option<TokenConfig>,
    /// When to show `frmConfirmation`.
    pub confirm: ConfirmMode,
    /// SAML sign-in through the mock IdP (`--saml`).
    pub saml: crate::gateway::saml::SamlMode,
    /// The MFA code the mock IdP accepts; `None`: any 6 to 8 digits.
    pub saml_mfa_code: Option<String>,
}

/// `oncp gateway`'s sign-in options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LoginArgs {
    /// Offer this realm in the sign-in page's realm list (repeatable).
    #[arg(long = "realm", value_name = "NAME")]
    pub realms: Vec<String>,
    /// Offer this role after sign-in (repeatable; two or more show the role page).
    #[arg(long = "role", value_name = "NAME")]
    pub roles: Vec<String>,
    /// Ask for a second factor on this form: frmLogin (second password),
    /// frmDefender, frmTotpToken or frmNextToken.
    #[arg(long, value_name = "FORM")]
    pub token_form: Option<TokenForm>,
    /// The second-factor code accepted (default: any 6 to 8 digits).
    #[arg(long, value_name = "CODE", requires = "token_form")]
    pub token_code: Option<String>,
    /// Accept only the TOTP codes (RFC 6238, 30 s steps, 6 digits, one
    /// step of clock skew) of this secret, in OpenConnect's
    /// `--token-secret` syntax (e.g. `base32:...`).
    #[arg(
        long,
        value_name = "SECRET",
        requires = "token_form",
        conflicts_with = "token_code"
    )]
    pub token_secret: Option<String>,
    /// When to show the "already signed in" confirmation: if-active,
    /// always or never.
    #[arg(long, value_name = "WHEN", default_value = "never")]
    pub confirm: ConfirmMode,
    /// Sign in through SAML with a mock identity provider on this
    /// listener (under /idp/: a script-built page, password, then an MFA
    /// code): `only` (the
    /// default when given without a value) or `button` (the sign-in form
    /// plus a "Sign in with SSO" button).
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "only")]
    pub saml: Option<crate::gateway::saml::SamlMode>,
    /// The MFA code the mock IdP accepts (default: any 6 to 8 digits).
    #[arg(long, value_name = "CODE", requires = "saml")]
    pub saml_mfa_code: Option<String>,
}

impl LoginArgs {
    /// The configuration these options describe; an unusable
    /// `--token-secret` is an error.
    pub fn to_config(&self) -> Result<LoginConfig, crate::login::otp::SecretError> {
        let totp = self
            .token_secret
            .as_deref()
            .map(|s| crate::login::otp::Secret::parse(s, false))
            .transpose()?;
        Ok(LoginConfig {
            realms: self.realms.clone(),
            roles: self.roles.clone(),
            token: self.token_form.map(|form| TokenConfig {
                form,
                code: self.token_code.clone(),
                totp: totp.clone(),
            }),
            confirm: self.confirm,
            saml: self.saml.unwrap_or_default(),
            saml_mfa_code: self.saml_mfa_code.clone(),
        })
    }
}

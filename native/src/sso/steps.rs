//! Scripted browser steps (`--browser-step`, a test aid): type into or
//! click page elements as a user would, each once its element exists.
//! Typed text is never logged.

use std::time::Duration;

use chromiumoxide::Page;

/// How often a step looks for its element.
pub const POLL: Duration = Duration::from_millis(200);

/// One step.
#[derive(Clone, PartialEq, Eq)]
pub enum BrowserStep {
    /// Type the text into the element matching the CSS selector.
    Type {
        /// CSS selector.
        selector: String,
        /// What to type.
        text: String,
    },
    /// Click the element matching the CSS selector.
    Click {
        /// CSS selector.
        selector: String,
    },
}

impl std::fmt::Debug for BrowserStep {
    /// The selector only: typed text may be a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrowserStep::Type { selector, .. } => write!(f, "type into {selector:?}"),
            BrowserStep::Click { selector } => write!(f, "click {selector:?}"),
        }
    }
}

impl std::str::FromStr for BrowserStep {
    type Err = String;
    /// `CSS=TEXT` or `CSS!`.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(sel) = s.strip_suffix('!').filter(|x| !x.contains('=')) {
            if sel.is_empty() {
                return Err("a click step needs a CSS selector before `!`".into());
            }
            return Ok(BrowserStep::Click {
                selector: sel.to_string(),
            });
        }
        match s.split_once('=') {
            Some((sel, text)) if !sel.is_empty() => Ok(BrowserStep::Type {
                selector: sel.to_string(),
                text: text.to_string(),
            }),
            _ => Err("a browser step is CSS=TEXT (type) or CSS! (click)".into()),
        }
    }
}

/// Runs the steps on `page` in order. Returns when all are done, or
/// with the first failure other than "not there yet".
pub async fn run(page: &Page, steps: &[BrowserStep]) -> chromiumoxide::Result<()> {
    for step in steps {
        let selector = match step {
            BrowserStep::Type { selector, .. } | BrowserStep::Click { selector } => selector,
        };
        let element = loop {
            match page.find_element(selector.as_str()).await {
                Ok(e) => break e,
                Err(_) => tokio::time::sleep(POLL).await,
            }
        };
        tracing::debug!("browser step: {step:?}");
        match step {
            BrowserStep::Type { text, .. } => {
                element.click().await?;
                element.type_str(text).await?;
            }
            BrowserStep::Click { .. } => {
                element.click().await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_and_click_and_hides_text() {
        let t: BrowserStep = "#user=alice=x".parse().unwrap();
        assert_eq!(
            t,
            BrowserStep::Type {
                selector: "#user".into(),
                text: "alice=x".into()
            }
        );
        assert!(!format!("{t:?}").contains("alice"));
        let c: BrowserStep = "button#go!".parse().unwrap();
        assert_eq!(
            c,
            BrowserStep::Click {
                selector: "button#go".into()
            }
        );
        let t: BrowserStep = "#pw=wow!".parse().unwrap();
        assert!(matches!(t, BrowserStep::Type { text, .. } if text == "wow!"));
        assert!("!".parse::<BrowserStep>().is_err());
        assert!("=x".parse::<BrowserStep>().is_err());
        assert!("nothing".parse::<BrowserStep>().is_err());
    }
}

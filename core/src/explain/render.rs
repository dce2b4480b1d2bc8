//! The text rendering of an [`Explanation`]: the verdicts first, then the
//! decoded items as a tree with their fields and notes, then what was
//! wrong with the log itself. Long sentences are wrapped at 78 columns.

use alloc::format;
use alloc::string::String;

use super::report::{Explanation, Item};

const WIDTH: usize = 78;

/// Appends `text` wrapped at [`WIDTH`], every line starting with `indent`
/// (the first with `first` instead).
fn wrap(out: &mut String, first: &str, indent: &str, text: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

fn item(out: &mut String, it: &Item, depth: usize) {
    let pad = "  ".repeat(depth + 1);
    let dir = it.direction.map_or("    ", |d| d.label());
    wrap(
        out,
        &format!("{pad}line {:<5} {dir}  ", it.line),
        &format!("{pad}                  "),
        &it.summary,
    );
    let inner = format!("{pad}    ");
    for f in &it.fields {
        let head = format!("{inner}{}: ", f.name);
        let cont = format!("{inner}    ");
        wrap(out, &head, &cont, &f.value);
        if let Some(n) = &f.note {
            wrap(out, &format!("{inner}    ^ "), &format!("{inner}      "), n);
        }
    }
    for n in &it.notes {
        wrap(out, &format!("{inner}! "), &format!("{inner}  "), n);
    }
    for c in &it.children {
        item(out, c, depth + 1);
    }
}

impl Explanation {
    /// The explanation as text for a terminal or a bug report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let what = if self.formats.is_empty() {
            String::from("no log format recognised")
        } else {
            self.formats.join(", ")
        };
        out.push_str(&format!("{} lines read: {what}\n\n", self.lines));
        if self.verdicts.is_empty() {
            out.push_str(if self.items.is_empty() {
                "Verdict: nothing in this text is a VPN log oncp can read (no OpenConnect or oncp messages, no hex dumps).\n"
            } else {
                "Verdict: no problem found in what this log shows.\n"
            });
        } else {
            out.push_str("Verdict:\n");
            for v in &self.verdicts {
                let at = v.line.map_or(String::new(), |l| format!(" (line {l})"));
                wrap(
                    &mut out,
                    &format!("  [{}] ", v.severity.name()),
                    "      ",
                    &format!("{}{at}", v.title),
                );
                wrap(&mut out, "      ", "      ", &v.detail);
                wrap(&mut out, "      What to do: ", "      ", &v.advice);
            }
        }
        if !self.items.is_empty() {
            out.push_str("\nDecoded:\n");
            for it in &self.items {
                item(&mut out, it, 0);
            }
        }
        if !self.damage.is_empty() {
            out.push_str("\nProblems with the log itself:\n");
            for d in &self.damage {
                wrap(
                    &mut out,
                    &format!("  line {:<5} ", d.line),
                    "             ",
                    &d.text,
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_long_words_and_lines() {
        let mut s = String::new();
        wrap(&mut s, "> ", "  ", &"word ".repeat(40));
        assert!(s.lines().all(|l| l.chars().count() <= WIDTH));
        let mut s = String::new();
        wrap(&mut s, "> ", "  ", &"x".repeat(200));
        assert_eq!(s.lines().count(), 1);
        assert!(
            Explanation::default()
                .to_text()
                .contains("nothing in this text")
        );
    }
}

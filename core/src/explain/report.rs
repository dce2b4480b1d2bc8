//! What `explain` produces: verdicts at the top, the decoded items in log
//! order (each with named fields and notes), and what was wrong with the
//! log itself.

use alloc::string::String;
use alloc::vec::Vec;

use crate::trace::Direction;

/// How much a [`Verdict`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Why the connection failed (or would have).
    Failure,
    /// Something that works worse than it should (e.g. ESP never up).
    Warning,
    /// Worth knowing, nothing is broken.
    Info,
}

impl Severity {
    /// The lowercase name used in the text rendering and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Failure => "failure",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding: what the log shows, what it means, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Verdict {
    /// A stable identifier for tools (`status-08`, `cookie-rejected`, …).
    pub id: String,
    /// How much it matters.
    pub severity: Severity,
    /// One line: what happened.
    pub title: String,
    /// What the gateway or client said, and what it means.
    pub detail: String,
    /// What to do about it.
    pub advice: String,
    /// The log line (1-based) it was found at, when there is one.
    pub line: Option<usize>,
}

/// A named field of a decoded item, with a note when it needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Field {
    /// The field's name (for TLVs `G/A name`).
    pub name: String,
    /// Its value as text (secrets redacted unless asked for).
    pub value: String,
    /// What the value means, when that is not obvious.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub note: Option<String>,
}

/// One decoded thing: a hex dump, a record, a KMP message, an HTTP
/// exchange, a log message that matters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Item {
    /// The first log line (1-based) it comes from.
    pub line: usize,
    /// Which way the bytes went, when the log says or the bytes show.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub direction: Option<Direction>,
    /// One line: what it is.
    pub summary: String,
    /// Its fields, in wire order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub fields: Vec<Field>,
    /// Notes on the whole item (problems found, what it means).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub notes: Vec<String>,
    /// The items inside it (records in a dump, messages in a record).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub children: Vec<Item>,
}

impl Item {
    /// An item from `line` saying `summary`.
    pub fn new(line: usize, direction: Option<Direction>, summary: impl Into<String>) -> Item {
        Item {
            line,
            direction,
            summary: summary.into(),
            ..Item::default()
        }
    }

    /// Adds a field.
    pub fn field(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
            note: None,
        });
    }

    /// Adds a field with a note.
    pub fn field_note(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        note: impl Into<String>,
    ) {
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
            note: Some(note.into()),
        });
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// A problem with the log itself (not with the VPN): a cut dump, a
/// wrapped line, a length that disagrees with the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Damage {
    /// The log line (1-based).
    pub line: usize,
    /// What is wrong and what was done about it.
    pub text: String,
}

/// Everything `explain` found in one log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Explanation {
    /// What the log is: `OpenConnect -vvv`, `oncp`, `xxd`, … in the order
    /// first seen.
    pub formats: Vec<String>,
    /// The findings, most important first.
    pub verdicts: Vec<Verdict>,
    /// The decoded items, in log order.
    pub items: Vec<Item>,
    /// Problems with the log itself, in log order.
    pub damage: Vec<Damage>,
    /// Lines read.
    pub lines: usize,
}

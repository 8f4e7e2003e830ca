//! The report before it is written out: cleaned, unescaped strings in the order the client reads
//! them. [`shown`](super::shown) builds it from a note, [`fit`](super::fit) shortens it to the
//! size budget, and the two writers turn the same outline into text and HTML, so both outputs
//! always say the same thing.

/// Everything the report says.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Outline {
    /// One line, for the e-mail's `Subject`.
    pub(super) subject: String,
    /// The meeting's title.
    pub(super) title: String,
    /// Labelled facts under the title (report number, account, agency, when, where), in order.
    pub(super) facts: Vec<(&'static str, String)>,
    /// The parts that may be shortened.
    pub(super) sections: Vec<Section>,
    /// How to answer the report.
    pub(super) answer: String,
    /// Where to accept and where to dispute the report, when the caller gave links.
    pub(super) links: Option<Links>,
}

/// Where the client answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Links {
    /// Accepts the report.
    pub(super) accept: String,
    /// Disputes the report.
    pub(super) dispute: String,
}

/// A headed part of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section {
    /// Its heading.
    pub(super) heading: String,
    /// What it holds.
    pub(super) body: Body,
    /// Set when the part was shortened to fit the budget; the writers print its note.
    pub(super) cut: Option<Cut>,
}

/// The content of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Body {
    /// Free text, line breaks kept.
    Text(String),
    /// Entries, in display order.
    List(Vec<Item>),
}

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Item {
    /// The entry (may span lines).
    pub(super) text: String,
    /// A secondary line: who agreed, who leads it, when it is due.
    pub(super) detail: Option<String>,
}

/// How a section was shortened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cut {
    /// The text stops early.
    Text,
    /// Entries are missing from the end; with `partial`, the last one shown is cut short.
    Items {
        /// Entries not shown at all.
        hidden: usize,
        /// Whether the last entry shown is cut short.
        partial: bool,
    },
}

/// Ends an entry whose text was cut short.
pub(super) const CUT_MARK: &str = " […]";

/// What to do about a shortened section.
const ASK: &str = "Ask your account team for the complete report.";

impl Cut {
    /// The note the writers print under a shortened section.
    pub(super) fn note(self) -> String {
        match self {
            Cut::Text => {
                format!("[Shortened for e-mail: the rest of this text is not shown. {ASK}]")
            }
            Cut::Items { hidden: 0, .. } => {
                format!("[Shortened for e-mail: the last entry is cut short. {ASK}]")
            }
            Cut::Items { hidden, .. } => {
                let entries = if hidden == 1 { "entry" } else { "entries" };
                format!("[Shortened for e-mail: {hidden} more {entries} not shown. {ASK}]")
            }
        }
    }
}

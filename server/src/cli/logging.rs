//! The log filter: `RUST_LOG` when set, `info` otherwise, with automerge held at `warn`.
//!
//! automerge 0.12 wraps its loading routines in `#[instrument]` spans at INFO level that
//! record their arguments with `Debug`, including the whole change graph of the document
//! being merged into. At `info` that formats every hash of a document's history on each
//! incoming change: a profile of the write-storm benchmark spent about a third of the
//! server's CPU there, and it grows with history. Nobody operating the server wants those
//! spans, so automerge stays at `warn` unless `RUST_LOG` names it explicitly.

use tracing_subscriber::EnvFilter;

/// What `RUST_LOG` falls back to when unset or unparsable.
const DEFAULT: &str = "info";
/// Added unless the operator's own filter mentions automerge.
const AUTOMERGE_QUIET: &str = "automerge=warn";

/// Builds the filter from the value of `RUST_LOG` (`None` when unset).
pub(super) fn filter(rust_log: Option<&str>) -> EnvFilter {
    let base = rust_log
        .filter(|value| !value.trim().is_empty())
        .unwrap_or(DEFAULT);
    let directives = if base.contains("automerge") {
        base.to_owned()
    } else {
        format!("{base},{AUTOMERGE_QUIET}")
    };
    EnvFilter::try_new(&directives).unwrap_or_else(|error| {
        eprintln!("RUST_LOG {base:?} is not a valid filter ({error}); using {DEFAULT:?}");
        EnvFilter::new(format!("{DEFAULT},{AUTOMERGE_QUIET}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automerge_is_quiet_by_default_and_under_a_plain_level() {
        for value in [
            None,
            Some(""),
            Some("info"),
            Some("debug,enlace_core=trace"),
        ] {
            let rendered = filter(value).to_string();
            assert!(rendered.contains("automerge=warn"), "{value:?}: {rendered}");
        }
    }

    #[test]
    fn an_explicit_automerge_directive_is_kept() {
        let rendered = filter(Some("info,automerge=trace")).to_string();
        assert!(rendered.contains("automerge=trace"), "{rendered}");
        assert!(!rendered.contains("automerge=warn"), "{rendered}");
    }

    #[test]
    fn a_bad_filter_falls_back_to_the_default() {
        let rendered = filter(Some("info,[[[")).to_string();
        assert!(rendered.contains("automerge=warn"), "{rendered}");
    }
}

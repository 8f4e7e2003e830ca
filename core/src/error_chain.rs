//! An error and its causes as one line (`error: cause: cause...`), for logs and for the reasons
//! handed to apps, which see text, not a chain of Rust errors.

/// `error: cause: cause...`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

//! The client-facing contact report: the e-mail the server sends when an executive sends a
//! meeting note's report, rendered from the note without anything the agency keeps to itself.
//!
//! Layout, one job per file:
//! - [`render`]: the entry point, its inputs and the rendered e-mail.
//! - `shown`: what of a note the client sees, and the list of what never is.
//! - `outline`: the report as cleaned strings, before it is written.
//! - `fit`: the size budget, met by shortening sections with a note, never by failing.
//! - `plain` and `html`: the two body parts, written from the same outline.
//! - [`clock`]: dates and times in the meeting's zone.
//! - `text`: cleaning and clipping values; `escape`: HTML escaping.

pub(crate) mod clock;
pub(crate) mod escape;
mod fit;
mod html;
mod outline;
mod plain;
pub(crate) mod render;
mod shown;
mod text;

#[cfg(test)]
mod tests;

//! serde for `autosurgeon::Text` (a foreign type): its current string, for `#[serde(with =
//! "enlace_core::model::text_serde")]` on the `Text` fields of a [`Document`](super::Document). Used by the value
//! snapshots the store keeps beside each document (see `store::snapshot`).

use autosurgeon::Text;

pub fn serialize<S: serde::Serializer>(text: &Text, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text.as_str())
}

pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Ok(Text::with_value(s))
}

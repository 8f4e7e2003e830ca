//! `ffi_enum!`: a uniffi enum mirroring a closed vocabulary of the core model, with lossless
//! conversions both ways (a new core variant is a compile error here, not a silent fallback).

macro_rules! ffi_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident mirrors $core:ident { $($variant:ident),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        #[allow(missing_docs)]
        pub enum $name {
            $($variant),+
        }

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                match value {
                    $($core::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $core {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $core::$variant),+
                }
            }
        }
    };
}

/// `document_record!`: the record an app reads for one document kind, derived from the core
/// struct. Every core field is listed once, with its FFI type; the conversion is generated, and
/// it destructures the core struct without `..`, so a field added to core and not here is a
/// compile error, never a silently missing value. Fields whose core shape cannot cross the FFI
/// name a converter: `= map` (a `BTreeMap` keyed by entity id, as a map) or `= status` (a
/// lifecycle, as its current status) or `= text` (a collaborative text, as its string). `derived` fields call a method of the core value.
macro_rules! document_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $core:path {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty $( = $conv:ident )? ),+ $(,)?
        }
        $( derived { $( $(#[$dmeta:meta])* $dfield:ident : $dty:ty = $method:ident ),+ $(,)? } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )+
            $( $( $(#[$dmeta])* pub $dfield: $dty, )+ )?
        }

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                $( $( let $dfield = value.$method(); )+ )?
                let $core { $( $field, )+ } = value;
                $name {
                    $( $field: document_record!(@convert $field $(, $conv)?), )+
                    $( $( $dfield, )+ )?
                }
            }
        }
    };
    (@convert $field:ident) => { $field };
    (@convert $field:ident, map) => { $field.into_iter().collect() };
    (@convert $field:ident, status) => { $field.status() };
    (@convert $field:ident, text) => { $field.as_str().to_owned() };
    (@convert $field:ident, $conv:ident) => { $conv::from($field) };
}

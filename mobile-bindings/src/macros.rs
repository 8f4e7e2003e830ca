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

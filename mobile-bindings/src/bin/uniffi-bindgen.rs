//! The `uniffi-bindgen` of the workspace: generates the Kotlin, Swift and Python bindings from the
//! built library (`scripts/bindings` runs it in library mode).

fn main() {
    uniffi::uniffi_bindgen_main()
}

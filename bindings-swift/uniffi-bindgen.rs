//! `uniffi-bindgen` on the library's own UniFFI version (library mode:
//! `uniffi-bindgen generate --library target/debug/libivschat_uniffi.so --language kotlin`).

fn main() {
    uniffi::uniffi_bindgen_main()
}

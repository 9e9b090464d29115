//! Fuzz request routing, body parsing and model validation:
//! input = method selector byte, then `path\nquery\n`, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 5] = ["POST", "GET", "DELETE", "PUT", "PATCH"];

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else { return };
    let method = METHODS[m as usize % METHODS.len()];
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let path = if path.starts_with('/') { path.into_owned() } else { format!("/{path}") };
    let _ = ivschat_emulator::parse_and_validate(method, &path, &query, body);
});

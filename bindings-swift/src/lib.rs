//! UniFFI binding (being written).

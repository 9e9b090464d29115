//! What the emulator's records (request log, script recording) must not keep: credentials
//! (`Authorization`, `X-Amz-Security-Token`, query-string signing parameters), chat tokens
//! (`Sec-WebSocket-Protocol`) and cookies.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Headers whose value is never recorded.
pub fn is_secret_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization"
            | "proxy-authorization"
            | "x-amz-security-token"
            | "sec-websocket-protocol"
            | "cookie"
    )
}

/// Query parameters whose value is never recorded (query-string SigV4 and tokens).
pub fn is_secret_param(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "x-amz-security-token" | "x-amz-signature" | "x-amz-credential" | "token"
    )
}

/// A raw query string with the values of secret parameters replaced.
pub fn query(raw: &str) -> Cow<'_, str> {
    let secret = |pair: &str| {
        let name = pair.split_once('=').map_or(pair, |(k, _)| k);
        is_secret_param(&percent_decode_str(name).decode_utf8_lossy())
    };
    if !raw.split('&').any(secret) {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(
        raw.split('&')
            .map(|pair| {
                if secret(pair) {
                    let name = pair.split_once('=').map_or(pair, |(k, _)| k);
                    format!("{name}={REDACTED}")
                } else {
                    pair.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secrets_only() {
        assert_eq!(query("a=1&b=2"), "a=1&b=2");
        assert_eq!(
            query("X-Amz-Signature=abc&a=1&x-amz-security-token=zz"),
            "X-Amz-Signature=<redacted>&a=1&x-amz-security-token=<redacted>"
        );
        assert_eq!(
            query("X%2DAmz%2DCredential=k"),
            "X%2DAmz%2DCredential=<redacted>"
        );
        assert!(is_secret_header("Authorization"));
        assert!(is_secret_header("sec-websocket-protocol"));
        assert!(!is_secret_header("host"));
    }
}

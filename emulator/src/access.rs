//! Who may call the admin API (`/_emulator/…`).
//!
//! * **Browsers, cross-origin**: refused. A request with an `Origin` that is not the emulator's
//!   own (`http://127.0.0.1:PORT`, `http://localhost:PORT`, `http://[::1]:PORT` or the `--host`
//!   name), or with `Sec-Fetch-Site` other than `same-origin`/`none`, gets 403. A browser request
//!   (one with `Origin`, `Referer`, `Sec-Fetch-Site` or a `Mozilla/…` user agent) with a
//!   `text/plain`, form or multipart body, the kinds a page may send cross-origin without a
//!   preflight, gets 415. Tools (curl, `fetch` in Node, urllib, reqwest) send none of those
//!   markers and are not affected by the body-type rule.
//! * **DNS rebinding**: without an admin token, `Host` must name a loopback address,
//!   `localhost` (or `*.localhost`), or the `--host` value; otherwise 403. A page that rebinds its
//!   own name to 127.0.0.1 therefore cannot read the request log or the recordings.
//! * **Admin token** (`--admin-token` / `IVSCHAT_ADMIN_TOKEN`): when set, every admin call must
//!   carry `Authorization: Bearer TOKEN` (else 401).
//! * **Non-loopback bind**: without a token the admin API is off (403 on every call).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// Environment variable that sets the admin token when `--admin-token` is not given.
pub const ADMIN_TOKEN_ENV: &str = "IVSCHAT_ADMIN_TOKEN";

/// Why an admin request was refused: status, `x-amzn-ErrorType`, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// HTTP status (401, 403 or 415).
    pub status: u16,
    /// Short code for `x-amzn-ErrorType`.
    pub code: &'static str,
    /// Explanation.
    pub message: String,
}

fn refused(status: u16, code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        status,
        code,
        message: message.into(),
    }
}

/// The admin API's access policy, fixed at start.
#[derive(Clone)]
pub struct AdminAccess {
    token: Option<String>,
    exposed: bool,
    own_origins: Vec<String>,
    configured_host: String,
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccess")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("exposed", &self.exposed)
            .finish_non_exhaustive()
    }
}

/// Whether `token` may be used as an admin token: 1 to 512 visible ASCII characters.
pub fn valid_token(token: &str) -> bool {
    (1..=512).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic())
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Split `host[:port]` / `[v6][:port]` and return the host part, lowercase, without brackets.
fn host_part(authority: &str) -> String {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl AdminAccess {
    /// The policy for an emulator bound to `addr`, configured with `--host configured_host`.
    pub fn new(token: Option<String>, configured_host: &str, addr: SocketAddr) -> Self {
        let port = addr.port();
        let configured = configured_host.trim_matches(|c| c == '[' || c == ']');
        let mut hosts = vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "[::1]".to_string(),
        ];
        if !configured.is_empty() {
            hosts.push(if configured.contains(':') {
                format!("[{configured}]")
            } else {
                configured.to_ascii_lowercase()
            });
        }
        AdminAccess {
            token,
            exposed: !addr.ip().is_loopback(),
            own_origins: hosts.iter().map(|h| format!("http://{h}:{port}")).collect(),
            configured_host: configured.to_ascii_lowercase(),
        }
    }

    /// Whether the emulator listens on a non-loopback address.
    pub fn exposed(&self) -> bool {
        self.exposed
    }

    /// Whether an admin token is required.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether the admin API is off (non-loopback address, no token).
    pub fn disabled(&self) -> bool {
        self.exposed && self.token.is_none()
    }

    /// Decide on one admin request from its headers.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        if self.disabled() {
            return Err(refused(
                403,
                "AdminApiDisabled",
                "The admin API is off: ivschat-local listens on a non-loopback address and no \
                 admin token is set (start it with --admin-token or IVSCHAT_ADMIN_TOKEN)",
            ));
        }
        let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
        let origin = text("origin");
        if let Some(o) = origin
            && !self
                .own_origins
                .iter()
                .any(|own| own.eq_ignore_ascii_case(o.trim()))
        {
            return Err(refused(
                403,
                "CrossOriginRefused",
                "Cross-origin requests to the admin API are refused",
            ));
        }
        let fetch_site = text("sec-fetch-site");
        if let Some(site) = fetch_site
            && !matches!(site.trim(), "same-origin" | "none")
        {
            return Err(refused(
                403,
                "CrossOriginRefused",
                "Cross-site browser requests to the admin API are refused",
            ));
        }
        let browser = origin.is_some()
            || fetch_site.is_some()
            || headers.contains_key("referer")
            || text("user-agent").is_some_and(|ua| ua.trim_start().starts_with("Mozilla/"));
        if browser && let Some(ct) = text("content-type") {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if matches!(
                essence.as_str(),
                "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
            ) {
                return Err(refused(
                    415,
                    "UnsupportedMediaType",
                    "A browser may send text/plain and form bodies cross-origin: the admin API \
                     refuses them (send application/json)",
                ));
            }
        }
        match &self.token {
            Some(token) => {
                let sent = headers
                    .get(http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        let (scheme, rest) = v.trim().split_once(' ')?;
                        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
                    });
                if !sent.is_some_and(|s| ct_eq(s.as_bytes(), token.as_bytes())) {
                    return Err(refused(
                        401,
                        "Unauthorized",
                        "The admin API needs Authorization: Bearer <admin token>",
                    ));
                }
            }
            None => {
                for host in headers.get_all(http::header::HOST) {
                    let h = host_part(host.to_str().unwrap_or("\u{fffd}"));
                    if !is_loopback_name(&h) && h != self.configured_host {
                        return Err(refused(
                            403,
                            "HostRefused",
                            "The admin API answers only to loopback host names (127.0.0.1, \
                             localhost, [::1]) or the --host value unless an admin token is set",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The warning printed when the emulator listens on a non-loopback address.
pub fn exposure_warning(addr: SocketAddr, admin_token: bool) -> String {
    let admin = if admin_token {
        "The admin API (/_emulator/) requires the admin token."
    } else {
        "The admin API (/_emulator/) is OFF; set --admin-token (or IVSCHAT_ADMIN_TOKEN) to enable it."
    };
    format!(
        "WARNING: ivschat-local listens on {addr}, which is not a loopback address. Any host that \
         can reach it can use the control plane with the emulator's credentials (test/test unless \
         --access-key-id is given), read and change every room, and join chats; traffic is plain \
         HTTP, so credentials, chat tokens and messages cross the network unencrypted. {admin}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in list {
            m.append(*k, HeaderValue::from_str(v).expect("value"));
        }
        m
    }

    fn local() -> AdminAccess {
        AdminAccess::new(None, "127.0.0.1", "127.0.0.1:4580".parse().expect("addr"))
    }

    #[test]
    fn origins_and_hosts() {
        let a = local();
        assert!(a.check(&h(&[("host", "127.0.0.1:4580")])).is_ok());
        assert!(a.check(&h(&[("host", "localhost:4580")])).is_ok());
        assert!(a.check(&h(&[("host", "[::1]:4580")])).is_ok());
        assert!(a.check(&h(&[("host", "app.localhost")])).is_ok());
        assert!(a.check(&HeaderMap::new()).is_ok());
        assert!(
            a.check(&h(&[
                ("host", "127.0.0.1:4580"),
                ("origin", "http://localhost:4580")
            ]))
            .is_ok()
        );
        let e = a
            .check(&h(&[
                ("host", "127.0.0.1:4580"),
                ("origin", "http://evil.example"),
            ]))
            .expect_err("foreign origin");
        assert_eq!(e.status, 403);
        for o in ["null", "http://127.0.0.1:9999", "https://127.0.0.1:4580"] {
            assert!(a.check(&h(&[("origin", o)])).is_err(), "{o}");
        }
        assert_eq!(
            a.check(&h(&[("host", "evil.example:4580")]))
                .expect_err("rebinding")
                .code,
            "HostRefused"
        );
        assert!(a.check(&h(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(a.check(&h(&[("sec-fetch-site", "same-origin")])).is_ok());
    }

    #[test]
    fn browser_simple_bodies() {
        let a = local();
        let e = a
            .check(&h(&[
                ("user-agent", "Mozilla/5.0 (X11; Linux x86_64)"),
                ("content-type", "text/plain;charset=UTF-8"),
            ]))
            .expect_err("browser text/plain");
        assert_eq!(e.status, 415);
        for ct in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert!(
                a.check(&h(&[("referer", "x"), ("content-type", ct)]))
                    .is_err()
            );
        }
        // tools: no browser marker
        assert!(
            a.check(&h(&[
                ("user-agent", "node"),
                ("content-type", "text/plain;charset=UTF-8")
            ]))
            .is_ok()
        );
        assert!(
            a.check(&h(&[
                ("user-agent", "Mozilla/5.0"),
                ("content-type", "application/json")
            ]))
            .is_ok()
        );
    }

    #[test]
    fn token_and_exposure() {
        let addr: SocketAddr = "0.0.0.0:4580".parse().expect("addr");
        let off = AdminAccess::new(None, "0.0.0.0", addr);
        assert!(off.disabled());
        assert_eq!(
            off.check(&HeaderMap::new()).expect_err("off").code,
            "AdminApiDisabled"
        );
        let on = AdminAccess::new(Some("s3cret".into()), "0.0.0.0", addr);
        assert!(!on.disabled());
        assert_eq!(
            on.check(&HeaderMap::new()).expect_err("no token").status,
            401
        );
        assert!(on.check(&h(&[("authorization", "Bearer wrong")])).is_err());
        assert!(
            on.check(&h(&[
                ("authorization", "Bearer s3cret"),
                ("host", "ivschat:4580")
            ]))
            .is_ok()
        );
        assert!(
            on.check(&h(&[("authorization", "bearer  s3cret ")]))
                .is_ok()
        );
        assert!(valid_token("abc-DEF_123"));
        assert!(!valid_token(""));
        assert!(!valid_token("has space"));
        assert!(exposure_warning(addr, false).contains("not a loopback address"));
    }
}

//! SigV4 verification and identities → accounts.
//!
//! The canonical request is rebuilt from the headers the client actually signed, so boto3
//! (`content-type;host;x-amz-date`), the JS SDK v3 (adds `amz-sdk-*`, `content-length`,
//! `x-amz-content-sha256`, `x-amz-user-agent`) and aws-sdk-rust all verify. The path is
//! double-encoded as botocore does (spec §5.3). Derived signing keys are cached per
//! (secret, date, region).
//!
//! Session tokens: an identity configured with a session token requires
//! `x-amz-security-token` to equal it; an identity without one accepts any token or none.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Allowed clock skew between the client's `x-amz-date` and now.
pub const MAX_SKEW_MINUTES: i64 = 15;

/// One access key and the account it belongs to.
#[derive(Clone)]
pub struct Identity {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret_access_key: String,
    /// 12-digit account id.
    pub account_id: String,
    /// When set, requests must carry this `x-amz-security-token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("account_id", &self.account_id)
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Identity {
    /// An identity without a required session token.
    pub fn new(access_key_id: &str, secret_access_key: &str, account_id: &str) -> Self {
        Identity {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            account_id: account_id.into(),
            session_token: None,
        }
    }
}

/// The parts of a request the verifier needs.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Raw path, percent-encoded as received.
    pub raw_path: &'a str,
    /// Raw query string (without `?`).
    pub raw_query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Body bytes.
    pub body: &'a [u8],
}

/// What a successful verification found.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Account of the signing identity.
    pub account_id: String,
    /// Access key that signed.
    pub access_key_id: String,
    /// The `SignedHeaders` list.
    pub signed_headers: String,
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone)]
pub struct AuthHeader<'a> {
    /// Access key id from the credential scope.
    pub access_key_id: &'a str,
    /// Scope date (yyyymmdd).
    pub date: &'a str,
    /// Scope region.
    pub region: &'a str,
    /// Scope service.
    pub service: &'a str,
    /// Scope terminator (`aws4_request`).
    pub terminator: &'a str,
    /// SignedHeaders, `;`-separated lowercase names.
    pub signed_headers: &'a str,
    /// Hex signature.
    pub signature: &'a str,
}

fn incomplete(msg: &str) -> ApiError {
    ApiError::auth("IncompleteSignatureException", msg)
}

/// Parse `AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, SignedHeaders=..., Signature=...`.
pub fn parse_authorization(value: &str) -> Result<AuthHeader<'_>, ApiError> {
    let value = value.trim();
    let Some(rest) = value.strip_prefix("AWS4-HMAC-SHA256") else {
        return Err(incomplete(&format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 algorithm expected: {}",
            value.split_whitespace().next().unwrap_or("")
        )));
    };
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("Signature=") {
            sig = Some(v.trim());
        }
    }
    let mut missing = Vec::new();
    if cred.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if sig.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
        return Err(incomplete(&format!(
            "{} Authorization={}",
            missing.join(" "),
            "AWS4-HMAC-SHA256"
        )));
    };
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
        return Err(incomplete(&format!(
            "Credential should be scoped to a valid region, and service, and terminated with 'aws4_request'. Credential={}",
            parts.first().copied().unwrap_or("")
        )));
    }
    Ok(AuthHeader {
        access_key_id: parts[0],
        date: parts[1],
        region: parts[2],
        service: parts[3],
        terminator: parts[4],
        signed_headers: signed,
        signature: sig,
    })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn push_encoded(out: &mut String, s: &str, keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// Canonical URI: the received (already percent-encoded) path encoded once more (botocore
/// `quote(path, safe='/~')`).
pub fn canonical_uri(raw_path: &str, out: &mut String) {
    if raw_path.is_empty() {
        out.push('/');
    } else {
        push_encoded(out, raw_path, true);
    }
}

/// Canonical query: decode each pair, re-encode (RFC 3986 unreserved), sort by name then value.
pub fn canonical_query(raw_query: &str, out: &mut String) {
    if raw_query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let enc = |s: &str| {
                let d = percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
                let d = String::from_utf8_lossy(&d);
                let mut o = String::with_capacity(d.len());
                push_encoded(&mut o, &d, false);
                o
            };
            (enc(k), enc(v))
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

fn push_header_value(out: &mut String, headers: &HeaderMap, name: &str) {
    let mut first = true;
    for v in headers.get_all(name) {
        if !first {
            out.push(',');
        }
        first = false;
        let s = String::from_utf8_lossy(v.as_bytes());
        let mut prev_space = false;
        for c in s.trim().chars() {
            if c == ' ' || c == '\t' {
                if !prev_space {
                    out.push(' ');
                }
                prev_space = true;
            } else {
                out.push(c);
                prev_space = false;
            }
        }
    }
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for HMAC.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Derive the SigV4 signing key.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Compute the signature of a request given the parsed header fields; `None` when a signed
/// header is absent (reported by the caller).
pub fn compute_signature(
    parts: &RequestParts<'_>,
    auth: &AuthHeader<'_>,
    amz_date: &str,
    key: &[u8; 32],
) -> Result<String, ApiError> {
    let mut creq = String::with_capacity(512);
    creq.push_str(parts.method);
    creq.push('\n');
    canonical_uri(parts.raw_path, &mut creq);
    creq.push('\n');
    canonical_query(parts.raw_query, &mut creq);
    creq.push('\n');
    let mut content_sha_signed = false;
    for name in auth.signed_headers.split(';') {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if !parts.headers.contains_key(name) {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                format!(
                    "The request signature we calculated does not match the signature you provided. Signed header '{name}' is not present in the request."
                ),
            ));
        }
        if name.eq_ignore_ascii_case("x-amz-content-sha256") {
            content_sha_signed = true;
        }
        creq.push_str(&name.to_ascii_lowercase());
        creq.push(':');
        push_header_value(&mut creq, parts.headers, name);
        creq.push('\n');
    }
    creq.push('\n');
    creq.push_str(auth.signed_headers);
    creq.push('\n');
    let body_hash = hex_sha256(parts.body);
    let declared = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok());
    match declared {
        Some(d) if content_sha_signed => {
            if d != "UNSIGNED-PAYLOAD" && !d.eq_ignore_ascii_case(&body_hash) {
                return Err(ApiError::auth(
                    "InvalidSignatureException",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ));
            }
            creq.push_str(d);
        }
        _ => creq.push_str(&body_hash),
    }
    let mut sts = String::with_capacity(160);
    sts.push_str("AWS4-HMAC-SHA256\n");
    sts.push_str(amz_date);
    sts.push('\n');
    sts.push_str(auth.date);
    sts.push('/');
    sts.push_str(auth.region);
    sts.push('/');
    sts.push_str(auth.service);
    sts.push('/');
    sts.push_str(auth.terminator);
    sts.push('\n');
    sts.push_str(&hex_sha256(creq.as_bytes()));
    Ok(hex::encode(hmac(key, sts.as_bytes())))
}

fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| n.and_utc())
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The verifier: identities, the service region, and a cache of derived keys.
pub struct Verifier {
    identities: RwLock<HashMap<String, Identity>>,
    region: String,
    keys: RwLock<HashMap<(String, String, String), [u8; 32]>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `region` accepting `identities`.
    pub fn new(region: &str, identities: &[Identity]) -> Self {
        Verifier {
            identities: RwLock::new(
                identities
                    .iter()
                    .map(|i| (i.access_key_id.clone(), i.clone()))
                    .collect(),
            ),
            region: region.to_string(),
            keys: RwLock::new(HashMap::new()),
        }
    }

    /// Replace the identities.
    pub fn set_identities(&self, identities: &[Identity]) {
        if let Ok(mut g) = self.identities.write() {
            *g = identities
                .iter()
                .map(|i| (i.access_key_id.clone(), i.clone()))
                .collect();
        }
    }

    fn cached_key(&self, secret: &str, date: &str, region: &str) -> [u8; 32] {
        if let Ok(g) = self.keys.read()
            && let Some(k) = g
                .iter()
                .find_map(|((s, d, r), k)| (s == secret && d == date && r == region).then_some(*k))
        {
            return k;
        }
        let k = signing_key(secret, date, region, "ivschat");
        if let Ok(mut g) = self.keys.write() {
            if g.len() > 1024 {
                g.clear();
            }
            g.insert(
                (secret.to_string(), date.to_string(), region.to_string()),
                k,
            );
        }
        k
    }

    /// Verify a request against the configured region. `now = None` skips the clock-skew check.
    pub fn verify(
        &self,
        parts: &RequestParts<'_>,
        now: Option<DateTime<Utc>>,
    ) -> Result<Verified, ApiError> {
        self.verify_with(parts, now, true)
    }

    /// Verify a request; `check_region = false` accepts any region in the credential scope
    /// (used for conformance-script recordings, where the client may sign for any region).
    pub fn verify_with(
        &self,
        parts: &RequestParts<'_>,
        now: Option<DateTime<Utc>>,
        check_region: bool,
    ) -> Result<Verified, ApiError> {
        let Some(auth_value) = parts.headers.get("authorization") else {
            return Err(ApiError::auth(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        };
        let auth_value = auth_value
            .to_str()
            .map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
        let auth = parse_authorization(auth_value)?;
        let amz_date = parts
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
            })?;
        let when = parse_amz_date(amz_date).ok_or_else(|| {
            incomplete(&format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ))
        })?;
        let identity = {
            let g = self
                .identities
                .read()
                .map_err(|_| ApiError::internal("identity table poisoned"))?;
            g.get(auth.access_key_id).cloned()
        }
        .ok_or_else(|| {
            ApiError::auth(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        })?;
        if let Some(required) = &identity.session_token {
            let sent = parts
                .headers
                .get("x-amz-security-token")
                .map(|v| v.as_bytes());
            if !sent.is_some_and(|s| ct_eq(s, required.as_bytes())) {
                return Err(ApiError::auth(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                ));
            }
        }
        if auth.service != "ivschat" {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                "Credential should be scoped to correct service: 'ivschat'.",
            ));
        }
        if check_region && auth.region != self.region {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                format!(
                    "Credential should be scoped to a valid region. The emulator region is '{}', not '{}'.",
                    self.region, auth.region
                ),
            ));
        }
        if auth.terminator != "aws4_request" || !amz_date.starts_with(auth.date) {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                "Credential should be scoped with a valid terminator: 'aws4_request' and a date matching X-Amz-Date.",
            ));
        }
        if let Some(now) = now {
            let skew = TimeDelta::minutes(MAX_SKEW_MINUTES);
            let fmt = |d: DateTime<Utc>| d.format("%Y%m%dT%H%M%SZ").to_string();
            if when < now - skew {
                return Err(ApiError::auth(
                    "InvalidSignatureException",
                    format!(
                        "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                        fmt(now - skew),
                        fmt(now)
                    ),
                ));
            }
            if when > now + skew {
                return Err(ApiError::auth(
                    "InvalidSignatureException",
                    format!(
                        "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                        fmt(now + skew),
                        fmt(now)
                    ),
                ));
            }
        }
        if !auth
            .signed_headers
            .split(';')
            .any(|h| h.trim().eq_ignore_ascii_case("host"))
        {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        let key = self.cached_key(&identity.secret_access_key, auth.date, auth.region);
        let expected = compute_signature(parts, &auth, amz_date, &key)?;
        if !ct_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(ApiError::auth(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        Ok(Verified {
            account_id: identity.account_id,
            access_key_id: identity.access_key_id,
            signed_headers: auth.signed_headers.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn verifier() -> Verifier {
        Verifier::new(
            "us-east-1",
            &[Identity::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "123456789012",
            )],
        )
    }

    fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    const ROOM_PATH: &str =
        "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234";

    // Vectors from spec §5.2 (botocore, frozen at 2015-08-30T12:36:00Z).
    #[test]
    fn spec_vector_tag_resource() {
        let h = headers(&[
            ("content-type", "application/json"),
            ("host", "ivschat.us-east-1.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0d8240a821a3f95ad05e43893a5ad8b8dc85a2e197f2291aadd0f6b6fd7c58a4",
            ),
        ]);
        let parts = RequestParts {
            method: "POST",
            raw_path: ROOM_PATH,
            raw_query: "",
            headers: &h,
            body: br#"{"tags": {"a": "b"}}"#,
        };
        let v = verifier().verify(&parts, None).expect("verifies");
        assert_eq!(v.account_id, "123456789012");
        // with the skew check it is long expired
        let e = verifier()
            .verify(&parts, Some(Utc::now()))
            .expect_err("expired");
        assert_eq!(e.code, "InvalidSignatureException");
        assert!(
            e.message
                .starts_with("Signature expired: 20150830T123600Z is now earlier than"),
            "{}",
            e.message
        );
    }

    #[test]
    fn spec_vector_untag_resource() {
        let h = headers(&[
            ("host", "ivschat.us-east-1.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("content-length", "0"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders=host;x-amz-date, Signature=45b7d08262a0129f0ae253928c1d0aa9315809ec978b03241726a2764bc1e677",
            ),
        ]);
        let parts = RequestParts {
            method: "DELETE",
            raw_path: ROOM_PATH,
            raw_query: "tagKeys=b&tagKeys=a",
            headers: &h,
            body: b"",
        };
        verifier().verify(&parts, None).expect("verifies");
        let bad = RequestParts {
            body: b"x",
            ..parts
        };
        assert_eq!(
            verifier().verify(&bad, None).expect_err("bad").code,
            "InvalidSignatureException"
        );
    }

    #[test]
    fn spec_vector_create_room_and_errors() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=c4a54105571de73dc69b7cc59990a8c966bf66a29eab2680310c4f63bdde258c";
        let h = headers(&[
            ("content-type", "application/json"),
            ("host", "ivschat.us-east-1.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", auth),
        ]);
        let body = br#"{"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}}"#;
        let parts = RequestParts {
            method: "POST",
            raw_path: "/CreateRoom",
            raw_query: "",
            headers: &h,
            body,
        };
        verifier().verify(&parts, None).expect("verifies");
        let other = Verifier::new("us-east-1", &[Identity::new("AKIDEXAMPLE", "wrong", "1")]);
        assert_eq!(
            other.verify(&parts, None).expect_err("x").code,
            "InvalidSignatureException"
        );
        let nobody = Verifier::new("us-east-1", &[]);
        assert_eq!(
            nobody.verify(&parts, None).expect_err("x").code,
            "UnrecognizedClientException"
        );
        let west = Verifier::new(
            "us-west-2",
            &[Identity::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "1",
            )],
        );
        assert_eq!(
            west.verify(&parts, None).expect_err("x").code,
            "InvalidSignatureException"
        );
        // `host` must be signed (checked before the signature itself).
        let unsigned_host = headers(&[
            ("content-type", "application/json"),
            ("host", "ivschat.us-east-1.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders=content-type;x-amz-date, Signature=c4a54105571de73dc69b7cc59990a8c966bf66a29eab2680310c4f63bdde258c",
            ),
        ]);
        let e = verifier()
            .verify(
                &RequestParts {
                    headers: &unsigned_host,
                    ..parts
                },
                None,
            )
            .expect_err("host not signed");
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (
                403,
                "InvalidSignatureException",
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            )
        );
        let empty = HeaderMap::new();
        let p2 = RequestParts {
            headers: &empty,
            ..parts
        };
        assert_eq!(
            verifier().verify(&p2, None).expect_err("x").code,
            "MissingAuthenticationTokenException"
        );
        let h3 = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request",
        )]);
        let p3 = RequestParts {
            headers: &h3,
            ..parts
        };
        assert_eq!(
            verifier().verify(&p3, None).expect_err("x").code,
            "IncompleteSignatureException"
        );
    }
}

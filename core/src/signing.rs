//! SigV4 signing, the way botocore signs IVS Chat requests: signed headers
//! `content-type;host;x-amz-date` (+ `x-amz-security-token`), the canonical path encoded twice,
//! no `x-amz-content-sha256`.
//!
//! aws-sigv4 is the signer of record ([`sign_with_aws_sigv4`]). For the shape nearly every call
//! has (no query string, a path of unreserved characters and `%XX` escapes), [`Signer`] builds
//! the same canonical request directly and keeps the day's signing key: aws-sigv4's general
//! path cost half of the core's own CPU per call (`bench/core`). It derives the key and computes
//! the signature with aws-sigv4's own functions, and a test checks that both paths give the same
//! headers for many random requests.

use std::sync::Mutex;
use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::error::{BuildError, Error};
use crate::transport::authority;

const SERVICE: &str = "ivschat";
static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
static X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// Signs a client's requests; keeps the signing key of the last day, region and secret used.
#[derive(Default)]
pub(crate) struct Signer {
    key: Mutex<Option<SigningKey>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

/// A derived signing key and what it was derived from.
struct SigningKey {
    date: [u8; 8],
    region: String,
    secret: String,
    key: [u8; 32],
}

impl Signer {
    /// Adds `content-type` (with a body) and the signature headers to `headers`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sign_into(
        &self,
        headers: &mut http::HeaderMap,
        method: &http::Method,
        url: &url::Url,
        body: Option<&[u8]>,
        identity: &Identity,
        region: &str,
        time: SystemTime,
    ) -> Result<(), Error> {
        // A custom time source may say anything; the date stamp has four digits of year.
        if !crate::protocol::serde_time::in_years_1_to_9999(time) {
            return Err(BuildError::other(format!(
                "could not sign the request: the time source's time ({time:?}) is outside years 1 to 9999"
            ))
            .into());
        }
        let credentials = identity.data::<aws_credential_types::Credentials>();
        match credentials {
            Some(c) if plain_shape(url, c.session_token()) => {
                self.sign_plain(headers, method, url, body, c, region, time);
                Ok(())
            }
            _ => sign_with_aws_sigv4(headers, method, url.as_str(), body, identity, region, time),
        }
    }

    /// The canonical request of a request of the plain shape, signed with the kept key.
    #[allow(clippy::too_many_arguments)]
    fn sign_plain(
        &self,
        headers: &mut http::HeaderMap,
        method: &http::Method,
        url: &url::Url,
        body: Option<&[u8]>,
        credentials: &aws_credential_types::Credentials,
        region: &str,
        time: SystemTime,
    ) {
        let stamp = Stamp::of(time);
        let token = credentials.session_token();
        let signed = match (body.is_some(), token.is_some()) {
            (true, true) => "content-type;host;x-amz-date;x-amz-security-token",
            (true, false) => "content-type;host;x-amz-date",
            (false, true) => "host;x-amz-date;x-amz-security-token",
            (false, false) => "host;x-amz-date",
        };
        let mut canonical = String::with_capacity(512);
        canonical.push_str(method.as_str());
        canonical.push('\n');
        let path = url.path();
        if path.is_empty() {
            canonical.push('/');
        }
        // Encoded again: every `%` of the (already encoded) path becomes `%25`.
        for part in path.split_inclusive('%') {
            canonical.push_str(part);
            if part.ends_with('%') {
                canonical.push_str("25");
            }
        }
        canonical.push_str("\n\n");
        if body.is_some() {
            canonical.push_str("content-type:application/json\n");
        }
        canonical.push_str("host:");
        canonical.push_str(authority(url));
        canonical.push_str("\nx-amz-date:");
        canonical.push_str(stamp.date_time());
        canonical.push('\n');
        if let Some(token) = token {
            canonical.push_str("x-amz-security-token:");
            canonical.push_str(token);
            canonical.push('\n');
        }
        canonical.push('\n');
        canonical.push_str(signed);
        canonical.push('\n');
        push_hex(&mut canonical, &Sha256::digest(body.unwrap_or_default()));

        let scope_len = 8 + 1 + region.len() + 1 + SERVICE.len() + "/aws4_request".len();
        let mut to_sign = String::with_capacity(16 + 17 + scope_len + 2 + 64);
        to_sign.push_str("AWS4-HMAC-SHA256\n");
        to_sign.push_str(stamp.date_time());
        to_sign.push('\n');
        let scope_at = to_sign.len();
        to_sign.push_str(stamp.date());
        to_sign.push('/');
        to_sign.push_str(region);
        to_sign.push('/');
        to_sign.push_str(SERVICE);
        to_sign.push_str("/aws4_request");
        let scope_end = to_sign.len();
        to_sign.push('\n');
        push_hex(&mut to_sign, &Sha256::digest(canonical.as_bytes()));

        let key = self.key(credentials.secret_access_key(), &stamp, region, time);
        let signature = v4::calculate_signature(key, to_sign.as_bytes());

        let mut authorization = String::with_capacity(200);
        authorization.push_str("AWS4-HMAC-SHA256 Credential=");
        authorization.push_str(credentials.access_key_id());
        authorization.push('/');
        authorization.push_str(&to_sign[scope_at..scope_end]);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(signed);
        authorization.push_str(", Signature=");
        authorization.push_str(&signature);

        if body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // Visible ASCII by construction (the shape check covers the token).
        let value = |text: &str| HeaderValue::from_str(text).expect("visible ASCII");
        headers.insert(&X_AMZ_DATE, value(stamp.date_time()));
        if let Some(token) = token {
            let mut token = value(token);
            token.set_sensitive(true);
            headers.insert(&X_AMZ_SECURITY_TOKEN, token);
        }
        let mut authorization = value(&authorization);
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
    }

    /// The signing key for the day of `stamp`, derived again only when it changed.
    fn key(&self, secret: &str, stamp: &Stamp, region: &str, time: SystemTime) -> [u8; 32] {
        let mut kept = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = kept.as_ref()
            && k.date == stamp.text[..8]
            && k.region == region
            && k.secret == secret
        {
            return k.key;
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(v4::generate_signing_key(secret, time, region, SERVICE).as_ref());
        let mut date = [0u8; 8];
        date.copy_from_slice(&stamp.text[..8]);
        *kept = Some(SigningKey {
            date,
            region: region.to_owned(),
            secret: secret.to_owned(),
            key,
        });
        key
    }
}

/// Whether [`Signer::sign_plain`] gives what aws-sigv4 would: no query, a path of unreserved
/// characters, `/` and `%XX` escapes with no `.` or `..` segment, and a token of visible ASCII
/// without spaces.
fn plain_shape(url: &url::Url, token: Option<&str>) -> bool {
    let path = url.path();
    url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
        && path
            .split('/')
            .all(|segment| segment != "." && segment != "..")
        && escapes_are_whole(path)
        && token.is_none_or(|t| t.bytes().all(|b| b.is_ascii_graphic()))
}

/// Every `%` starts a `%XX` escape.
fn escapes_are_whole(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// `YYYYMMDDTHHMMSSZ` of a time (UTC).
struct Stamp {
    text: [u8; 16],
}

impl Stamp {
    fn of(time: SystemTime) -> Self {
        let t = time::OffsetDateTime::from(time);
        let mut text = *b"00000000T000000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, t.year() as u32);
        put(4, 2, u8::from(t.month()).into());
        put(6, 2, t.day().into());
        put(9, 2, t.hour().into());
        put(11, 2, t.minute().into());
        put(13, 2, t.second().into());
        Stamp { text }
    }

    fn date_time(&self) -> &str {
        std::str::from_utf8(&self.text).expect("ASCII digits")
    }

    fn date(&self) -> &str {
        &self.date_time()[..8]
    }
}

/// Signs with aws-sigv4's `sign`, adding `content-type` (with a body) and the signature headers
/// to `headers`.
pub(crate) fn sign_with_aws_sigv4(
    headers: &mut http::HeaderMap,
    method: &http::Method,
    url: &str,
    body: Option<&[u8]>,
    identity: &Identity,
    region: &str,
    time: std::time::SystemTime,
) -> Result<(), Error> {
    let signing_failed = |e: &dyn std::fmt::Display| {
        Error::from(BuildError::other(format!(
            "could not sign the request: {e}"
        )))
    };
    let content_type = body.map(|_| ("content-type", "application/json"));
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        content_type.into_iter(),
        SignableBody::Bytes(body.unwrap_or_default()),
    )
    .map_err(|e| signing_failed(&e))?;
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name("ivschat")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing_failed(&e))?
        .into();
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| signing_failed(&e))?
        .into_parts();
    if body.is_some() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    for header in instructions.into_parts().0 {
        let mut value = HeaderValue::from_str(header.value()).map_err(|e| signing_failed(&e))?;
        // Kept out of `Debug` output (hyper's, ours) along with the session token.
        value.set_sensitive(header.sensitive() || header.name() == "authorization");
        headers.insert(header.name(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use std::time::Duration;

    fn signed_headers(
        method: &http::Method,
        url: &str,
        body: Option<&[u8]>,
        credentials: &Credentials,
        time: std::time::SystemTime,
    ) -> http::HeaderMap {
        let identity = Identity::from(credentials.to_aws());
        let mut headers = http::HeaderMap::new();
        Signer::default()
            .sign_into(
                &mut headers,
                method,
                &url::Url::parse(url).unwrap(),
                body,
                &identity,
                "us-east-1",
                time,
            )
            .unwrap();
        headers
    }

    /// botocore's signatures from spec §5.2 (frozen at 2015-08-30T12:36:00Z), over the exact bytes.
    #[test]
    fn signatures_match_botocore_vectors() {
        let time = std::time::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        );
        let host = "https://ivschat.us-east-1.amazonaws.com";
        let arn = "arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234";
        let cases: &[(&str, String, Option<&str>, &str, &str)] = &[
            (
                "POST",
                format!("{host}/CreateRoom"),
                Some(r#"{"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}}"#),
                "content-type;host;x-amz-date",
                "c4a54105571de73dc69b7cc59990a8c966bf66a29eab2680310c4f63bdde258c",
            ),
            (
                "POST",
                format!("{host}/ListRooms"),
                Some(r#"{"maxResults": 10}"#),
                "content-type;host;x-amz-date",
                "48623fb50db697da9078612cf4cc12638fc6a1f3aa97955bad090f76335c1d53",
            ),
            (
                "POST",
                format!("{host}/tags/{arn}"),
                Some(r#"{"tags": {"a": "b"}}"#),
                "content-type;host;x-amz-date",
                "0d8240a821a3f95ad05e43893a5ad8b8dc85a2e197f2291aadd0f6b6fd7c58a4",
            ),
            (
                "DELETE",
                format!("{host}/tags/{arn}?tagKeys=a&tagKeys=b"),
                None,
                "host;x-amz-date",
                "45b7d08262a0129f0ae253928c1d0aa9315809ec978b03241726a2764bc1e677",
            ),
            (
                "GET",
                format!("{host}/tags/{arn}"),
                None,
                "host;x-amz-date",
                "cb6b5cb14860847f50b3effcffee01f608bfad2ebb69378b23d50ddeb238c6f9",
            ),
            (
                "POST",
                format!("{host}/CreateChatToken"),
                Some(
                    r#"{"roomIdentifier": "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234", "userId": "u1", "capabilities": ["SEND_MESSAGE"], "sessionDurationInMinutes": 60, "attributes": {"k": "v"}}"#,
                ),
                "content-type;host;x-amz-date",
                "fcfbb5169d848782a228b88925741ebdce0ea13723f472c819d92d1ee850e520",
            ),
        ];
        for (method, url, body, signed, signature) in cases {
            let method: http::Method = method.parse().unwrap();
            let headers = signed_headers(&method, url, body.map(str::as_bytes), &creds, time);
            let auth = headers["authorization"].to_str().unwrap();
            assert_eq!(
                auth,
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders={signed}, Signature={signature}"
                ),
                "{method} {url}"
            );
            assert_eq!(headers["x-amz-date"], "20150830T123600Z");
            assert!(!headers.contains_key("x-amz-content-sha256"));
            assert!(headers["authorization"].is_sensitive());
        }
    }

    #[test]
    fn session_tokens_are_sent_and_signed() {
        let time = std::time::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let creds = Credentials::new("AKID", "secret", Some("the-token".into()));
        let headers = signed_headers(
            &http::Method::POST,
            "https://ivschat.us-east-1.amazonaws.com/ListRooms",
            Some(b"{}"),
            &creds,
            time,
        );
        assert_eq!(headers["x-amz-security-token"], "the-token");
        assert!(headers["x-amz-security-token"].is_sensitive());
        assert_eq!(headers["content-type"], "application/json");
        let auth = headers["authorization"].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
            "{auth}"
        );
    }

    /// The plain path against aws-sigv4's over random requests of the plain shape: the same
    /// headers, byte for byte (the kept key reused across them).
    #[test]
    fn the_plain_path_signs_as_aws_sigv4_does() {
        let signer = Signer::default();
        let paths = [
            "/GetRoom",
            "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234",
            "/prefix/CreateChatToken",
            "/a-b_c.d~e/%20%2F",
        ];
        let hosts = [
            "https://ivschat.us-east-1.amazonaws.com",
            "http://127.0.0.1:4566",
            "http://localhost:8080",
            "http://[::1]:9000",
            "https://ivschat.eu-west-1.amazonaws.com:443",
        ];
        for i in 0..400u64 {
            let url = format!(
                "{}{}",
                hosts[i as usize % hosts.len()],
                paths[(i / 5) as usize % paths.len()]
            );
            let url = url::Url::parse(&url).unwrap();
            let method = [http::Method::POST, http::Method::GET, http::Method::DELETE]
                [i as usize % 3]
                .clone();
            let body = format!(r#"{{"n": {}, "s": "x\u00e9 y"}}"#, fastrand::u32(..));
            let body = (i % 4 != 3).then_some(body.as_bytes());
            let token = (i % 2 == 0).then(|| format!("FwoGZXIvYXdzE{}/+=", fastrand::u64(..)));
            let creds = Credentials::new("AKIDEXAMPLE", format!("secret{}", i % 3), token);
            let identity = Identity::from(creds.to_aws());
            let region = ["us-east-1", "eu-west-1", "ap-northeast-2"][i as usize % 3];
            // Across midnights and years, and the same second more than once.
            let time = std::time::UNIX_EPOCH
                + Duration::from_secs(1_440_938_160 + (i / 2) * 86_397 + fastrand::u64(..90_000));
            assert!(plain_shape(&url, creds.session_token()), "{url}");
            let mut plain = http::HeaderMap::new();
            signer
                .sign_into(&mut plain, &method, &url, body, &identity, region, time)
                .unwrap();
            let mut oracle = http::HeaderMap::new();
            sign_with_aws_sigv4(
                &mut oracle,
                &method,
                url.as_str(),
                body,
                &identity,
                region,
                time,
            )
            .unwrap();
            assert_eq!(plain, oracle, "{method} {url} at {time:?}");
            for (name, value) in &oracle {
                assert_eq!(plain[name].is_sensitive(), value.is_sensitive(), "{name}");
            }
        }
    }

    #[test]
    fn other_shapes_go_through_aws_sigv4() {
        let parse = |u: &str| url::Url::parse(u).unwrap();
        assert!(!plain_shape(&parse("https://h/tags/x?tagKeys=a"), None));
        assert!(!plain_shape(&parse("https://h/a%2"), None));
        assert!(!plain_shape(&parse("https://h/a!b"), None));
        assert!(!plain_shape(&parse("https://u:p@h/GetRoom"), None));
        assert!(!plain_shape(&parse("https://h/GetRoom"), Some("a token")));
        assert!(plain_shape(&parse("https://h/GetRoom"), Some("a+b/c=")));
    }

    #[test]
    fn a_time_outside_years_1_to_9999_is_an_error_not_a_panic() {
        let year = Duration::from_secs(366 * 86_400);
        let token = Some("session".to_owned());
        for credentials in [
            Credentials::new("AKID", "secret", None),
            Credentials::new("AKID", "secret", token),
        ] {
            let identity = Identity::from(credentials.to_aws());
            let url = url::Url::parse("https://ivschat.us-east-1.amazonaws.com/GetRoom").unwrap();
            for time in [
                std::time::UNIX_EPOCH + year * 8_100,
                std::time::UNIX_EPOCH - year * 1_980,
            ] {
                let signed = Signer::default().sign_into(
                    &mut http::HeaderMap::new(),
                    &http::Method::POST,
                    &url,
                    Some(b"{}"),
                    &identity,
                    "us-east-1",
                    time,
                );
                let error = signed.expect_err("out of range");
                assert!(
                    error.to_string().contains("outside years 1 to 9999"),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn stamps_are_utc_calendar_times() {
        let at = |secs: u64| Stamp::of(std::time::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0).date_time(), "19700101T000000Z");
        assert_eq!(at(1_440_938_160).date_time(), "20150830T123600Z");
        assert_eq!(at(951_782_400).date_time(), "20000229T000000Z");
        assert_eq!(at(4_102_444_799).date_time(), "20991231T235959Z");
    }
}

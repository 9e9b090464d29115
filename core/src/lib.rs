//! Amazon IVS Chat control-plane client.
//!
//! One signed, retried, typed client for all 17 operations, with the call surface of
//! `aws-sdk-ivschat`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), ivschat::Error> {
//! let config = ivschat::Config::builder()
//!     .region("us-east-1")
//!     .endpoint_url("http://127.0.0.1:4580")
//!     .credentials(ivschat::Credentials::new("test", "test", None))
//!     .build()?;
//! let client = ivschat::Client::new(&config);
//! let room = client.create_room().name("demo").tags("env", "dev").send().await?;
//! println!("{:?}", room.arn());
//! # Ok(()) }
//! ```
//!
//! Features: `default-credentials` (default: the AWS default credential and region chain),
//! `sso`, `messaging` (the chat-room client, `ivschat::messaging`) and `dynamic` (operations named
//! at run time with JSON in and out, the language bindings' entry).

#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod credentials;
#[cfg(feature = "dynamic")]
pub mod dynamic;
pub mod endpoint;
pub mod error;
#[cfg(feature = "messaging")]
pub mod messaging;
pub mod operation;
pub mod options;
pub mod paginator;
#[doc(hidden)]
pub mod protocol;
pub mod retry;
mod signing;
#[cfg(test)]
mod tls_test_server;
pub(crate) mod transport;
pub mod types;

pub use client::{Client, ResponseMetadata};
pub use config::{Config, ConfigBuilder};
pub use credentials::{Credentials, ProvideCredentials};
pub use error::{BuildError, Error, ErrorKind};
pub use retry::RetryConfig;
pub use transport::DEFAULT_MAX_RESPONSE_BYTES;
/// Calls driven on a host's event loop (the Node binding's); not public API.
#[cfg(all(unix, feature = "hosted"))]
#[doc(hidden)]
pub use transport::hosted::HostedLoop;

/// What `Debug` prints in place of a secret.
pub(crate) const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// This library's version, as sent in the User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

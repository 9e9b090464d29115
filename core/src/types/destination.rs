//! The `DestinationConfiguration` union: exactly one logging destination.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::{
    CloudWatchLogsDestinationConfiguration, FirehoseDestinationConfiguration,
    S3DestinationConfiguration,
};

/// The key under which an unknown member is reported, as botocore does.
pub const UNKNOWN_MEMBER: &str = "SDK_UNKNOWN_MEMBER";

/// Where chat logs are delivered. A member this library does not know parses to `Unknown`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DestinationConfiguration {
    /// `s3`: an Amazon S3 bucket.
    S3(S3DestinationConfiguration),
    /// `cloudWatchLogs`: a CloudWatch Logs log group.
    CloudWatchLogs(CloudWatchLogsDestinationConfiguration),
    /// `firehose`: a Kinesis Data Firehose delivery stream.
    Firehose(FirehoseDestinationConfiguration),
    /// A member this version of the library does not know; holds the member name.
    Unknown(String),
}

impl DestinationConfiguration {
    /// The S3 destination, if that is the member set.
    pub fn as_s3(&self) -> Option<&S3DestinationConfiguration> {
        match self {
            Self::S3(v) => Some(v),
            _ => None,
        }
    }

    /// The CloudWatch Logs destination, if that is the member set.
    pub fn as_cloud_watch_logs(&self) -> Option<&CloudWatchLogsDestinationConfiguration> {
        match self {
            Self::CloudWatchLogs(v) => Some(v),
            _ => None,
        }
    }

    /// The Firehose destination, if that is the member set.
    pub fn as_firehose(&self) -> Option<&FirehoseDestinationConfiguration> {
        match self {
            Self::Firehose(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the member is one this library does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl Serialize for DestinationConfiguration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Self::S3(v) => map.serialize_entry("s3", v)?,
            Self::CloudWatchLogs(v) => map.serialize_entry("cloudWatchLogs", v)?,
            Self::Firehose(v) => map.serialize_entry("firehose", v)?,
            // The shape botocore gives an unknown member; never sent (inputs are validated first).
            Self::Unknown(name) => {
                map.serialize_entry(UNKNOWN_MEMBER, &serde_json::json!({ "name": name }))?
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for DestinationConfiguration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UnionVisitor;
        impl<'de> Visitor<'de> for UnionVisitor {
            type Value = DestinationConfiguration;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a DestinationConfiguration object with one member")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found: Option<DestinationConfiguration> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = match key.as_str() {
                        "s3" => map
                            .next_value::<Option<_>>()?
                            .map(DestinationConfiguration::S3),
                        "cloudWatchLogs" => map
                            .next_value::<Option<_>>()?
                            .map(DestinationConfiguration::CloudWatchLogs),
                        "firehose" => map
                            .next_value::<Option<_>>()?
                            .map(DestinationConfiguration::Firehose),
                        "__type" => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            Some(DestinationConfiguration::Unknown(key))
                        }
                    };
                    if let Some(value) = value {
                        if found.is_some() {
                            return Err(de::Error::custom(
                                "DestinationConfiguration has more than one member set",
                            ));
                        }
                        found = Some(value);
                    }
                }
                found.ok_or_else(|| de::Error::custom("DestinationConfiguration has no member set"))
            }
        }
        deserializer.deserialize_map(UnionVisitor)
    }
}

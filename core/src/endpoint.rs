//! Endpoint resolution: the IVS Chat endpoint rule set (spec §3) over botocore's partition data.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// botocore's `partitions.json`, embedded unchanged.
const PARTITIONS_JSON: &str = include_str!("endpoint/partitions.json");

/// Inputs of the IVS Chat endpoint rule set (spec §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// `AWS::Region`.
    pub region: Option<String>,
    /// `AWS::UseFIPS`.
    pub use_fips: bool,
    /// `AWS::UseDualStack`.
    pub use_dual_stack: bool,
    /// `SDK::Endpoint`: a custom endpoint URL, returned unchanged.
    pub endpoint: Option<String>,
}

/// A rule-set error; `Display` is exactly the rule set's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    message: String,
}

impl ResolveError {
    fn new(message: &str) -> Self {
        Self {
            message: message.to_owned(),
        }
    }

    /// The rule set's error message, e.g. "Invalid Configuration: Missing Region".
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResolveError {}

/// The outputs of `aws.partition` for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Partition id: "aws", "aws-cn", "aws-us-gov", "aws-iso", ...
    pub name: String,
    /// e.g. "amazonaws.com".
    pub dns_suffix: String,
    /// e.g. "api.aws".
    pub dual_stack_dns_suffix: String,
    /// e.g. "us-east-1".
    pub implicit_global_region: String,
    /// `supportsFIPS`.
    pub supports_fips: bool,
    /// `supportsDualStack`.
    pub supports_dual_stack: bool,
}

#[derive(Deserialize)]
struct RawFile {
    partitions: Vec<RawPartition>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPartition {
    id: String,
    outputs: RawOutputs,
    region_regex: String,
    regions: HashMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOutputs {
    dns_suffix: String,
    dual_stack_dns_suffix: String,
    #[serde(default)]
    implicit_global_region: String,
    #[serde(rename = "supportsFIPS")]
    supports_fips: bool,
    supports_dual_stack: bool,
}

struct Entry {
    regions: HashSet<String>,
    regex: Option<Regex>,
    partition: Partition,
}

struct Table {
    entries: Vec<Entry>,
    aws: usize,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file: RawFile =
            serde_json::from_str(PARTITIONS_JSON).expect("embedded partitions.json is valid");
        let entries: Vec<Entry> = file
            .partitions
            .into_iter()
            .map(|raw| Entry {
                regions: raw.regions.into_keys().collect(),
                regex: Regex::new(&raw.region_regex).ok(),
                partition: Partition {
                    name: raw.id,
                    dns_suffix: raw.outputs.dns_suffix,
                    dual_stack_dns_suffix: raw.outputs.dual_stack_dns_suffix,
                    implicit_global_region: raw.outputs.implicit_global_region,
                    supports_fips: raw.outputs.supports_fips,
                    supports_dual_stack: raw.outputs.supports_dual_stack,
                },
            })
            .collect();
        let aws = entries
            .iter()
            .position(|e| e.partition.name == "aws")
            .expect("embedded partitions.json has the aws partition");
        Table { entries, aws }
    })
}

fn lookup(region: &str) -> &'static Partition {
    let t = table();
    let entry = t
        .entries
        .iter()
        .find(|e| e.regions.contains(region))
        .or_else(|| {
            t.entries
                .iter()
                .find(|e| e.regex.as_ref().is_some_and(|r| r.is_match(region)))
        })
        .unwrap_or(&t.entries[t.aws]);
    &entry.partition
}

/// The partition of `region` per `aws.partition`: explicit region lists first, then each
/// `regionRegex`, else the "aws" partition. Per-region overrides are ignored, as in botocore.
pub fn partition_of(region: &str) -> Partition {
    lookup(region).clone()
}

/// boto3's `_normalize_fips_region`: removes every "fips-", then every "-fips" (case-sensitive,
/// anywhere in the name). Returns the region and whether FIPS must be turned on (name changed).
pub fn normalize_fips_region(region: &str) -> (String, bool) {
    let normalized = region.replace("fips-", "").replace("-fips", "");
    let changed = normalized != region;
    (normalized, changed)
}

/// Evaluates the rule set exactly as spec §3.2 describes and returns the endpoint URL,
/// e.g. `https://ivschat.us-east-1.amazonaws.com`.
pub fn resolve(params: &Params) -> Result<String, ResolveError> {
    if let Some(endpoint) = &params.endpoint {
        if params.use_fips {
            return Err(ResolveError::new(
                "Invalid Configuration: FIPS and custom endpoint are not supported",
            ));
        }
        if params.use_dual_stack {
            return Err(ResolveError::new(
                "Invalid Configuration: Dualstack and custom endpoint are not supported",
            ));
        }
        return Ok(endpoint.clone());
    }
    match &params.region {
        Some(region) => regional(
            region,
            params.use_fips,
            params.use_dual_stack,
            lookup(region),
        ),
        None => Err(ResolveError::new("Invalid Configuration: Missing Region")),
    }
}

/// The four FIPS/DualStack branches of the rule set for a resolved partition.
fn regional(region: &str, fips: bool, dual: bool, p: &Partition) -> Result<String, ResolveError> {
    let (host, suffix) = match (fips, dual) {
        (true, true) if p.supports_fips && p.supports_dual_stack => {
            ("ivschat-fips", &p.dual_stack_dns_suffix)
        }
        (true, true) => {
            return Err(ResolveError::new(
                "FIPS and DualStack are enabled, but this partition does not support one or both",
            ));
        }
        (true, false) if p.supports_fips => ("ivschat-fips", &p.dns_suffix),
        (true, false) => {
            return Err(ResolveError::new(
                "FIPS is enabled but this partition does not support FIPS",
            ));
        }
        (false, true) if p.supports_dual_stack => ("ivschat", &p.dual_stack_dns_suffix),
        (false, true) => {
            return Err(ResolveError::new(
                "DualStack is enabled but this partition does not support DualStack",
            ));
        }
        (false, false) => ("ivschat", &p.dns_suffix),
    };
    Ok(format!("https://{host}.{region}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const CASES_JSON: &str = include_str!("../tests/data/endpoint_cases.json");

    fn params(region: Option<&str>, fips: bool, dual: bool, endpoint: Option<&str>) -> Params {
        Params {
            region: region.map(str::to_owned),
            use_fips: fips,
            use_dual_stack: dual,
            endpoint: endpoint.map(str::to_owned),
        }
    }

    fn outcome(p: &Params) -> Result<String, String> {
        resolve(p).map_err(|e| e.to_string())
    }

    fn doc() -> Value {
        serde_json::from_str(CASES_JSON).expect("endpoint_cases.json parses")
    }

    fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
        v.get(key).and_then(Value::as_str)
    }

    #[test]
    fn botocore_cases() {
        let doc = doc();
        let cases = doc["cases"].as_array().expect("cases array");
        let mut failures = Vec::new();
        for case in cases {
            let (p, e) = (&case["params"], &case["expect"]);
            let params = params(
                str_field(p, "region"),
                p["useFips"].as_bool().expect("useFips"),
                p["useDualStack"].as_bool().expect("useDualStack"),
                str_field(p, "endpoint"),
            );
            let want = match (str_field(e, "url"), str_field(e, "error")) {
                (Some(url), None) => Ok(url.to_owned()),
                (None, Some(err)) => Err(err.to_owned()),
                _ => panic!("bad expectation {e}"),
            };
            let got = outcome(&params);
            if got != want {
                failures.push(format!("{params:?}: got {got:?}, botocore {want:?}"));
            }
        }
        println!("checked {} botocore endpoint cases", cases.len());
        assert!(
            cases.len() >= 900,
            "suspiciously few cases: {}",
            cases.len()
        );
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn fips_pseudo_regions() {
        let doc = doc();
        let cases = doc["fipsPseudoRegions"]
            .as_array()
            .expect("fipsPseudoRegions array");
        for case in cases {
            let region = str_field(case, "region").expect("region");
            let dual = case["useDualStack"].as_bool().expect("useDualStack");
            let (normalized, fips) = normalize_fips_region(region);
            assert_eq!(
                Some(normalized.as_str()),
                str_field(case, "expectRegion"),
                "{region}"
            );
            assert_eq!(Some(fips), case["expectFips"].as_bool(), "{region}");
            let url = resolve(&params(Some(&normalized), fips, dual, None));
            assert_eq!(
                url.as_deref().ok(),
                str_field(case, "expectUrl"),
                "{region}"
            );
        }
        println!("checked {} boto3 FIPS pseudo-region cases", cases.len());
        assert!(cases.len() >= 20);
    }

    /// Runs rows written as "REGION [+fips] [+dual] [+ex] => URL | error: MESSAGE";
    /// REGION "-" leaves it unset and "+ex" sets Endpoint to https://example.com.
    fn check_rows(rows: &[&str]) {
        for row in rows {
            let (input, want) = row.split_once(" => ").expect("row has =>");
            let mut words = input.split_whitespace();
            let region = words.next().filter(|r| *r != "-");
            let flags: Vec<&str> = words.collect();
            let has = |f: &str| flags.contains(&f);
            let p = params(
                region,
                has("+fips"),
                has("+dual"),
                has("+ex").then_some("https://example.com"),
            );
            let want = match want.strip_prefix("error: ") {
                Some(message) => Err(message.to_owned()),
                None => Ok(want.to_owned()),
            };
            assert_eq!(outcome(&p), want, "{row}");
        }
    }

    /// Every row of spec §3.3.
    #[test]
    fn spec_table() {
        check_rows(&[
            "us-east-1 => https://ivschat.us-east-1.amazonaws.com",
            "us-east-1 +dual => https://ivschat.us-east-1.api.aws",
            "us-east-1 +fips => https://ivschat-fips.us-east-1.amazonaws.com",
            "us-east-1 +fips +dual => https://ivschat-fips.us-east-1.api.aws",
            "eu-west-1 => https://ivschat.eu-west-1.amazonaws.com",
            "cn-north-1 => https://ivschat.cn-north-1.amazonaws.com.cn",
            "cn-north-1 +dual => https://ivschat.cn-north-1.api.amazonwebservices.com.cn",
            "cn-north-1 +fips => https://ivschat-fips.cn-north-1.amazonaws.com.cn",
            "cn-north-1 +fips +dual => https://ivschat-fips.cn-north-1.api.amazonwebservices.com.cn",
            "us-gov-west-1 => https://ivschat.us-gov-west-1.amazonaws.com",
            "us-gov-west-1 +dual => https://ivschat.us-gov-west-1.api.aws",
            "us-gov-west-1 +fips => https://ivschat-fips.us-gov-west-1.amazonaws.com",
            "us-gov-west-1 +fips +dual => https://ivschat-fips.us-gov-west-1.api.aws",
            "us-iso-east-1 => https://ivschat.us-iso-east-1.c2s.ic.gov",
            "us-iso-east-1 +fips => https://ivschat-fips.us-iso-east-1.c2s.ic.gov",
            "us-isob-east-1 => https://ivschat.us-isob-east-1.sc2s.sgov.gov",
            "us-isob-east-1 +fips => https://ivschat-fips.us-isob-east-1.sc2s.sgov.gov",
            "eu-isoe-west-1 => https://ivschat.eu-isoe-west-1.cloud.adc-e.uk",
            "us-isof-south-1 => https://ivschat.us-isof-south-1.csp.hci.ic.gov",
            "eusc-de-east-1 => https://ivschat.eusc-de-east-1.amazonaws.eu",
            "us-east-1 +ex => https://example.com",
            "cn-north-1 +ex => https://example.com",
            "mars-1 +ex => https://example.com",
            "- +ex => https://example.com",
            "us-east-1 +fips +ex => error: Invalid Configuration: FIPS and custom endpoint are not supported",
            "us-east-1 +dual +ex => error: Invalid Configuration: Dualstack and custom endpoint are not supported",
            "- => error: Invalid Configuration: Missing Region",
            "- +fips +dual => error: Invalid Configuration: Missing Region",
            // Passed straight to the rule set, a FIPS pseudo-region is used verbatim.
            "fips-us-east-1 => https://ivschat.fips-us-east-1.amazonaws.com",
        ]);
    }

    /// The 23 generated endpoint tests of the AWS Rust SDK (`src/config/endpoint.rs`).
    #[test]
    fn rust_sdk_cases() {
        let rows = [
            "eu-west-1 => https://ivschat.eu-west-1.amazonaws.com",
            "us-east-1 => https://ivschat.us-east-1.amazonaws.com",
            "us-west-2 => https://ivschat.us-west-2.amazonaws.com",
            "us-east-1 +fips +dual => https://ivschat-fips.us-east-1.api.aws",
            "us-east-1 +fips => https://ivschat-fips.us-east-1.amazonaws.com",
            "us-east-1 +dual => https://ivschat.us-east-1.api.aws",
            "cn-north-1 +fips +dual => https://ivschat-fips.cn-north-1.api.amazonwebservices.com.cn",
            "cn-north-1 +fips => https://ivschat-fips.cn-north-1.amazonaws.com.cn",
            "cn-north-1 +dual => https://ivschat.cn-north-1.api.amazonwebservices.com.cn",
            "cn-north-1 => https://ivschat.cn-north-1.amazonaws.com.cn",
            "us-gov-east-1 +fips +dual => https://ivschat-fips.us-gov-east-1.api.aws",
            "us-gov-east-1 +fips => https://ivschat-fips.us-gov-east-1.amazonaws.com",
            "us-gov-east-1 +dual => https://ivschat.us-gov-east-1.api.aws",
            "us-gov-east-1 => https://ivschat.us-gov-east-1.amazonaws.com",
            "us-iso-east-1 +fips => https://ivschat-fips.us-iso-east-1.c2s.ic.gov",
            "us-iso-east-1 => https://ivschat.us-iso-east-1.c2s.ic.gov",
            "us-isob-east-1 +fips => https://ivschat-fips.us-isob-east-1.sc2s.sgov.gov",
            "us-isob-east-1 => https://ivschat.us-isob-east-1.sc2s.sgov.gov",
            "us-east-1 +ex => https://example.com",
            "- +ex => https://example.com",
            "us-east-1 +fips +ex => error: Invalid Configuration: FIPS and custom endpoint are not supported",
            "us-east-1 +dual +ex => error: Invalid Configuration: Dualstack and custom endpoint are not supported",
            "- => error: Invalid Configuration: Missing Region",
        ];
        assert_eq!(rows.len(), 23);
        check_rows(&rows);
    }

    #[test]
    fn unsupported_partition_errors() {
        let base = partition_of("us-iso-east-1");
        let no_dual = Partition {
            supports_dual_stack: false,
            ..base.clone()
        };
        let no_fips = Partition {
            supports_fips: false,
            ..base
        };
        let both =
            "FIPS and DualStack are enabled, but this partition does not support one or both";
        let fips = "FIPS is enabled but this partition does not support FIPS";
        let dual = "DualStack is enabled but this partition does not support DualStack";
        let err = |r: Result<String, ResolveError>| r.unwrap_err().message().to_owned();
        assert_eq!(err(regional("r", true, true, &no_dual)), both);
        assert_eq!(err(regional("r", true, true, &no_fips)), both);
        assert_eq!(err(regional("r", true, false, &no_fips)), fips);
        assert_eq!(err(regional("r", false, true, &no_dual)), dual);
        assert_eq!(
            regional("r", true, false, &no_dual).unwrap(),
            "https://ivschat-fips.r.c2s.ic.gov"
        );
        assert_eq!(
            regional("r", false, true, &no_fips).unwrap(),
            "https://ivschat.r.api.aws.ic.gov"
        );
    }

    #[test]
    fn partitions() {
        let cases = [
            ("us-east-1", "aws"),
            ("aws-global", "aws"),
            ("us-east-9", "aws"),
            ("mars-1", "aws"),
            ("", "aws"),
            ("US-EAST-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("aws-cn-global", "aws-cn"),
            ("cn-northwest-9", "aws-cn"),
            ("us-gov-west-9", "aws-us-gov"),
            ("us-iso-west-9", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-9", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-9", "aws-eusc"),
        ];
        for (region, name) in cases {
            assert_eq!(partition_of(region).name, name, "{region}");
        }
        let cn = partition_of("cn-north-1");
        assert_eq!(cn.dns_suffix, "amazonaws.com.cn");
        assert_eq!(cn.dual_stack_dns_suffix, "api.amazonwebservices.com.cn");
        assert_eq!(cn.implicit_global_region, "cn-northwest-1");
        assert!(cn.supports_fips && cn.supports_dual_stack);
    }

    /// botocore tests "listed or regex" per partition in order; Smithy tests all lists first.
    /// With the embedded data both orders agree, and every regex compiles under regex-lite.
    #[test]
    fn partition_data_is_order_independent() {
        let t = table();
        assert_eq!(t.entries.len(), 8);
        for (i, e) in t.entries.iter().enumerate() {
            assert!(
                e.regex.is_some(),
                "{} regionRegex compiles",
                e.partition.name
            );
            for region in &e.regions {
                for earlier in &t.entries[..i] {
                    let hit = earlier.regex.as_ref().is_some_and(|r| r.is_match(region));
                    assert!(!hit, "{region} also matches {}", earlier.partition.name);
                }
            }
        }
    }

    #[test]
    fn normalize_fips() {
        assert_eq!(
            normalize_fips_region("fips-us-east-1"),
            ("us-east-1".into(), true)
        );
        assert_eq!(
            normalize_fips_region("us-east-1-fips"),
            ("us-east-1".into(), true)
        );
        assert_eq!(
            normalize_fips_region("us-fips-east-1"),
            ("us-east-1".into(), true)
        );
        assert_eq!(
            normalize_fips_region("us-east-1"),
            ("us-east-1".into(), false)
        );
        assert_eq!(
            normalize_fips_region("FIPS-us-east-1"),
            ("FIPS-us-east-1".into(), false)
        );
        assert_eq!(normalize_fips_region("fips"), ("fips".into(), false));
        assert_eq!(normalize_fips_region("fipfips--"), ("fip-".into(), true));
        assert_eq!(normalize_fips_region(""), (String::new(), false));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let long = "a-".repeat(10_000);
        for region in [
            "",
            "-",
            "\0",
            "\n",
            "ü",
            "🦀-1",
            "cn-nörth-1",
            "us-east-1\n",
            long.as_str(),
        ] {
            for (fips, dual) in [(false, false), (true, false), (false, true), (true, true)] {
                let url = resolve(&params(Some(region), fips, dual, None)).unwrap();
                assert!(url.contains(region));
                let _ = normalize_fips_region(region);
            }
        }
        assert_eq!(resolve(&params(None, false, false, Some(""))).unwrap(), "");
    }
}

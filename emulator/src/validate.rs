//! Model-driven input validation. The botocore model (a copy of `shared/spec/model/service-2.json`)
//! is embedded and compiled once: required members, string lengths (in code points), integer
//! ranges, list/map sizes, patterns (matched against the whole value, as the service does), enums, nested
//! structures and the "exactly one member" union. Failures become a 400 ValidationException with
//! reason FIELD_VALIDATION_FAILED and a `fieldList` naming each bad member by its path
//! (`destinationConfiguration.s3.bucketName`, `loggingConfigurationIdentifiers[1]`, `tags.env`).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// The embedded botocore model.
pub const MODEL_JSON: &str = include_str!("model/service-2.json");

/// The model's `ResourceArn` pattern does not match real ARNs (spec §1.2); this one does.
const RESOURCE_ARN_PATTERN: &str =
    r"^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:(room|logging-configuration)/[a-zA-Z0-9-]+$";

/// Where an input member travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// JSON body member.
    Body,
    /// URI label `{name}`.
    Uri(String),
    /// Query string parameter.
    Query(String),
}

/// One structure member.
#[derive(Debug)]
pub struct Member {
    /// Member name.
    pub name: String,
    /// Target shape name.
    pub shape: String,
    /// Where it travels.
    pub location: Location,
}

/// A compiled shape.
#[derive(Debug)]
pub enum Shape {
    /// string
    String {
        /// min length (code points)
        min: Option<u64>,
        /// max length (code points)
        max: Option<u64>,
        /// compiled pattern and its source
        pattern: Option<(Regex, String)>,
        /// enum values
        enumeration: Option<Vec<String>>,
        /// sensitive (value never echoed)
        sensitive: bool,
    },
    /// integer / long
    Integer {
        /// minimum value
        min: Option<i64>,
        /// maximum value
        max: Option<i64>,
    },
    /// boolean
    Boolean,
    /// timestamp (output only in this model)
    Timestamp,
    /// list
    List {
        /// member shape
        member: String,
        /// min items
        min: Option<u64>,
        /// max items
        max: Option<u64>,
    },
    /// map
    Map {
        /// key shape
        key: String,
        /// value shape
        value: String,
        /// min entries
        min: Option<u64>,
        /// max entries
        max: Option<u64>,
    },
    /// structure (or union)
    Structure {
        /// members in model order
        members: Vec<Member>,
        /// required member names
        required: Vec<String>,
        /// union: exactly one member set
        union: bool,
    },
    /// anything else
    Other,
}

/// One operation from the model.
#[derive(Debug)]
pub struct OperationDef {
    /// Operation name, e.g. `CreateRoom`.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Request URI template, e.g. `/tags/{resourceArn}`.
    pub uri: String,
    /// Success status code.
    pub status: u16,
    /// Input shape name.
    pub input: Option<String>,
}

/// The compiled model.
#[derive(Debug)]
pub struct Model {
    /// Shapes by name.
    pub shapes: HashMap<String, Shape>,
    /// Operations by name.
    pub operations: HashMap<String, OperationDef>,
}

fn num_u(v: &Value, k: &str) -> Option<u64> {
    v.get(k)
        .and_then(|x| x.as_u64().or_else(|| x.as_f64().map(|f| f as u64)))
}
fn num_i(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}
fn string_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

impl Model {
    /// Compile a botocore model document.
    pub fn parse(text: &str) -> Result<Model, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut shapes = HashMap::new();
        let raw_shapes = doc
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or("no shapes")?;
        for (name, s) in raw_shapes {
            let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
            let shape = match ty {
                "string" => {
                    let pattern = match s.get("pattern").and_then(Value::as_str) {
                        Some(_) if name == "ResourceArn" => Some(RESOURCE_ARN_PATTERN.to_string()),
                        Some(p) => Some(p.to_string()),
                        None => None,
                    };
                    let pattern = match pattern {
                        // The service matches the whole value (Java `Pattern.matches` semantics).
                        Some(p) => Some((
                            Regex::new(&format!("^(?:{p})$"))
                                .map_err(|e| format!("{name}: {e}"))?,
                            p,
                        )),
                        None => None,
                    };
                    Shape::String {
                        min: num_u(s, "min"),
                        max: num_u(s, "max"),
                        pattern,
                        enumeration: s.get("enum").and_then(Value::as_array).map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        }),
                        sensitive: s.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
                    }
                }
                "integer" | "long" => Shape::Integer {
                    min: num_i(s, "min"),
                    max: num_i(s, "max"),
                },
                "boolean" => Shape::Boolean,
                "timestamp" => Shape::Timestamp,
                "list" => Shape::List {
                    member: s
                        .pointer("/member/shape")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    min: num_u(s, "min"),
                    max: num_u(s, "max"),
                },
                "map" => Shape::Map {
                    key: s
                        .pointer("/key/shape")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    value: s
                        .pointer("/value/shape")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    min: num_u(s, "min"),
                    max: num_u(s, "max"),
                },
                "structure" => {
                    let mut members = Vec::new();
                    if let Some(ms) = s.get("members").and_then(Value::as_object) {
                        for (mname, m) in ms {
                            let loc_name =
                                string_of(m, "locationName").unwrap_or_else(|| mname.clone());
                            let location = match m.get("location").and_then(Value::as_str) {
                                Some("uri") => Location::Uri(loc_name),
                                Some("querystring") => Location::Query(loc_name),
                                _ => Location::Body,
                            };
                            members.push(Member {
                                name: mname.clone(),
                                shape: string_of(m, "shape").unwrap_or_default(),
                                location,
                            });
                        }
                    }
                    let required = s
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    Shape::Structure {
                        members,
                        required,
                        union: s.get("union").and_then(Value::as_bool).unwrap_or(false),
                    }
                }
                _ => Shape::Other,
            };
            shapes.insert(name.clone(), shape);
        }
        let mut operations = HashMap::new();
        for (name, op) in doc
            .get("operations")
            .and_then(Value::as_object)
            .ok_or("no operations")?
        {
            operations.insert(
                name.clone(),
                OperationDef {
                    name: name.clone(),
                    method: op
                        .pointer("/http/method")
                        .and_then(Value::as_str)
                        .unwrap_or("POST")
                        .to_string(),
                    uri: op
                        .pointer("/http/requestUri")
                        .and_then(Value::as_str)
                        .unwrap_or("/")
                        .to_string(),
                    status: op
                        .pointer("/http/responseCode")
                        .and_then(Value::as_u64)
                        .unwrap_or(200) as u16,
                    input: op
                        .pointer("/input/shape")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
            );
        }
        Ok(Model { shapes, operations })
    }

    /// Validate `value` against shape `shape`; collects every failure.
    pub fn validate(&self, shape: &str, value: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.check(shape, value, "", &mut errors);
        errors
    }

    fn check(&self, shape_name: &str, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        let mut fail = |msg: String| {
            errors.push(FieldError {
                name: if path.is_empty() {
                    "<input>".to_string()
                } else {
                    path.to_string()
                },
                message: msg,
            })
        };
        match shape {
            Shape::String {
                min,
                max,
                pattern,
                enumeration,
                ..
            } => {
                let Some(s) = value.as_str() else {
                    fail("Member must be a string".into());
                    return;
                };
                let len = s.chars().count() as u64;
                if let Some(min) = min
                    && len < *min
                {
                    fail(format!(
                        "Member must have length greater than or equal to {min}"
                    ));
                }
                if let Some(max) = max
                    && len > *max
                {
                    fail(format!(
                        "Member must have length less than or equal to {max}"
                    ));
                }
                if let Some((re, src)) = pattern
                    && !re.is_match(s)
                {
                    fail(format!(
                        "Member must satisfy regular expression pattern: {src}"
                    ));
                }
                if let Some(values) = enumeration
                    && !values.iter().any(|v| v == s)
                {
                    fail(format!(
                        "Member must satisfy enum value set: [{}]",
                        values.join(", ")
                    ));
                }
            }
            Shape::Integer { min, max } => {
                let Some(n) = value.as_i64() else {
                    fail("Member must be an integer".into());
                    return;
                };
                if let Some(min) = min
                    && n < *min
                {
                    fail(format!(
                        "Member must have value greater than or equal to {min}"
                    ));
                }
                if let Some(max) = max
                    && n > *max
                {
                    fail(format!(
                        "Member must have value less than or equal to {max}"
                    ));
                }
            }
            Shape::Boolean => {
                if !value.is_boolean() {
                    fail("Member must be a boolean".into());
                }
            }
            Shape::Timestamp | Shape::Other => {}
            Shape::List { member, min, max } => {
                let Some(items) = value.as_array() else {
                    fail("Member must be a list".into());
                    return;
                };
                let n = items.len() as u64;
                if let Some(min) = min
                    && n < *min
                {
                    fail(format!(
                        "Member must have length greater than or equal to {min}"
                    ));
                }
                if let Some(max) = max
                    && n > *max
                {
                    fail(format!(
                        "Member must have length less than or equal to {max}"
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    if item.is_null() {
                        errors.push(FieldError {
                            name: format!("{path}[{i}]"),
                            message: "Member must not be null".into(),
                        });
                        continue;
                    }
                    self.check(member, item, &format!("{path}[{i}]"), errors);
                }
            }
            Shape::Map {
                key,
                value: vshape,
                min,
                max,
            } => {
                let Some(map) = value.as_object() else {
                    fail("Member must be a map".into());
                    return;
                };
                let n = map.len() as u64;
                if let Some(min) = min
                    && n < *min
                {
                    fail(format!(
                        "Member must have length greater than or equal to {min}"
                    ));
                }
                if let Some(max) = max
                    && n > *max
                {
                    fail(format!(
                        "Member must have length less than or equal to {max}"
                    ));
                }
                for (k, v) in map {
                    let mut key_errors = Vec::new();
                    self.check(key, &Value::String(k.clone()), path, &mut key_errors);
                    for e in key_errors {
                        errors.push(FieldError {
                            name: e.name,
                            message: format!("Map keys must satisfy constraint: [{}]", e.message),
                        });
                    }
                    let vpath = format!("{path}.{k}");
                    if v.is_null() {
                        errors.push(FieldError {
                            name: vpath,
                            message: "Member must not be null".into(),
                        });
                        continue;
                    }
                    self.check(vshape, v, &vpath, errors);
                }
            }
            Shape::Structure {
                members,
                required,
                union,
            } => {
                let Some(obj) = value.as_object() else {
                    fail("Member must be a structure".into());
                    return;
                };
                if *union {
                    let set = members
                        .iter()
                        .filter(|m| obj.get(&m.name).is_some_and(|v| !v.is_null()))
                        .count();
                    if set != 1 {
                        fail(format!(
                            "Member must have exactly one member set, found {set}"
                        ));
                    }
                }
                for m in members {
                    let mpath = if path.is_empty() {
                        m.name.clone()
                    } else {
                        format!("{path}.{}", m.name)
                    };
                    match obj.get(&m.name) {
                        None | Some(Value::Null) => {
                            if required.iter().any(|r| r == &m.name) {
                                errors.push(FieldError {
                                    name: mpath,
                                    message: "Member must not be null".into(),
                                });
                            }
                        }
                        Some(v) => self.check(&m.shape, v, &mpath, errors),
                    }
                }
            }
        }
    }
}

/// The embedded model, compiled once.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| match Model::parse(MODEL_JSON) {
        Ok(m) => m,
        // The embedded model is a constant checked by tests; an empty model would reject
        // every request as an unknown operation rather than crash.
        Err(_) => Model {
            shapes: HashMap::new(),
            operations: HashMap::new(),
        },
    })
}

/// Validate an operation input; `Err` is a ready-made ValidationException.
pub fn validate_input(shape: &str, input: &Value) -> Result<(), ApiError> {
    let errors = model().validate(shape, input);
    if errors.is_empty() {
        return Ok(());
    }
    let n = errors.len();
    let detail: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "Value at '{}' failed to satisfy constraint: {}",
                e.name, e.message
            )
        })
        .collect();
    let plural = if n == 1 { "error" } else { "errors" };
    Err(ApiError::validation(
        "FIELD_VALIDATION_FAILED",
        format!("{n} validation {plural} detected: {}", detail.join("; ")),
        &errors,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_model_matches_shared_copy() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/spec/model/service-2.json"
        );
        let alt = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/spec/model/service-2.json"
        );
        for p in [shared, alt] {
            if let Ok(text) = std::fs::read_to_string(p) {
                assert_eq!(
                    text, MODEL_JSON,
                    "emulator/src/model/service-2.json differs from {p}"
                );
            }
        }
    }

    #[test]
    fn model_compiles_with_17_operations() {
        let m = Model::parse(MODEL_JSON).expect("model parses");
        assert_eq!(m.operations.len(), 17);
    }

    #[test]
    fn create_room_constraints() {
        let errs = model().validate(
            "CreateRoomRequest",
            &json!({"name": "n".repeat(129), "maximumMessageLength": 501, "maximumMessageRatePerSecond": 0}),
        );
        let names: Vec<_> = errs.iter().map(|e| e.name.as_str()).collect();
        assert!(names.contains(&"name"));
        assert!(names.contains(&"maximumMessageLength"));
        assert!(names.contains(&"maximumMessageRatePerSecond"));
        assert!(model().validate("CreateRoomRequest", &json!({})).is_empty());
        // Patterns match the whole value, as the service does: `[a-zA-Z0-9-_]*` rejects a space.
        let errs = model().validate("CreateRoomRequest", &json!({"name": "bad name!"}));
        assert_eq!(errs[0].name, "name");
        assert!(
            model()
                .validate("CreateRoomRequest", &json!({"name": ""}))
                .is_empty()
        );
        // The empty review-handler URI (which disassociates the handler) stays valid.
        assert!(
            model()
                .validate("UpdateRoomRequest", &json!({"identifier": "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234", "messageReviewHandler": {"uri": ""}}))
                .is_empty()
        );
        let errs = model().validate("GetRoomRequest", &json!({"identifier": "abc"}));
        assert_eq!(errs[0].name, "identifier");
    }

    #[test]
    fn union_and_nested_paths() {
        let errs = model().validate(
            "CreateLoggingConfigurationRequest",
            &json!({"destinationConfiguration": {"s3": {"bucketName": "A"}}}),
        );
        assert!(
            errs.iter()
                .any(|e| e.name == "destinationConfiguration.s3.bucketName")
        );
        let errs = model().validate(
            "CreateLoggingConfigurationRequest",
            &json!({"destinationConfiguration": {"s3": {"bucketName": "abc"}, "firehose": {"deliveryStreamName": "x"}}}),
        );
        assert!(errs.iter().any(|e| e.name == "destinationConfiguration"));
        let errs = model().validate("CreateLoggingConfigurationRequest", &json!({}));
        assert_eq!(errs[0].name, "destinationConfiguration");
    }

    #[test]
    fn resource_arn_accepts_real_arns() {
        for arn in [
            "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234",
            "arn:aws:ivschat:us-east-1:000000000000:logging-configuration/abcdEFGH1234",
        ] {
            assert!(
                model()
                    .validate("ListTagsForResourceRequest", &json!({"resourceArn": arn}))
                    .is_empty()
            );
        }
        assert!(
            !model()
                .validate(
                    "ListTagsForResourceRequest",
                    &json!({"resourceArn": "nope"})
                )
                .is_empty()
        );
    }

    #[test]
    fn length_counts_code_points() {
        let name = "é".repeat(100);
        let errs = model().validate(
            "SendEventRequest",
            &json!({"roomIdentifier": "arn:aws:ivschat:us-east-1:0:room/a", "eventName": name}),
        );
        assert!(errs.is_empty(), "{errs:?}");
    }
}

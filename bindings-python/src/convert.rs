//! Python values ↔ the core's typed inputs and outputs, through serde (`pythonize`), with no
//! JSON in between: inputs are the wire-named dicts built by the generated Python layer; outputs
//! become wire-named dicts whose timestamp members are aware UTC datetimes.

use ivschat::dynamic::OperationInput;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyMapping, PyString};
use pythonize::{Depythonizer, PythonizeError, PythonizeNamedMappingType, PythonizeTypes};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};

/// Structure members that are timestamps.
const TIMESTAMP_MEMBERS: [&std::ffi::CStr; 4] = [
    c"createTime",
    c"updateTime",
    c"tokenExpirationTime",
    c"sessionExpirationTime",
];

/// The typed input of `operation` from a wire-named dict. A bad member is an input error
/// naming it, raised before anything is sent.
pub fn operation_input(
    operation: &str,
    params: &Bound<'_, PyAny>,
) -> Result<OperationInput, ivschat::Error> {
    OperationInput::from_wire(operation, Wire(params))
}

/// pythonize's `Depythonizer`, except that a `dict` is read directly: pythonize first asks every
/// map whether it is a dataclass (a failed attribute lookup, which formats an `AttributeError`),
/// then copies its keys and values into two lists.
struct Wire<'a, 'py>(&'a Bound<'py, PyAny>);

macro_rules! to_depythonizer {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, PythonizeError> {
            Depythonizer::from_object(self.0).$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Wire<'_, '_> {
    type Error = PythonizeError;

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PythonizeError> {
        match self.0.cast::<PyDict>() {
            Ok(dict) => visitor.visit_map(DictAccess {
                items: dict.iter(),
                value: None,
            }),
            Err(_) => Depythonizer::from_object(self.0).deserialize_map(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PythonizeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PythonizeError> {
        if self.0.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PythonizeError> {
        visitor.visit_newtype_struct(self)
    }

    to_depythonizer! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
        deserialize_i64() deserialize_u8() deserialize_u16() deserialize_u32() deserialize_u64()
        deserialize_f32() deserialize_f64() deserialize_char() deserialize_str()
        deserialize_string() deserialize_bytes() deserialize_byte_buf() deserialize_unit()
        deserialize_seq() deserialize_identifier() deserialize_ignored_any()
        deserialize_unit_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
    }
}

/// A dict's items, each value read through [`Wire`] again.
struct DictAccess<'py> {
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> MapAccess<'de> for DictAccess<'_> {
    type Error = PythonizeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PythonizeError> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(&mut Depythonizer::from_object(&key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, PythonizeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| PythonizeError::custom("a dict value was asked for before its key"))?;
        seed.deserialize(Wire(&value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A core value (an operation output, error fields) as Python objects with wire names.
pub fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize_custom::<WireTypes, _>(py, value)?)
}

/// pythonize's dicts and lists, with structures' timestamp members as datetimes.
struct WireTypes;

impl PythonizeTypes for WireTypes {
    type Map = PyDict;
    type NamedMap = StructureDict;
    type List = PyList;
}

/// A structure's dict: a timestamp member (an RFC 3339 string from the core) becomes an aware
/// UTC datetime. Maps (such as `tags`) are not structures, so their keys are never taken for
/// member names.
struct StructureDict;

impl PythonizeNamedMappingType for StructureDict {
    type Builder<'py> = Bound<'py, PyDict>;

    fn builder<'py>(
        py: Python<'py>,
        _len: usize,
        _name: &'static str,
    ) -> PyResult<Self::Builder<'py>> {
        Ok(PyDict::new(py))
    }

    fn push_field<'py>(
        dict: &mut Self::Builder<'py>,
        name: Bound<'py, PyString>,
        value: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        match value.cast::<PyString>() {
            Ok(text) if is_timestamp_member(&name) => {
                dict.set_item(name, timestamp(dict.py(), &text.to_cow()?)?)
            }
            _ => dict.set_item(name, value),
        }
    }

    fn finish<'py>(dict: Self::Builder<'py>) -> PyResult<Bound<'py, PyMapping>> {
        Ok(dict.into_mapping())
    }
}

fn is_timestamp_member(name: &Bound<'_, PyString>) -> bool {
    TIMESTAMP_MEMBERS.iter().any(|member| {
        // SAFETY: `name` is a live str object; the call only reads it.
        unsafe { pyo3::ffi::PyUnicode_CompareWithASCIIString(name.as_ptr(), member.as_ptr()) == 0 }
    })
}

static DATETIME: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn datetime_parts(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    DATETIME.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        let utc = m.getattr("timezone")?.getattr("utc")?;
        Ok((m.getattr("datetime")?.unbind(), utc.unbind()))
    })
}

fn timestamp<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    use chrono::{Datelike, Timelike};
    let t = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.to_utc(),
        Err(_) => return Ok(PyString::new(py, text).into_any()),
    };
    let (class, utc) = datetime_parts(py)?;
    class.bind(py).call1((
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_micros().min(999_999),
        utc.bind(py),
    ))
}

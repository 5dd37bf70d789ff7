//! One member of the LangGraph Agent Server's graph state (`GET
//! /threads/{id}/state`), read without building the rest of the state.
//!
//! [`values_member`] answers what reading the body as a `Value` (`Null` when
//! it is not JSON) and taking `pointer("/values/{key}")` answers: the body is
//! parsed with the calls a `Value` makes (`deserialize_any` at every level), so
//! it refuses exactly what a `Value` refuses (then the member is `Null`), the
//! last of a repeated key is the one kept, and only the member asked for is
//! built; every other member is checked and dropped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The scalar visits of a reader that finds nothing in a scalar.
macro_rules! scalars_are_none {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<Value>, E> {
            Ok(None)
        }
    };
}

/// `serde_json::from_slice::<Value>(body).unwrap_or_default().pointer("/values/{key}").cloned().unwrap_or_default()`
/// for a `key` that is not an array index (a state's members are names).
pub(crate) fn values_member(body: &[u8], key: &str) -> Value {
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = Top { key }.deserialize(&mut de).and_then(|found| de.end().map(|()| found));
    read.ok().flatten().unwrap_or_default()
}

/// The top level: its `values` member's `key`, when it is an object holding one.
struct Top<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(Key(k)) = map.next_key()? {
            if k == "values" {
                // A repeated key: the last one is the one a `Value` keeps.
                found = map.next_value_seed(Member { key: self.key })?;
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        Checked::drain(seq).map(|()| None)
    }

    scalars_are_none!();
}

/// An object's member `key` (`None` when it is not an object or has none).
struct Member<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(Key(k)) = map.next_key()? {
            if k == self.key {
                found = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        Checked::drain(seq).map(|()| None)
    }

    scalars_are_none!();
}

/// A map key, read as a `Value`'s map reads its keys (`deserialize_str`).
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, parsed as a `Value` parses it (so refused where a `Value`
/// is), then dropped. `serde::de::IgnoredAny` would not do: serde_json skips it unchecked.
struct Checked;

impl Checked {
    fn drain<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked, A::Error> {
        Checked::drain(seq).map(|()| Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Key>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading it replaces: the body as a `Value`, then the pointer.
    fn as_value(body: &[u8], key: &str) -> Value {
        let state: Value = serde_json::from_slice(body).unwrap_or_default();
        state.pointer(&format!("/values/{key}")).cloned().unwrap_or_default()
    }

    #[test]
    fn a_member_read_alone_is_the_member_of_the_state_read_as_a_value() {
        let deep_ok = format!(r#"{{"x":{}1{},"values":{{"handoffs":[1]}}}}"#, "[".repeat(120), "]".repeat(120));
        let too_deep = format!(r#"{{"x":{}1{},"values":{{"handoffs":[1]}}}}"#, "[".repeat(200), "]".repeat(200));
        let mut bodies: Vec<Vec<u8>> = [
            r#"{"values":{"handoffs":[{"a":1}],"merge_decisions":{"u":{"handoff_state":"merged"}}},"next":[]}"#,
            r#"{"values":{"handoffs":[1],"handoffs":[2]},"values":{"merge_decisions":3}}"#,
            r#"{"values":{"handoffs":[1]},"values":7}"#,
            r#"{"values":{"handoffs":[1],"merge_decisions":1,"handoffs":[2],"merge_decisions":{}}}"#,
            r#"{"values":[{"handoffs":1}]}"#,
            r#"{"v\u0061lues":{"hand\u006ffs":"esc\"aped","merge_decisions":null}}"#,
            r#"{"values":{"handoffs":[1]},"other":"\ud800"}"#,
            r#"{"values":{"handoffs":[1],"n":1e999}}"#,
            r#"{"values":{"handoffs":[1]}} trailing"#,
            r#"{"values":{"handoffs":[1]},}"#,
            r#"{"values":{"handoffs":-0.0,"merge_decisions":18446744073709551615}}"#,
            r#"{"values":{"handoffs":{"b":2,"a":[true,false,null]}},"config":{"deep":[[{"k":"é😀"}]]}}"#,
            r#"[{"values":{"handoffs":1}}]"#,
            r#""values""#,
            "null",
            "",
            "{}",
            r#"{"values":{}}"#,
        ]
        .map(|b| b.as_bytes().to_vec())
        .to_vec();
        bodies.push(deep_ok.into_bytes());
        bodies.push(too_deep.into_bytes());
        bodies.push(b"{\"values\":{\"handoffs\":\"\xff\"}}".to_vec());
        bodies.push(b"{\"values\":{\"handoffs\":[1]},\"bad\":\"\xff\"}".to_vec());
        let mut found = 0;
        for body in &bodies {
            for key in ["handoffs", "merge_decisions", "absent"] {
                let expected = as_value(body, key);
                found += usize::from(!expected.is_null());
                assert_eq!(values_member(body, key), expected, "{} / {key}", String::from_utf8_lossy(body));
            }
        }
        assert!(found >= 5, "{found}");
        // `IgnoredAny` skips what a `Value` refuses: the reading above must not.
        let lone = br#"{"values":{"handoffs":[1]},"other":"\ud800"}"#;
        assert!(serde_json::from_slice::<Value>(lone).is_err());
        let _: serde::de::IgnoredAny = serde_json::from_slice(lone).expect("skipped unchecked");
    }
}

//! A JSON body's top-level members read as `serde_json::Value` reads them,
//! without building the `Value`.
//!
//! [`members`] answers, for each asked key, what `from_slice::<Value>(body)
//! .unwrap_or_default().get(key)` answers: the body is parsed with the same
//! deserializer calls a `Value` makes (`deserialize_any` at every level, map
//! keys and values included), so it accepts and refuses exactly the bodies a
//! `Value` does (invalid UTF-8, lone surrogates, numbers out of range, nesting
//! past serde_json's limit, trailing bytes: a refused body has every member
//! [`Member::Absent`], as a `Value::Null` has). A repeated key keeps its last
//! value, as a `Value`'s map does. Members not asked for are checked, not kept.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// The scalar visits of a reader that finds nothing in a scalar: each answers `$none`.
macro_rules! scalars_are {
    ($none:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }

        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($none)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
    };
}

/// One top-level member of a JSON body, as `Value::get` finds it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Member<'a> {
    /// Not there, or the body is not a JSON object (not JSON at all, an array, ...).
    #[default]
    Absent,
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    /// An array (its content checked, not kept).
    Array,
    /// An object (its content checked, not kept).
    Object,
}

impl Member<'_> {
    /// As `Value::as_str` of the member.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Member::String(s) => Some(s),
            _ => None,
        }
    }

    /// As `Value::as_bool` of the member.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Member::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// As `Value::as_i64` of the member.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Member::Number(n) => n.as_i64(),
            _ => None,
        }
    }
}

/// `seed` read from the JSON in `body` to its end, exactly as
/// `seed.deserialize(&mut Deserializer::from_slice(body))` and `end()` read it.
/// When `body` is UTF-8 (nearly always), it is read as text: checked once, a
/// word at a time through ASCII, where the byte reader checks each string it
/// parses on its own (~2% of a large run's instructions). A body that is not
/// UTF-8 is read as bytes, so it is refused, or not, exactly as before (a string
/// that is only skipped is not checked).
pub(crate) fn read_json<'a, S: DeserializeSeed<'a>>(body: &'a [u8], seed: S) -> serde_json::Result<S::Value> {
    fn to_end<'a, R: serde_json::de::Read<'a>, S: DeserializeSeed<'a>>(
        mut de: serde_json::Deserializer<R>,
        seed: S,
    ) -> serde_json::Result<S::Value> {
        let value = seed.deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }
    match std::str::from_utf8(body) {
        Ok(text) => to_end(serde_json::Deserializer::from_str(text), seed),
        Err(_) => to_end(serde_json::Deserializer::from_slice(body), seed),
    }
}

/// The members `keys` of the JSON object in `body` (see the module's doc).
pub(super) fn members<'a, const N: usize>(body: &'a [u8], keys: [&str; N]) -> [Member<'a>; N] {
    let read = read_json(body, Top::<N, 0> { keys: &keys, array: None });
    read.map_or_else(|_| std::array::from_fn(|_| Member::Absent), |(found, _)| found)
}

/// For a JSON array in `body`, each element's members `keys` (an element that
/// is not an object has none); `None` when `body` is not an array, as
/// `Value::as_array` of the body read as a `Value` answers.
pub(super) fn element_members<'a, const N: usize>(body: &'a [u8], keys: [&str; N]) -> Option<Vec<[Member<'a>; N]>> {
    read_json(body, TopArray { keys: &keys }).ok().flatten()
}

/// The members `keys` of the JSON object in `body` as [`members`] reads them,
/// and the elements' members `element_keys` of its member `array` as
/// [`element_members`] reads a body's: `None` when that member is absent or not
/// an array, as `Value::get(array).and_then(Value::as_array)` answers. One
/// parse for both (`array` is not looked for among `keys`).
pub(super) fn members_and_elements<'a, const N: usize, const M: usize>(
    body: &'a [u8],
    keys: [&str; N],
    array: &str,
    element_keys: [&str; M],
) -> ([Member<'a>; N], Option<Vec<[Member<'a>; M]>>) {
    let read = read_json(body, Top { keys: &keys, array: Some((array, &element_keys)) });
    read.unwrap_or_else(|_| (std::array::from_fn(|_| Member::Absent), None))
}

/// The value at `path` in `body`, as `from_slice::<Value>(body).unwrap_or_default()
/// .pointer("/a/b").cloned().unwrap_or_default()` answers for a `path` of object
/// member names (`["a", "b"]`; names only: a pointer's array indices are not
/// followed). Only that value is built; every other member is checked and dropped.
pub(super) fn nested_value(body: &[u8], path: &[&str]) -> serde_json::Value {
    read_json(body, Path { rest: path }).ok().flatten().unwrap_or_default()
}

/// The rest of a path of member names: the value itself when it is empty, else
/// the first name's member of an object, followed further (none in anything else).
struct Path<'k> {
    rest: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for Path<'_> {
    type Value = Option<serde_json::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.rest {
            [] => serde::Deserialize::deserialize(deserializer).map(Some),
            _ => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Path<'_> {
    type Value = Option<serde_json::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (name, rest) = self.rest.split_first().map_or(("", &[][..]), |(n, r)| (*n, r));
        let mut found = None;
        while let Some(Key(key)) = map.next_key()? {
            if key == name {
                // A repeated name: the last one is the one a `Value` keeps.
                found = map.next_value_seed(Path { rest })?;
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(None)
    }

    scalars_are!(None);
}

/// The top level: an array's elements' asked members; anything else has none.
struct TopArray<'k, const N: usize> {
    keys: &'k [&'k str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for TopArray<'_, N> {
    type Value = Option<Vec<[Member<'de>; N]>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for TopArray<'_, N> {
    type Value = Option<Vec<[Member<'de>; N]>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::new();
        while let Some((element, _)) = seq.next_element_seed(Top::<N, 0> { keys: self.keys, array: None })? {
            elements.push(element);
        }
        Ok(Some(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(None)
    }

    scalars_are!(None);
}

/// The top level: an object's asked members and, when asked, its array member's
/// elements' asked members; anything else has none.
struct Top<'k, const N: usize, const M: usize> {
    keys: &'k [&'k str; N],
    /// The array member's name and its elements' asked members.
    array: Option<(&'k str, &'k [&'k str; M])>,
}

type MembersAndElements<'de, const N: usize, const M: usize> = ([Member<'de>; N], Option<Vec<[Member<'de>; M]>>);

impl<'de, const N: usize, const M: usize> DeserializeSeed<'de> for Top<'_, N, M> {
    type Value = MembersAndElements<'de, N, M>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize, const M: usize> Visitor<'de> for Top<'_, N, M> {
    type Value = MembersAndElements<'de, N, M>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: [Member<'de>; N] = std::array::from_fn(|_| Member::Absent);
        let mut elements = None;
        while let Some(Key(key)) = map.next_key()? {
            match self.array {
                // A repeated name: the last one is the one a `Value` keeps.
                Some((array, element_keys)) if key == array => {
                    elements = map.next_value_seed(TopArray { keys: element_keys })?;
                }
                _ => match self.keys.iter().position(|k| *k == key) {
                    Some(i) => found[i] = map.next_value()?,
                    None => {
                        map.next_value::<Checked>()?;
                    }
                },
            }
        }
        Ok((found, elements))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok((std::array::from_fn(|_| Member::Absent), None))
    }

    scalars_are!((std::array::from_fn(|_| Member::Absent), None));
}

/// A map key, borrowed from the body unless it had escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
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
        // A `Value`'s map reads its keys with `deserialize_str`; serde_json's key
        // reader parses the same string for `deserialize_any`.
        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl<'de> Visitor<'de> for MemberVisitor {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Member<'de>, E> {
                Ok(Member::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Member<'de>, E> {
                Ok(Member::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Member<'de>, E> {
                Ok(Member::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Member<'de>, E> {
                // As a `Value` reads a float: one that is not finite is null.
                Ok(Number::from_f64(n).map_or(Member::Null, Member::Number))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Member<'de>, E> {
                Ok(Member::String(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Member<'de>, E> {
                Ok(Member::String(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Member<'de>, E> {
                Ok(Member::String(Cow::Owned(s)))
            }
            fn visit_unit<E>(self) -> Result<Member<'de>, E> {
                Ok(Member::Null)
            }
            fn visit_none<E>(self) -> Result<Member<'de>, E> {
                Ok(Member::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member<'de>, A::Error> {
                while seq.next_element::<Checked>()?.is_some() {}
                Ok(Member::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member<'de>, A::Error> {
                while map.next_key::<Checked>()?.is_some() {
                    map.next_value::<Checked>()?;
                }
                Ok(Member::Object)
            }
        }
        deserializer.deserialize_any(MemberVisitor)
    }
}

/// Any JSON value, parsed as a `Value` parses it and dropped.
pub(crate) struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
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

    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_body_reads_as_the_byte_reader_reads_it_utf8_or_not() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Shape {
            id: Option<String>,
            n: Option<u64>,
        }
        let bodies: [&[u8]; 9] = [
            b"{\"id\":\"a\",\"n\":1}",
            "{\"id\":\"\u{e9}t\u{e9}\",\"x\":[true,null]}".as_bytes(),
            // Not UTF-8 only in a member skipped unread: the byte reader accepts it.
            b"{\"id\":\"a\",\"x\":\"\xff\xfe\"}",
            // Not UTF-8 in a member read: refused.
            b"{\"id\":\"\xff\"}",
            b"{\"id\":\"\\ud800\"}",
            b"{\"id\":\"a\"} trailing",
            b"{\"n\":-1}",
            b"[1]",
            b"",
        ];
        for body in bodies {
            let by_bytes = serde_json::from_slice::<Shape>(body).map_err(|e| e.to_string());
            let read = read_json(body, std::marker::PhantomData::<Shape>).map_err(|e| e.to_string());
            assert_eq!(read, by_bytes, "{}", String::from_utf8_lossy(body));
        }
    }

    /// What the `Value` reading finds for `key`.
    fn by_value(body: &[u8], key: &str) -> Member<'static> {
        let value: Value = serde_json::from_slice(body).unwrap_or_default();
        member_of(value.get(key))
    }

    /// The member `Value::get` found.
    fn member_of(found: Option<&Value>) -> Member<'static> {
        match found {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(Value::Bool(b)) => Member::Bool(*b),
            Some(Value::Number(n)) => Member::Number(n.clone()),
            Some(Value::String(s)) => Member::String(Cow::Owned(s.clone())),
            Some(Value::Array(_)) => Member::Array,
            Some(Value::Object(_)) => Member::Object,
        }
    }

    fn nested(depth: usize, inner: &str) -> String {
        format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn members_are_what_a_value_reading_finds_on_normal_and_odd_bodies() {
        let deep_ok = format!(r#"{{"id":"a","x":{}}}"#, nested(120, "1"));
        let too_deep = format!(r#"{{"id":"a","x":{}}}"#, nested(200, "1"));
        let mut bodies: Vec<Vec<u8>> = [
            r#"{"id":"sb-1","state":"started","errorReason":null,"exitCode":0}"#,
            r#"{"id":"sb-1","labels":{"a":"b","c":[1,2,{"d":null}]},"state":"error","errorReason":"no room"}"#,
            r#"  {"exitCode": -3 }  "#,
            r#"{"exitCode":1.0}"#,
            r#"{"exitCode":18446744073709551615}"#,
            r#"{"exitCode":9223372036854775807}"#,
            r#"{"exitCode":-0}"#,
            r#"{"exitCode":"0","id":7,"state":true,"errorReason":[]}"#,
            r#"{"id":"first","id":"second","state":"a","state":null}"#,
            r#"{"\u0069d":"escaped key","st\u0061te":"x\ny\u00e9\ud83d\ude00"}"#,
            r#"{"id":"a","x":"\ud800"}"#,
            r#"{"id":"a","x":1e400}"#,
            r#"{"id":"a","x":-1e400}"#,
            r#"{"id":"a","x":1e-400}"#,
            r#"{"id":"a"} trailing"#,
            r#"{"id":"a",}"#,
            r#"{"id":"a""#,
            r#"{"id":"a","x":[1,2,]}"#,
            r#"{"id":"a","x":tru}"#,
            r#"{"id":"a","x":01}"#,
            r#"{"id":"a","x":"tab	inside"}"#,
            r#"{1:"a"}"#,
            r#"["id","state"]"#,
            r#"[{"id":"a"}]"#,
            r#""id""#,
            "17",
            "null",
            "true",
            "",
            "   ",
            "not json",
            "{}",
            r#"{"state":{"id":"nested"}}"#,
            r#"{"id":true,"state":false,"exitCode":"true"}"#,
        ]
        .iter()
        .map(|b| b.as_bytes().to_vec())
        .collect();
        bodies.push(deep_ok.into_bytes());
        bodies.push(too_deep.into_bytes());
        bodies.push(b"{\"id\":\"a\",\"x\":\"\xff\xfe\"}".to_vec());
        bodies.push(b"{\"id\":\"\xc3\xa9t\xc3\xa9\"}".to_vec());
        bodies.push(b"{\"id\":\"a\",\"\xff\":1}".to_vec());
        let keys = ["id", "state", "errorReason", "exitCode"];
        for body in &bodies {
            let read = members(body, keys);
            for (key, member) in keys.iter().zip(&read) {
                assert_eq!(member, &by_value(body, key), "{key} of {}", String::from_utf8_lossy(body));
                let value: Value = serde_json::from_slice(body).unwrap_or_default();
                assert_eq!(member.as_str(), value.get(key).and_then(Value::as_str));
                assert_eq!(member.as_i64(), value.get(key).and_then(Value::as_i64));
                assert_eq!(member.as_bool(), value.get(key).and_then(Value::as_bool));
            }
        }
    }

    #[test]
    fn element_members_are_what_a_value_reading_finds_on_normal_and_odd_bodies() {
        let bodies: [&[u8]; 16] = [
            br#"[{"name":"a","originalName":"b","inputSchema":{"type":"object"}},{"name":"c"}]"#,
            br#"[]"#,
            br#"[{"name":1,"originalName":null},"text",[{"name":"inner"}],null,{}]"#,
            br#"[{"name":"a","name":"b","originalName":"x","originalName":7}]"#,
            br#"[{"n\u0061me":"esc\u00e9"}]"#,
            br#"[{"name":"a","x":"\ud800"}]"#,
            br#"[{"name":"a"},1e400]"#,
            br#"[{"name":"a"}] x"#,
            br#"[{"name":"a"},]"#,
            br#"{"name":"a"}"#,
            br#"{"tools":[{"name":"a"}]}"#,
            br#""name""#,
            b"null",
            b"",
            b"[{\"name\":\"a\",\"x\":\"\xff\"}]",
            b"[{\"name\":\"\xc3\xa9\"}]",
        ];
        let keys = ["name", "originalName"];
        for body in bodies {
            let value: Value = serde_json::from_slice(body).unwrap_or_default();
            let expected = value
                .as_array()
                .map(|elements| elements.iter().map(|e| keys.map(|k| member_of(e.get(k)))).collect::<Vec<_>>());
            assert_eq!(element_members(body, keys), expected, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn members_and_elements_are_what_a_value_reading_finds_on_normal_and_odd_bodies() {
        let deep_ok = format!(r#"{{"state":"idle","x":{},"sessions":[{{"live":"a"}}]}}"#, nested(120, "1"));
        let too_deep = format!(r#"{{"state":"idle","x":{},"sessions":[{{"live":"a"}}]}}"#, nested(200, "1"));
        let mut bodies: Vec<Vec<u8>> = [
            r#"{"state":"idle","sessions":[{"live":"done","id":"a"},{"live":"blocked"}]}"#,
            r#"{"sessions":[],"state":"executing"}"#,
            r#"{"state":"idle"}"#,
            r#"{"state":"idle","sessions":null}"#,
            r#"{"state":"idle","sessions":{"live":"done"}}"#,
            r#"{"state":"idle","sessions":"many"}"#,
            r#"{"state":7,"sessions":[{"live":1},"text",[{"live":"inner"}],null,{}]}"#,
            r#"{"state":"a","sessions":[{"live":"x"}],"state":"b","sessions":[{"live":"y"},{"live":"z"}]}"#,
            r#"{"state":"a","sessions":[{"live":"x"}],"sessions":7}"#,
            r#"{"st\u0061te":"esc\u00e9","s\u0065ssions":[{"l\u0069ve":"\"q\""}]}"#,
            r#"{"state":"idle","sessions":[{"live":"a","x":"\ud800"}]}"#,
            r#"{"state":"idle","sessions":[{"live":"a"}],"x":1e400}"#,
            r#"{"state":"idle","sessions":[{"live":"a"}]} trailing"#,
            r#"{"state":"idle","sessions":[{"live":"a"},]}"#,
            r#"{"state":"idle","sessions":[{"live":"a","live":"b"}]}"#,
            r#"[{"state":"idle","sessions":[]}]"#,
            r#""state""#,
            "null",
            "",
            "{}",
        ]
        .iter()
        .map(|b| b.as_bytes().to_vec())
        .collect();
        bodies.push(deep_ok.into_bytes());
        bodies.push(too_deep.into_bytes());
        bodies.push(b"{\"state\":\"idle\",\"sessions\":[{\"live\":\"\xff\"}]}".to_vec());
        bodies.push(b"{\"state\":\"\xc3\xa9\",\"sessions\":[{\"live\":\"\xc3\xa9\"}]}".to_vec());
        let keys = ["state", "other"];
        let element_keys = ["live", "id"];
        let mut arrays = 0;
        for body in &bodies {
            let value: Value = serde_json::from_slice(body).unwrap_or_default();
            let expected_members = keys.map(|k| member_of(value.get(k)));
            let expected_elements = value
                .get("sessions")
                .and_then(Value::as_array)
                .map(|elements| elements.iter().map(|e| element_keys.map(|k| member_of(e.get(k)))).collect::<Vec<_>>());
            arrays += usize::from(expected_elements.as_ref().is_some_and(|e| !e.is_empty()));
            let (found, elements) = members_and_elements(body, keys, "sessions", element_keys);
            let what = String::from_utf8_lossy(body);
            assert_eq!(found, expected_members, "{what}");
            assert_eq!(elements, expected_elements, "{what}");
        }
        assert!(arrays >= 6, "{arrays}");
    }

    #[test]
    fn a_member_without_escapes_is_borrowed_from_the_body() {
        let body = br#"{"id":"plain","state":"with \"escape\""}"#;
        let [id, state] = members(body, ["id", "state"]);
        assert!(matches!(id, Member::String(Cow::Borrowed("plain"))));
        assert_eq!(state.as_str(), Some("with \"escape\""));
    }

    /// The reading `nested_value` stands for: the body as a `Value`, then the pointer.
    fn pointed(body: &[u8], key: &str) -> Value {
        let state: Value = serde_json::from_slice(body).unwrap_or_default();
        state.pointer(&format!("/values/{key}")).cloned().unwrap_or_default()
    }

    #[test]
    fn a_nested_value_is_the_pointers_value_of_the_body_read_as_a_value() {
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
                let expected = pointed(body, key);
                found += usize::from(!expected.is_null());
                assert_eq!(nested_value(body, &["values", key]), expected, "{} / {key}", String::from_utf8_lossy(body));
            }
        }
        // Paths of other lengths: the whole body, one name, three names.
        for body in &bodies {
            let whole: Value = serde_json::from_slice(body).unwrap_or_default();
            assert_eq!(nested_value(body, &[]), whole);
            assert_eq!(nested_value(body, &["values"]), whole.pointer("/values").cloned().unwrap_or_default());
            let deep = whole.pointer("/values/merge_decisions/u").cloned().unwrap_or_default();
            assert_eq!(nested_value(body, &["values", "merge_decisions", "u"]), deep);
        }
        assert!(found >= 5, "{found}");
        // `IgnoredAny` skips what a `Value` refuses: the reading above must not.
        let lone = br#"{"values":{"handoffs":[1]},"other":"\ud800"}"#;
        assert!(serde_json::from_slice::<Value>(lone).is_err());
        let _: serde::de::IgnoredAny = serde_json::from_slice(lone).expect("skipped unchecked");
    }
}

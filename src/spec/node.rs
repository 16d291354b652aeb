//! YAML kept as written, with a span on every part, for a reader that learns its type later.
//!
//! A rule's keys beyond the ones every rule shares are kept as [`Node`]s while the pack is
//! read, because which keys are allowed depends on the rule's `kind`. The kind then reads
//! them into its own parameters, a plain serde struct ([`read`]): unknown keys are refused
//! (all of them at once, each at its own position), missing ones are named, and every
//! [`Spanned`] field still points into the file.
//!
//! Why not serde's own tools: `#[serde(flatten)]` and tagged enums buffer values and lose
//! their positions, and a rule's kind is a sibling key, not a tag around its parameters.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::yaml::{SPANNED, Spanned};

/// A YAML value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What it is, in a data officer's words.
    fn describe(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "true or false",
            Value::Int(_) | Value::UInt(_) => "a whole number",
            Value::Float(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "keys and values",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            span: s.span,
            value: s.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = seq.next_element::<Node>()? {
                    out.push(n);
                }
                Ok(Value::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Node>()? {
                    out.push((k, map.next_value::<Node>()?));
                }
                Ok(Value::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// What went wrong reading nodes into a type, each problem where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Problems(pub Vec<Problem>);

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where to point; `None` until the innermost node that saw it fills it in.
    pub span: Option<Range<usize>>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// A key the type does not take; `expected`: the keys it does.
    UnknownKey {
        key: String,
        expected: &'static [&'static str],
    },
    /// A key the type needs that is not there.
    MissingKey(&'static str),
    /// A value of the wrong kind: what was wanted, and what was written.
    WrongType {
        expected: String,
        found: &'static str,
    },
    Other(String),
}

impl Problems {
    fn one(kind: ProblemKind) -> Self {
        Problems(vec![Problem { span: None, kind }])
    }

    /// Fill in where problems that do not know yet happened.
    fn at(mut self, span: &Range<usize>) -> Self {
        for p in &mut self.0 {
            p.span.get_or_insert_with(|| span.clone());
        }
        self
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for p in &self.0 {
            match &p.kind {
                ProblemKind::UnknownKey { key, .. } => writeln!(f, "unknown key `{key}`")?,
                ProblemKind::MissingKey(k) => writeln!(f, "missing key `{k}`")?,
                ProblemKind::WrongType { expected, found } => writeln!(f, "expected {expected}, found {found}")?,
                ProblemKind::Other(m) => writeln!(f, "{m}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl de::Error for Problems {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Problems::one(ProblemKind::Other(msg.to_string()))
    }

    fn invalid_type(_: de::Unexpected, exp: &dyn de::Expected) -> Self {
        // `found` is filled in by the node that refused, which knows what it holds.
        Problems::one(ProblemKind::WrongType {
            expected: exp.to_string(),
            found: "",
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Problems::one(ProblemKind::MissingKey(field))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Problems::one(ProblemKind::UnknownKey {
            key: field.to_string(),
            expected,
        })
    }
}

/// Read `keys` (a mapping's entries, written at `at`) into `T`. `text`: the file the nodes
/// came from, so a plain scalar read as text is its exact spelling (`1.10`, not `1.1`).
pub fn read<T: de::DeserializeOwned>(keys: &[(Node, Node)], at: Range<usize>, text: &str) -> Result<T, Problems> {
    let node = Node {
        span: at,
        value: Value::Map(keys.to_vec()),
    };
    T::deserialize(NodeDe { node: &node, text })
}

/// The keys a struct takes, as serde derives them (for docs that must name them all).
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe;
    #[derive(Debug)]
    struct Found(&'static [&'static str]);
    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }
    impl<'de> Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Found(fields)) => fields,
        Ok(_) => &[],
    }
}

/// Deserializes one node.
struct NodeDe<'a> {
    node: &'a Node,
    text: &'a str,
}

impl<'a> NodeDe<'a> {
    fn refuse(&self, expected: &str) -> Problems {
        Problems(vec![Problem {
            span: Some(self.node.span.clone()),
            kind: ProblemKind::WrongType {
                expected: expected.to_string(),
                found: self.node.value.describe(),
            },
        }])
    }

    /// A scalar as the text it was written as.
    fn literal(&self) -> Option<String> {
        match &self.node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_) => {
                Some(match self.text.get(self.node.span.clone()).filter(|t| !t.is_empty()) {
                    Some(t) => t.to_string(),
                    None => match &self.node.value {
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::UInt(u) => u.to_string(),
                        Value::Float(f) => f.to_string(),
                        _ => unreachable!("matched scalars above"),
                    },
                })
            }
            _ => None,
        }
    }

    /// Where problems raised while reading this node's content happened, if nothing nearer said.
    fn within<T>(&self, r: Result<T, Problems>) -> Result<T, Problems> {
        r.map_err(|p| {
            let span = &self.node.span;
            Problems(
                p.0.into_iter()
                    .map(|mut p| {
                        if let ProblemKind::WrongType { found, .. } = &mut p.kind
                            && found.is_empty()
                        {
                            *found = self.node.value.describe();
                        }
                        p
                    })
                    .collect(),
            )
            .at(span)
        })
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = Problems;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        let r = match &self.node.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::UInt(u) => v.visit_u64(*u),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(items) => v.visit_seq(Items {
                items: items.iter(),
                text: self.text,
            }),
            Value::Map(entries) => v.visit_map(Entries {
                entries: entries.iter(),
                value: None,
                text: self.text,
            }),
        };
        self.within(r)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        match self.node.value {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        match self.literal() {
            Some(s) => self.within(v.visit_string(s)),
            None => Err(self.refuse("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        self.deserialize_str(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, Problems> {
        if name == SPANNED {
            return v.visit_map(SpanMap {
                node: self.node,
                text: self.text,
                step: 0,
            });
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        match &self.node.value {
            Value::Seq(_) => self.deserialize_any(v),
            _ => Err(self.refuse("a list")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        match &self.node.value {
            Value::Map(_) => self.deserialize_any(v),
            _ => Err(self.refuse("keys and values")),
        }
    }

    /// Every unknown key is reported at once; the keys that are known are still read, so a
    /// missing one is named alongside.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Problems> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.refuse("keys and values"));
        };
        let mut unknown = Vec::new();
        for (k, _) in entries {
            let key = NodeDe {
                node: k,
                text: self.text,
            }
            .literal()
            .unwrap_or_default();
            if !fields.contains(&key.as_str()) {
                unknown.push(Problem {
                    span: Some(k.span.clone()),
                    kind: ProblemKind::UnknownKey { key, expected: fields },
                });
            }
        }
        if unknown.is_empty() {
            return self.deserialize_any(v);
        }
        let known: Vec<(Node, Node)> = entries
            .iter()
            .filter(|(k, _)| {
                NodeDe {
                    node: k,
                    text: self.text,
                }
                .literal()
                .is_some_and(|key| fields.contains(&key.as_str()))
            })
            .cloned()
            .collect();
        let rest = Node {
            span: self.node.span.clone(),
            value: Value::Map(known),
        };
        if let Err(p) = (NodeDe {
            node: &rest,
            text: self.text,
        })
        .deserialize_any(v)
        {
            unknown.extend(p.0.into_iter().filter(|p| matches!(p.kind, ProblemKind::MissingKey(_))));
        }
        Err(Problems(unknown).at(&self.node.span))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Problems> {
        match self.literal() {
            Some(s) => self.within(v.visit_enum(s.into_deserializer())),
            None => Err(self.refuse("one of its names")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Problems> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct
    }
}

struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
    text: &'a str,
}

impl<'de, 'a> SeqAccess<'de> for Items<'a> {
    type Error = Problems;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Problems> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDe { node, text: self.text })
                .map(Some)
                .map_err(|p| p.at(&node.span)),
            None => Ok(None),
        }
    }
}

struct Entries<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
    text: &'a str,
}

impl<'de, 'a> MapAccess<'de> for Entries<'a> {
    type Error = Problems;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Problems> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDe {
                    node: k,
                    text: self.text,
                })
                .map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Problems> {
        let node = self.value.take().expect("serde asks for a value only after its key");
        seed.deserialize(NodeDe { node, text: self.text })
            .map_err(|p| p.at(&node.span))
    }
}

/// What [`Spanned`] reads from a node: its start, its end, then its value.
struct SpanMap<'a> {
    node: &'a Node,
    text: &'a str,
    step: u8,
}

impl<'de, 'a> MapAccess<'de> for SpanMap<'a> {
    type Error = Problems;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Problems> {
        let key = match self.step {
            0 => "$start",
            1 => "$end",
            2 => "$value",
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Problems> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(self.node.span.start.into_deserializer()),
            2 => seed.deserialize(self.node.span.end.into_deserializer()),
            _ => seed
                .deserialize(NodeDe {
                    node: self.node,
                    text: self.text,
                })
                .map_err(|p| p.at(&self.node.span)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct P {
        columns: Spanned<Vec<Spanned<String>>>,
        #[serde(default)]
        when: Option<Spanned<String>>,
        #[serde(default)]
        version: Option<Spanned<String>>,
        #[serde(default)]
        min: Option<Spanned<f64>>,
    }

    /// Parse `yaml` as a mapping through serde-saphyr, then read it into `T` from nodes.
    fn via_nodes<T: de::DeserializeOwned>(yaml: &str) -> Result<T, Problems> {
        let Value::Map(keys) = serde_saphyr::from_str::<Node>(yaml).unwrap().value else {
            panic!("a mapping")
        };
        read(&keys, 0..0, yaml)
    }

    #[test]
    fn spans_survive_the_round_trip() {
        let yaml = "columns: [a, bb]\nwhen: x > 1\nversion: 1.10\nmin: 3\n";
        let p: P = via_nodes(yaml).unwrap();
        let at = |s: &Spanned<String>| &yaml[s.span.clone()];
        assert_eq!(at(&p.columns.value[1]), "bb");
        assert_eq!(at(p.when.as_ref().unwrap()), "x > 1");
        // A plain scalar read as text keeps its spelling.
        assert_eq!(p.version.unwrap().value, "1.10");
        assert_eq!(p.min.unwrap().value, 3.0);
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_missing_one() {
        let yaml = "colums: [a]\nwhen: x\nfoo: 1\n";
        let problems = via_nodes::<P>(yaml).unwrap_err().0;
        let said: Vec<(String, &str)> = problems
            .iter()
            .map(|p| {
                let what = match &p.kind {
                    ProblemKind::UnknownKey { key, .. } => format!("unknown {key}"),
                    ProblemKind::MissingKey(k) => format!("missing {k}"),
                    other => format!("{other:?}"),
                };
                (what, &yaml[p.span.clone().unwrap()])
            })
            .collect();
        assert_eq!(
            said,
            vec![
                ("unknown colums".to_string(), "colums"),
                ("unknown foo".to_string(), "foo"),
                ("missing columns".to_string(), ""),
            ]
        );
    }

    #[test]
    fn a_wrong_type_points_at_the_value() {
        let yaml = "columns: a\n";
        let problems = via_nodes::<P>(yaml).unwrap_err().0;
        assert_eq!(problems.len(), 1);
        assert!(
            matches!(&problems[0].kind, ProblemKind::WrongType { found: "text", .. }),
            "{problems:?}"
        );
        assert_eq!(&yaml[problems[0].span.clone().unwrap()], "a");
    }

    /// A type that refuses a value it reads (a collection year that is not one) points at it.
    #[test]
    fn a_refused_value_points_at_itself() {
        #[derive(Debug)]
        struct Even;
        impl<'de> Deserialize<'de> for Even {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let n = u32::deserialize(d)?;
                if n % 2 == 0 {
                    Ok(Even)
                } else {
                    Err(de::Error::custom("odd"))
                }
            }
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Q {
            n: Spanned<Even>,
            m: Vec<Even>,
        }
        let yaml = "n: 3\nm: [2, 5]\n";
        let p = via_nodes::<Q>(yaml).unwrap_err().0;
        assert_eq!(&yaml[p[0].span.clone().unwrap()], "3");
        let yaml = "n: 2\nm: [2, 5]\n";
        let p = via_nodes::<Q>(yaml).unwrap_err().0;
        assert_eq!(&yaml[p[0].span.clone().unwrap()], "5");
    }

    #[test]
    fn the_fields_of_a_struct_are_known_without_data() {
        assert_eq!(fields_of::<P>(), &["columns", "when", "version", "min"]);
    }
}

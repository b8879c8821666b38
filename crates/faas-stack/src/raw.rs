//! The stack file as the YAML parser sees it: every field optional and paired with its
//! location, so that validation can point at lines. [`crate::schema`] holds the public shape.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::error::Position;

/// The position of a located value, `None` when the parser could not tell.
pub(crate) fn position(location: &Location) -> Option<Position> {
    (location.line() > 0).then(|| {
        Position::new(
            u32::try_from(location.line()).unwrap_or(u32::MAX),
            u32::try_from(location.column()).unwrap_or(u32::MAX),
        )
    })
}

/// A value with its location (where it is used, for aliases the alias).
pub(crate) type Located<T> = Spanned<T>;

/// The top level of a stack file.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawStack {
    pub(crate) version: Option<Located<String>>,
    pub(crate) provider: Option<Located<RawProvider>>,
    pub(crate) functions: Option<Located<FunctionMap>>,
    pub(crate) configuration: Option<Located<RawConfiguration>>,
}

/// `provider:`; `network` and unknown keys are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawProvider {
    pub(crate) name: Option<Located<String>>,
    pub(crate) gateway: Option<Located<String>>,
}

/// One entry of `functions:`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawFunction {
    pub(crate) lang: Option<Located<String>>,
    pub(crate) handler: Option<Located<String>>,
    pub(crate) image: Option<Located<String>>,
    pub(crate) fprocess: Option<Located<String>>,
    pub(crate) environment: Option<Located<StringMap>>,
    pub(crate) environment_file: Option<Located<Vec<Located<String>>>>,
    pub(crate) secrets: Option<Located<Vec<Located<String>>>>,
    pub(crate) labels: Option<Located<StringMap>>,
    pub(crate) annotations: Option<Located<StringMap>>,
    pub(crate) limits: Option<Located<StringMap>>,
    pub(crate) requests: Option<Located<StringMap>>,
    pub(crate) constraints: Option<Located<Vec<String>>>,
    pub(crate) readonly_root_filesystem: Option<Located<bool>>,
    pub(crate) namespace: Option<Located<String>>,
    pub(crate) build_args: Option<Located<StringMap>>,
    pub(crate) build_options: Option<Located<Vec<Located<String>>>>,
    pub(crate) skip_build: Option<Located<bool>>,
    pub(crate) platforms: Option<Located<String>>,
    pub(crate) build_secrets: Option<Located<StringMap>>,
}

/// `configuration:`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawConfiguration {
    pub(crate) templates: Option<Located<Vec<Located<RawTemplateSource>>>>,
    pub(crate) copy: Option<Located<Vec<Located<String>>>>,
}

/// One entry of `configuration.templates`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawTemplateSource {
    pub(crate) name: Option<Located<String>>,
    pub(crate) source: Option<Located<String>>,
}

/// `functions:` in file order, each name with the location of its key. A function with no
/// fields (`name:` alone) is kept as an empty one.
#[derive(Debug, Default)]
pub(crate) struct FunctionMap(pub(crate) Vec<(Located<String>, Option<Located<RawFunction>>)>);

impl<'de> Deserialize<'de> for FunctionMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FunctionMapVisitor;

        impl<'de> Visitor<'de> for FunctionMapVisitor {
            type Value = FunctionMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of function names to functions")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FunctionMap, A::Error> {
                let mut functions = Vec::new();
                while let Some(name) = map.next_key::<Located<String>>()? {
                    functions.push((name, map.next_value()?));
                }
                Ok(FunctionMap(functions))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<FunctionMap, A::Error> {
                Err(de::Error::custom(
                    "functions must be a map of NAME: {lang, handler, image, …}, not a list; remove the leading `- `",
                ))
            }
        }

        deserializer.deserialize_any(FunctionMapVisitor)
    }
}

/// A map whose values are strings: numbers and booleans keep their source text, `null` and an
/// empty value become `""`. A list is rejected with a message saying so.
#[derive(Debug, Default)]
pub(crate) struct StringMap(pub(crate) BTreeMap<String, String>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringMapVisitor;

        impl<'de> Visitor<'de> for StringMapVisitor {
            type Value = StringMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of KEY: value")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Option<String> = map.next_value()?;
                    entries.insert(key, value.unwrap_or_default());
                }
                Ok(StringMap(entries))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<StringMap, A::Error> {
                Err(de::Error::custom(
                    "expected a map of KEY: value, found a list (cannot unmarshal !!seq into map[string]string); write `KEY: value` lines without `- `",
                ))
            }

            fn visit_unit<E: de::Error>(self) -> Result<StringMap, E> {
                Ok(StringMap::default())
            }
        }

        deserializer.deserialize_any(StringMapVisitor)
    }
}

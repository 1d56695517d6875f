//! PCC's answers read straight from their bytes: the envelope (`r`, `message`) and one page of
//! a list, with the list and count keys switchboard knows and the aliases real material shows
//! (`docs/pcc-api-assumptions.md`).
//!
//! Two rules hold for everything here. Nothing is built from an answer but what switchboard
//! reads from it (unknown keys are skipped unread, a field that should be one value and is an
//! array fails at once), so a hostile answer costs no more memory than its bytes. And an answer
//! of a shape switchboard does not know fails the read, naming the keys it has but never their
//! values: values come from PCC and may be hostile or sensitive.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{
    Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, Error as _, IgnoredAny,
    MapAccess, SeqAccess, Visitor,
};

use crate::wire::Page;

/// How a list's answer is keyed: where its items are and what counts them.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Keys of the item array in `data`, the one switchboard documents first.
    pub lists: &'static [&'static str],
    /// Keys of the item count in `data`.
    pub counts: &'static [&'static str],
}

/// Keys of the page number a list answer says it holds.
const CURRENT_PAGE: [&str; 2] = ["currentPage", "activePage"];
/// Key names shown in a message at most; more are counted.
const SHOWN_KEYS: usize = 12;
/// Characters of one key name shown at most.
const KEY_CHARS: usize = 40;
/// Characters of PCC's message kept at most.
const MESSAGE_CHARS: usize = 300;

/// The keys an answer (or its `data`) has, for a message: names only.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    shown: Vec<String>,
    more: usize,
}

impl Keys {
    fn note(&mut self, key: &str) {
        if self.shown.len() < SHOWN_KEYS {
            self.shown.push(shown_key(key));
        } else {
            self.more += 1;
        }
    }
}

impl fmt::Display for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shown.is_empty() {
            return f.write_str("no keys");
        }
        let names: Vec<String> = self.shown.iter().map(|k| format!("`{k}`")).collect();
        f.write_str(&names.join(", "))?;
        if self.more > 0 {
            write!(f, " and {} more", self.more)?;
        }
        Ok(())
    }
}

/// A key name as it may be printed: letters, digits and `_-.$@` kept, anything else escaped
/// (`\u{1b}`), at most [`KEY_CHARS`] characters. Key names come from PCC: a terminal, a log or
/// a pull-request comment must not interpret them.
pub(crate) fn shown_key(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == KEY_CHARS {
            out.push('…');
            break;
        }
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@') {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// A number PCC sends as an integer or a numeric string, or what came instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Number {
    /// A whole number.
    Int(i64),
    /// Not one: what kind of value came (never the value).
    Not(&'static str),
}

impl Number {
    pub(crate) fn int(self) -> Option<i64> {
        match self {
            Number::Int(n) => Some(n),
            Number::Not(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Number, E> {
        Ok(Number::Int(n))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Number, E> {
        Ok(i64::try_from(n).map_or(Number::Not("a number too large"), Number::Int))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Number, E> {
        // Bounds below 2^63 so that the cast cannot saturate.
        Ok(if n.fract() == 0.0 && n.abs() < 9.0e18 {
            Number::Int(n as i64)
        } else {
            Number::Not("a number that is not whole")
        })
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Number, E> {
        Ok(s.trim()
            .parse()
            .map_or(Number::Not("a string that is not a number"), Number::Int))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Number, E> {
        Ok(Number::Not("a boolean"))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Number, E> {
        Ok(Number::Not("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Number::Not("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Number::Not("an object"))
    }
}

/// Visitor methods that refuse every value but the ones a visitor implements, with a message
/// saying what kind of value came (`$what` is the place, e.g. `data`) and never the value.
macro_rules! refuse_others {
    ($what:expr, $wanted:literal) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{} is a boolean, not {}",
                $what(&self),
                $wanted
            )))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{} is a number, not {}",
                $what(&self),
                $wanted
            )))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{} is a number, not {}",
                $what(&self),
                $wanted
            )))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{} is a number, not {}",
                $what(&self),
                $wanted
            )))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{} is a string, not {}",
                $what(&self),
                $wanted
            )))
        }
    };
}

// ---------------------------------------------------------------------------------------------
// The envelope.
// ---------------------------------------------------------------------------------------------

/// What every answer carries: `r`, and `message` (or `msg`).
#[derive(Debug, Default)]
pub(crate) struct Envelope {
    /// `r` as it came, when there is one.
    pub r: Option<Number>,
    /// PCC's message, when it is a string.
    pub message: Option<String>,
    /// The answer's keys.
    pub keys: Keys,
}

impl Envelope {
    /// `r`, when it is an integer.
    pub(crate) fn r(&self) -> Option<i64> {
        self.r.and_then(Number::int)
    }

    /// PCC's message, or `""`, cut to [`MESSAGE_CHARS`] characters: it is shown in errors,
    /// and a hostile PCC may send a message as long as the answer.
    pub(crate) fn message(&self) -> String {
        let message = self.message.as_deref().unwrap_or_default();
        match message.char_indices().nth(MESSAGE_CHARS) {
            Some((i, _)) => format!("{}…", &message[..i]),
            None => message.to_owned(),
        }
    }
}

/// Reads the envelope of an answer; `None` when the body is not a JSON object.
pub(crate) fn envelope(body: &[u8]) -> Option<Envelope> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let envelope = de.deserialize_any(EnvelopeVisitor).ok()?;
    de.end().ok()?;
    Some(envelope)
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    refuse_others!(|_: &Self| "the answer", "an object");
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut envelope = Envelope::default();
        while let Some(key) = map.next_key::<String>()? {
            envelope.keys.note(&key);
            match key.as_str() {
                "r" => envelope.r = Some(map.next_value()?),
                "message" | "msg" => {
                    if let Some(text) = map.next_value::<Text>()?.0 {
                        // `message` wins over `msg` whatever their order.
                        if key == "message" || envelope.message.is_none() {
                            envelope.message = Some(text);
                        }
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// A string, or nothing when the value is anything else (skipped unread).
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text, E> {
                Ok(Text(Some(s)))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// One page of a list.
// ---------------------------------------------------------------------------------------------

/// Why a page could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PageError {
    /// The answer does not have a shape switchboard knows, or contradicts itself.
    Shape(String),
    /// The page holds more items than the read has room for.
    TooMany {
        /// The room there was.
        room: u64,
    },
}

/// Where the reader is, so that a failure deep inside can say where it happened.
#[derive(Clone, Copy, Debug, Default)]
enum At {
    #[default]
    Elsewhere,
    Item(&'static str, usize),
}

struct Ctx<'a> {
    shape: &'a Shape,
    /// Items the read may still take.
    room: u64,
    at: Cell<At>,
    too_many: Cell<bool>,
}

/// What a page's `data` holds.
struct Data<T> {
    items: Option<(&'static str, Option<Vec<T>>)>,
    counts: Vec<(&'static str, Number)>,
    pages: Option<Number>,
    current: Option<(&'static str, Number)>,
    keys: Keys,
}

/// Reads one page of a list answered for page `asked`, with room for `room` items at most.
/// The envelope (`r`) is checked before this is called.
pub(crate) fn page<T: DeserializeOwned>(
    body: &[u8],
    shape: &Shape,
    asked: u32,
    room: u64,
) -> Result<Page<T>, PageError> {
    let ctx = Ctx {
        shape,
        room,
        at: Cell::new(At::Elsewhere),
        too_many: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = de
        .deserialize_any(TopVisitor::<T>(&ctx, PhantomData))
        .and_then(|top| de.end().map(|()| top));
    let (data, top_keys) = match read {
        Ok(top) => top,
        Err(_) if ctx.too_many.get() => return Err(PageError::TooMany { room }),
        Err(e) => {
            return Err(PageError::Shape(match ctx.at.get() {
                At::Item(key, i) => format!("data.{key}[{i}]: {e}"),
                At::Elsewhere => e.to_string(),
            }));
        }
    };
    let shape_err = |s: String| Err(PageError::Shape(s));
    let Some(data) = data else {
        return shape_err(format!("the answer has no `data` (it has {top_keys})"));
    };

    let mut total_count: Option<(&str, u64)> = None;
    for (key, count) in &data.counts {
        let n = match *count {
            Number::Int(n) if n >= 0 => n.unsigned_abs(),
            Number::Int(n) => return shape_err(format!("data.{key} is {n}, not a count")),
            Number::Not(kind) => return shape_err(format!("data.{key} is {kind}, not a count")),
        };
        match total_count {
            Some((first, m)) if m != n => {
                return shape_err(format!(
                    "data.{first} says {m} but data.{key} says {n}: the counts disagree"
                ));
            }
            Some(_) => {}
            None => total_count = Some((key, n)),
        }
    }
    let total_count = total_count.map(|(_, n)| n);

    let total_pages = match data.pages {
        None => None,
        Some(Number::Int(n)) => match u64::try_from(n) {
            Ok(pages) => Some(pages),
            Err(_) => return shape_err(format!("data.totalPages is {n}, not a page count")),
        },
        Some(Number::Not(kind)) => {
            return shape_err(format!("data.totalPages is {kind}, not a page count"));
        }
    };

    match data.current {
        Some((_, Number::Int(n))) if n == i64::from(asked) => {}
        Some((key, Number::Int(n))) => {
            // A PCC that ignores `page` answers page 1 again and again: the pages would add
            // up to the count with half the objects twice and the others missing.
            return shape_err(format!(
                "data.{key} is {n} on the answer to page {asked}: PCC did not answer the page \
                 asked for"
            ));
        }
        Some((key, Number::Not(kind))) => {
            return shape_err(format!("data.{key} is {kind}, not a page number"));
        }
        None => {}
    }

    let items = match data.items {
        Some((_, Some(items))) => items,
        Some((key, None)) => match total_count {
            Some(n) if n > 0 => {
                return shape_err(format!("data.{key} is null, but data counts {n} items"));
            }
            _ => Vec::new(),
        },
        // An empty list may leave its key out; anything else without a list we know is a
        // shape we do not know, and reading it as empty would plan to create what exists.
        None if total_count == Some(0) => Vec::new(),
        None => {
            let looked: Vec<String> = shape.lists.iter().map(|k| format!("`{k}`")).collect();
            let counts: Vec<String> = shape.counts.iter().map(|k| format!("`{k}`")).collect();
            return shape_err(format!(
                "data holds no list switchboard knows (it reads {} with {}; data has {}): \
                 this shape is not in docs/pcc-api-assumptions.md, so nothing is read from it",
                looked.join(" or "),
                counts.join(" or "),
                data.keys
            ));
        }
    };
    Ok(Page {
        items,
        total_pages,
        total_count,
    })
}

struct TopVisitor<'a, T>(&'a Ctx<'a>, PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for TopVisitor<'_, T> {
    type Value = (Option<Data<T>>, Keys);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    refuse_others!(|_: &Self| "the answer", "an object");
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Keys::default();
        let mut data = None;
        while let Some(key) = map.next_key::<String>()? {
            keys.note(&key);
            if key == "data" {
                if data.is_some() {
                    return Err(A::Error::custom("the answer has `data` twice"));
                }
                data = Some(map.next_value_seed(DataSeed::<T>(self.0, PhantomData))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((data, keys))
    }
}

struct DataSeed<'a, T>(&'a Ctx<'a>, PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for DataSeed<'_, T> {
    type Value = Data<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Data<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for DataSeed<'_, T> {
    type Value = Data<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    refuse_others!(|_: &Self| "data", "an object");
    fn visit_unit<E: serde::de::Error>(self) -> Result<Data<T>, E> {
        Err(E::custom("data is null, not an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Data<T>, A::Error> {
        Err(A::Error::custom("data is an array, not an object"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data<T>, A::Error> {
        let ctx = self.0;
        let mut data = Data {
            items: None,
            counts: Vec::new(),
            pages: None,
            current: None,
            keys: Keys::default(),
        };
        while let Some(key) = map.next_key::<String>()? {
            data.keys.note(&key);
            let known = |keys: &[&'static str]| keys.iter().copied().find(|k| *k == key);
            if let Some(list) = known(ctx.shape.lists) {
                if let Some((other, _)) = data.items {
                    return Err(A::Error::custom(format!(
                        "data has two lists, `{other}` and `{list}`"
                    )));
                }
                let items = map.next_value_seed(ItemsSeed::<T>(ctx, list, PhantomData))?;
                data.items = Some((list, items));
            } else if let Some(count) = known(ctx.shape.counts) {
                data.counts.push((count, map.next_value()?));
            } else if key == "totalPages" {
                data.pages = Some(map.next_value()?);
            } else if let Some(current) = known(&CURRENT_PAGE) {
                data.current = Some((current, map.next_value()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(data)
    }
}

struct ItemsSeed<'a, T>(&'a Ctx<'a>, &'static str, PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ItemsSeed<'_, T> {
    type Value = Option<Vec<T>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Vec<T>>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ItemsSeed<'_, T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    refuse_others!(|s: &Self| format!("data.{}", s.1), "a list");
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(format!(
            "data.{} is an object, not a list",
            self.1
        )))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let ctx = self.0;
        let mut items = Vec::new();
        loop {
            ctx.at.set(At::Item(self.1, items.len()));
            if items.len() as u64 == ctx.room {
                // One more element, or the end: only an element is over the room.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    ctx.too_many.set(true);
                    return Err(A::Error::custom("more items than the read has room for"));
                }
                break;
            }
            match seq.next_element_seed(ItemSeed::<T>(PhantomData))? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        ctx.at.set(At::Elsewhere);
        Ok(Some(items))
    }
}

struct ItemSeed<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ItemSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ItemSeed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    refuse_others!(|_: &Self| "the item", "an object");
    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Err(E::custom("the item is null, not an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(A::Error::custom("the item is an array, not an object"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Agent, GreetingFile};

    const AGENTS: Shape = Shape {
        lists: &["agents"],
        counts: &["totalCount", "totalAgents"],
    };
    const GREETINGS: Shape = Shape {
        lists: &["greetingFiles", "greeting_files"],
        counts: &["totalCount", "total"],
    };

    fn read<T: DeserializeOwned>(shape: &Shape, body: &str) -> Result<Page<T>, PageError> {
        page(body.as_bytes(), shape, 1, 1_000)
    }

    fn shape_error(shape: &Shape, body: &str) -> String {
        match read::<Agent>(shape, body) {
            Err(PageError::Shape(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_alias_reads_the_same_page() {
        let canonical = read::<GreetingFile>(
            &GREETINGS,
            r#"{"r":0,"data":{"totalCount":"1","totalPages":1,"currentPage":1,
                "greetingFiles":[{"sid":"S1","filename":"F.mp3","desc":"d"}]}}"#,
        )
        .unwrap();
        let aliased = read::<GreetingFile>(
            &GREETINGS,
            r#"{"r":0,"data":{"total":1,"activePage":"1",
                "greeting_files":[{"sid":"S1","filename":"F.mp3","desc1":"d","created":1}]}}"#,
        )
        .unwrap();
        assert_eq!(canonical.items, aliased.items);
        assert_eq!(aliased.items[0].desc.as_deref(), Some("d"));
        assert_eq!(aliased.items[0].sid.as_deref(), Some("S1"));
        assert_eq!(canonical.total_count, Some(1));
        assert_eq!(aliased.total_count, Some(1));
        assert_eq!(aliased.total_pages, None);
    }

    #[test]
    fn an_unknown_list_key_fails_naming_the_keys_but_no_value() {
        let err = shape_error(
            &AGENTS,
            r#"{"r":0,"data":{"items":[{"id":"hunter2"}],"count":"1","page":1}}"#,
        );
        assert_eq!(
            err,
            "data holds no list switchboard knows (it reads `agents` with `totalCount` or \
             `totalAgents`; data has `items`, `count`, `page`): this shape is not in \
             docs/pcc-api-assumptions.md, so nothing is read from it"
        );
    }

    #[test]
    fn an_empty_list_may_leave_its_key_out_only_when_counted_empty() {
        let page = read::<Agent>(&AGENTS, r#"{"r":0,"data":{"totalCount":"0"}}"#).unwrap();
        assert!(page.items.is_empty());
        let err = shape_error(&AGENTS, r#"{"r":0,"data":{"totalPages":0}}"#);
        assert!(
            err.starts_with("data holds no list switchboard knows"),
            "{err}"
        );
    }

    #[test]
    fn counts_that_cannot_be_read_or_disagree_fail() {
        for (body, says) in [
            (
                r#"{"data":{"totalCount":"many","agents":[]}}"#,
                "data.totalCount is a string that is not a number, not a count",
            ),
            (
                r#"{"data":{"totalCount":[1],"agents":[]}}"#,
                "data.totalCount is an array, not a count",
            ),
            (
                r#"{"data":{"totalCount":-1,"agents":[]}}"#,
                "data.totalCount is -1, not a count",
            ),
            (
                r#"{"data":{"totalCount":"2","totalAgents":3,"agents":[]}}"#,
                "data.totalCount says 2 but data.totalAgents says 3: the counts disagree",
            ),
            (
                r#"{"data":{"currentPage":2,"agents":[]}}"#,
                "data.currentPage is 2 on the answer to page 1: PCC did not answer the page \
                 asked for",
            ),
            (
                r#"{"data":{"totalPages":"x","agents":[]}}"#,
                "data.totalPages is a string that is not a number, not a page count",
            ),
            (
                r#"{"data":{"agents":null,"totalCount":2}}"#,
                "data.agents is null, but data counts 2 items",
            ),
        ] {
            assert_eq!(shape_error(&AGENTS, body), says, "{body}");
        }
    }

    #[test]
    fn values_never_reach_a_message() {
        for body in [
            r#"{"data":{"agents":["hunter2"]}}"#,
            r#"{"data":{"agents":[{"id":"a","name":["hunter2"]}]}}"#,
            r#"{"data":{"agents":[{"id":"a","routing_type":"hunter2"}]}}"#,
            r#"{"data":"hunter2"}"#,
            r#"{"data":{"agents":"hunter2"}}"#,
            "\"hunter2\"",
        ] {
            let err = shape_error(&AGENTS, body);
            assert!(!err.contains("hunter2"), "{err}");
        }
        let err = shape_error(&AGENTS, r#"{"data":{"agents":[{"id":"a"},{"name":"x"}]}}"#);
        assert!(
            err.starts_with("data.agents[1]: missing field `id`"),
            "{err}"
        );
    }

    #[test]
    fn key_names_are_escaped_and_cut_short() {
        let long = "k".repeat(100);
        let body = format!(r#"{{"data":{{"\u001b[2Jx":1,"{long}":2}}}}"#);
        let err = shape_error(&AGENTS, &body);
        assert!(err.contains(r"`\u{1b}\u{5b}2Jx`"), "{err}");
        assert!(err.contains(&format!("`{}…`", "k".repeat(40))), "{err}");
        assert!(!err.contains('\u{1b}'), "{err}");
    }

    #[test]
    fn more_items_than_the_room_stop_the_read() {
        let body = r#"{"data":{"agents":[{"id":"a"},{"id":"b"},{"id":"c"}]}}"#;
        assert_eq!(
            page::<Agent>(body.as_bytes(), &AGENTS, 1, 2).unwrap_err(),
            PageError::TooMany { room: 2 }
        );
        assert_eq!(
            page::<Agent>(body.as_bytes(), &AGENTS, 1, 3)
                .unwrap()
                .items
                .len(),
            3
        );
    }

    #[test]
    fn the_envelope_reads_r_and_message_in_either_spelling() {
        let e = envelope(br#"{"r":"2","msg":"m","data":[1,2]}"#).unwrap();
        assert_eq!(e.r(), Some(2));
        assert_eq!(e.message(), "m");
        assert_eq!(e.keys.to_string(), "`r`, `msg`, `data`");
        let e = envelope(br#"{"message":"a","msg":"b","r":0}"#).unwrap();
        assert_eq!(e.message(), "a");
        assert!(envelope(b"[1]").is_none());
        assert!(envelope(b"{\"r\":0} trailing").is_none());
        assert_eq!(envelope(br#"{"r":[0]}"#).unwrap().r(), None);
    }
}

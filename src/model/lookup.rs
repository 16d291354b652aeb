//! A lookup from one table's key to the one value it holds for that key, as `fill` and `merge`
//! corrections read it.
//!
//! A lookup over a whole table holds millions of keys. As a `HashMap<String, Option<String>>`
//! each key cost two allocations and about 130 bytes (420 MB for 3.35 million children); here
//! keys and values sit back to back in one text buffer and the table holds only where they are
//! (24 bytes a key, plus the text itself).

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Key → the one value rows agreed on, or `None` once two rows disagreed.
#[derive(Clone, Default)]
pub struct Lookup {
    text: String,
    entries: HashTable<Entry>,
    hasher: foldhash::fast::FixedState,
}

/// Where a key and its value are in the text.
#[derive(Clone, Copy)]
struct Entry {
    key: u64,
    /// [`NONE`] when rows disagreed.
    value: u64,
    key_len: u32,
    value_len: u32,
}

const NONE: u64 = u64::MAX;

/// (key, value) pairs gathered apart from a lookup (one batch's, in parallel with others), to
/// [`Lookup::agree`] on in order: one text buffer, no allocation per pair.
#[derive(Default)]
pub struct Pairs {
    text: String,
    /// Per pair: where its key ends and its value ends in `text` (each starts where the one
    /// before it ends).
    ends: Vec<(usize, usize)>,
}

impl Pairs {
    pub fn push(&mut self, key: &str, value: &str) {
        self.text.push_str(key);
        let key_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((key_end, self.text.len()));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(k, v)| {
            let pair = (&self.text[start..k], &self.text[k..v]);
            start = v;
            pair
        })
    }
}

impl Lookup {
    pub fn new() -> Self {
        Lookup::default()
    }

    /// The value for `key`: `None` when no row has the key, `Some(None)` when its rows disagree.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        let hash = self.hasher.hash_one(key);
        let e = self.entries.find(hash, |e| self.key(e) == key)?;
        Some((e.value != NONE).then(|| self.slice(e.value, e.value_len)))
    }

    /// One more row's value for `key`: the key keeps its value while every row agrees on it, and
    /// holds `None` once two rows disagree.
    pub fn agree(&mut self, key: &str, value: &str) {
        let hash = self.hasher.hash_one(key);
        let Lookup { text, entries, hasher } = self;
        if let Some(e) = entries.find_mut(hash, |e| slice(text, e.key, e.key_len) == key) {
            if e.value != NONE && slice(text, e.value, e.value_len) != value {
                e.value = NONE;
            }
            return;
        }
        let at = text.len() as u64;
        text.push_str(key);
        text.push_str(value);
        let entry = Entry {
            key: at,
            value: at + key.len() as u64,
            key_len: len32(key),
            value_len: len32(value),
        };
        entries.insert_unique(hash, entry, |e| hasher.hash_one(slice(text, e.key, e.key_len)));
    }

    /// Every pair of `pairs`, in order (see [`Lookup::agree`]).
    pub fn agree_all(&mut self, pairs: &Pairs) {
        for (k, v) in pairs.iter() {
            self.agree(k, v);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn key(&self, e: &Entry) -> &str {
        self.slice(e.key, e.key_len)
    }

    fn slice(&self, at: u64, len: u32) -> &str {
        slice(&self.text, at, len)
    }
}

fn slice(text: &str, at: u64, len: u32) -> &str {
    text.get(at as usize..at as usize + len as usize).unwrap_or_default()
}

/// A key or value's length. Values come from records, which the readers cap far below 4 GiB
/// (`MAX_RECORD_BYTES`), so this never saturates in practice; if it did, the lookup would hold a
/// prefix, never panic.
fn len32(s: &str) -> u32 {
    u32::try_from(s.len()).unwrap_or(u32::MAX)
}

impl<'a> FromIterator<(&'a str, &'a str)> for Lookup {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Self {
        let mut lookup = Lookup::new();
        for (k, v) in pairs {
            lookup.agree(k, v);
        }
        lookup
    }
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup").field("keys", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_keeps_its_value_while_rows_agree() {
        let mut l = Lookup::new();
        l.agree("NF1", "14/06/2015");
        l.agree("NF2", "01/01/2016");
        l.agree("NF1", "14/06/2015");
        assert_eq!(l.get("NF1"), Some(Some("14/06/2015")));
        l.agree("NF2", "02/01/2016");
        assert_eq!(l.get("NF2"), Some(None));
        // Once disagreed, always disagreed.
        l.agree("NF2", "01/01/2016");
        assert_eq!(l.get("NF2"), Some(None));
        assert_eq!(l.get("NF3"), None);
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn empty_keys_and_values_are_keys_and_values() {
        let mut l = Lookup::new();
        l.agree("", "x");
        l.agree("k", "");
        assert_eq!(l.get(""), Some(Some("x")));
        assert_eq!(l.get("k"), Some(Some("")));
    }

    proptest! {
        /// The same answers as the map it replaced, on any rows.
        #[test]
        fn agrees_with_a_map(rows in proptest::collection::vec(("[a-c]{0,2}", "[xy]{0,1}"), 0..60)) {
            let mut map: std::collections::HashMap<String, Option<String>> = Default::default();
            let mut pairs = Pairs::default();
            for (k, v) in &rows {
                pairs.push(k, v);
                match map.get_mut(k) {
                    None => { map.insert(k.clone(), Some(v.clone())); }
                    Some(held) => if held.as_deref() != Some(v.as_str()) { *held = None; },
                }
            }
            let mut l = Lookup::new();
            l.agree_all(&pairs);
            prop_assert_eq!(l.len(), map.len());
            for (k, v) in &map {
                prop_assert_eq!(l.get(k), Some(v.as_deref()));
            }
            prop_assert_eq!(l.get("zzz"), None);
        }
    }
}

//! The distinct span names of one trace, interned: every name's text once in one byte arena,
//! found again by its bytes through a hash table of ids.
//!
//! A trace may have millions of distinct names (generated ones, or a hostile file). A
//! `Vec<String>` beside a `HashMap<Box<[u8]>, u32>` holds each name twice, in two heap blocks
//! with their headers and rounding, about 100 bytes a name besides its text; here a name costs
//! its text, 8 bytes for where it ends, and 6 to 12 bytes of hash table (a 4-byte id and a
//! control byte a slot, a power-of-two table at most 7/8 full), with no allocation of its own.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::NameId;

/// Distinct names, each with the [`NameId`] of its order of first sight.
#[derive(Clone, Default)]
pub struct Names {
    /// Every name's text, one after the other.
    text: String,
    /// Where each name ends in `text` (it starts where the one before ends).
    ends: Vec<usize>,
    /// The ids of the names, hashed by their text.
    index: HashTable<NameId>,
}

fn hash(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

impl Names {
    pub fn new() -> Self {
        Names::default()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name of `id`; panics when there is no such name (ids come from this table).
    pub fn get(&self, id: NameId) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The id of a name already interned.
    pub fn lookup(&self, name: &[u8]) -> Option<NameId> {
        let (text, ends) = (&self.text, &self.ends);
        self.index
            .find(hash(name), |&id| bytes_of(text, ends, id) == name)
            .copied()
    }

    /// The id of `name`, interned on first sight.
    pub fn intern(&mut self, name: &str) -> NameId {
        let h = hash(name.as_bytes());
        let (text, ends) = (&self.text, &self.ends);
        let entry = self.index.entry(
            h,
            |&id| bytes_of(text, ends, id) == name.as_bytes(),
            |&id| hash(bytes_of(text, ends, id)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(found) => *found.get(),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let id = self.ends.len() as NameId;
                slot.insert(id);
                self.text.push_str(name);
                self.ends.push(self.text.len());
                id
            }
        }
    }

    /// Every name, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| self.get(i as NameId))
    }

    /// Gives back the room grown ahead while reading (up to half of the arena).
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        let (text, ends) = (&self.text, &self.ends);
        self.index
            .shrink_to_fit(|&id| hash(bytes_of(text, ends, id)));
    }
}

/// The bytes of name `id` (a free function, so that the hash table's closures borrow only the
/// arena while the table itself is borrowed mutably).
fn bytes_of<'a>(text: &'a str, ends: &[usize], id: NameId) -> &'a [u8] {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text.as_bytes()[start..ends[i]]
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Names {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends && self.text == other.text
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Names {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Names {
    /// Names in order, a repeated one keeping its first id.
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> Self {
        let mut out = Names::new();
        for name in names {
            out.intern(name.as_ref());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_ids_in_order_of_first_sight_and_are_found_by_their_bytes() {
        let mut names = Names::new();
        assert_eq!(names.intern("b"), 0);
        assert_eq!(names.intern(""), 1);
        assert_eq!(names.intern("a (x.py:1)"), 2);
        assert_eq!(names.intern("b"), 0);
        assert_eq!(names.intern(""), 1);
        assert_eq!(names.len(), 3);
        assert_eq!(names.get(2), "a (x.py:1)");
        assert_eq!(names.get(1), "");
        assert_eq!(names.lookup(b"a (x.py:1)"), Some(2));
        assert_eq!(names.lookup(b"a (x.py:2)"), None);
        assert_eq!(names, vec!["b", "", "a (x.py:1)"]);
    }

    #[test]
    fn names_keep_their_ids_through_the_table_growing() {
        let mut names = Names::new();
        for i in 0..200_000u32 {
            assert_eq!(names.intern(&format!("f{i}")), i);
        }
        names.shrink_to_fit();
        for i in (0..200_000u32).step_by(997) {
            assert_eq!(names.lookup(format!("f{i}").as_bytes()), Some(i));
            assert_eq!(names.get(i), format!("f{i}"));
        }
        assert_eq!(names.intern("f199999"), 199_999);
        assert_eq!(names.len(), 200_000);
    }
}

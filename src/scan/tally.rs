//! Counting values in bounded memory: the summary's "by receiving domain"
//! and "by sending IP" see one value per result, and a day of logs can
//! hold millions of distinct ones.
//!
//! A [`Tally`] counts exactly while it has seen at most [`KEEP`] distinct
//! values. Past that it becomes a *heavy-hitters* counter in the manner of
//! Space-Saving (Metwally, Agrawal and El Abbadi, 2005): when the map
//! reaches twice [`KEEP`] entries, the [`KEEP`] largest stay and the rest
//! are dropped; the largest count dropped becomes the *floor*, and a value
//! seen again after being dropped starts from the floor, not from zero.
//! A frequent value therefore cannot be pushed out by a crowd of rare ones,
//! and each count is off by at most [`Tally::error`], which the report
//! prints beside an approximate breakdown. Dropping in bulk keeps the cost
//! per value constant (one sort of 2 x [`KEEP`] entries every [`KEEP`] new
//! values), where evicting the smallest entry one value at a time would
//! scan the whole map each time.

use std::collections::HashMap;

/// How many distinct values are always kept (and counted exactly while
/// there are no more than this).
pub const KEEP: usize = 4096;

#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: HashMap<String, u64>,
    /// The largest count dropped so far: where a value seen again starts.
    floor: u64,
    /// How far any count may be from the truth (0 while exact).
    error: u64,
}

impl Tally {
    /// Counts one occurrence of `key`.
    pub fn bump(&mut self, key: &str) {
        self.add(key, 1);
    }

    fn add(&mut self, key: &str, n: u64) {
        match self.counts.get_mut(key) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(key.to_string(), self.floor + n);
                if self.counts.len() >= 2 * KEEP {
                    self.compact(KEEP);
                }
            }
        }
    }

    /// Keeps the `keep` largest counts, dropping the rest.
    fn compact(&mut self, keep: usize) {
        let mut all: Vec<(String, u64)> = self.counts.drain().collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let dropped_max = all.get(keep).map_or(0, |e| e.1);
        all.truncate(keep);
        self.counts = all.into_iter().collect();
        self.floor = self.floor.max(dropped_max);
        self.error = self.error.max(self.floor);
    }

    /// Adds a later part's counts (a worker's batch). Each side's
    /// uncertainty adds up: a value one side dropped may be missing from its
    /// count.
    pub fn merge(&mut self, later: Tally) {
        let error = self.error + later.error;
        let floor = self.floor.max(later.floor);
        for (k, n) in later.counts {
            *self.counts.entry(k).or_default() += n;
        }
        self.error = error;
        self.floor = floor;
        if self.counts.len() >= 2 * KEEP {
            self.compact(KEEP);
        }
    }

    /// The `n` largest counts, largest first (ties by value).
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.counts.iter().map(|(k, c)| (k.clone(), *c)).collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    /// How far a count may be from the true one: 0 while every distinct
    /// value is kept.
    pub fn error(&self) -> u64 {
        self.error
    }

    /// Distinct values held now (at most twice [`KEEP`]).
    pub fn held(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Tally, KEEP};

    #[test]
    fn few_values_are_counted_exactly() {
        let mut t = Tally::default();
        for k in ["a", "b", "a", "c", "a", "b"] {
            t.bump(k);
        }
        assert_eq!(t.top(2), vec![("a".to_string(), 3), ("b".to_string(), 2)]);
        assert_eq!(t.error(), 0);
    }

    /// A million distinct rare values with one frequent value among them:
    /// memory stays bounded, the frequent value is still first, and its
    /// count is within the stated error.
    #[test]
    fn a_frequent_value_survives_a_crowd_of_rare_ones_in_bounded_memory() {
        let mut t = Tally::default();
        let mut max_held = 0;
        for i in 0..1_000_000u32 {
            t.bump(&format!("rare-{i}.example"));
            if i % 1000 == 0 {
                t.bump("gmail.com");
            }
            max_held = max_held.max(t.held());
        }
        assert!(max_held < 2 * KEEP, "held {max_held}");
        let (key, count) = t.top(1).remove(0);
        assert_eq!(key, "gmail.com");
        assert!(
            t.error() > 0,
            "past KEEP distinct values counts are approximate"
        );
        assert!(
            count >= 1000 && count <= 1000 + t.error(),
            "count {count}, error {}",
            t.error()
        );
    }

    #[test]
    fn merged_parts_stay_bounded_and_keep_the_frequent_value() {
        let mut whole = Tally::default();
        for part in 0..10u32 {
            let mut t = Tally::default();
            for i in 0..10_000u32 {
                t.bump(&format!("{part}-{i}"));
                if i % 100 == 0 {
                    t.bump("yahoo.com");
                }
            }
            whole.merge(t);
            assert!(whole.held() < 2 * KEEP);
        }
        let (key, count) = whole.top(1).remove(0);
        assert_eq!(key, "yahoo.com");
        assert!(
            count.abs_diff(1000) <= whole.error(),
            "count {count}, error {}",
            whole.error()
        );
    }
}

//! The one compression routine of the data types: identical rows merged into weighted ones.
//!
//! Every table ([`RfmData`](crate::RfmData), [`SpendData`](crate::SpendData),
//! [`LifetimeData`](crate::data::LifetimeData)) compresses through [`group`]: rows with equal
//! keys become one row whose weight is the sum of theirs, and the distinct rows come out in
//! increasing key order, with a map from each input row to its distinct row. The result depends only on the multiset of
//! rows, never on their input order (up to the rounding of the weight sums, which are added in
//! input order).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The total-order key of a float: equal keys for equal values (`-0` and `0` included), and
/// keys ordered as the values. For non-negative values this is the bit pattern of `v + 0.0`
/// with the sign bit set, so it orders as the bit patterns do.
pub(crate) fn float_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// One row of a set of float columns, compared column by column through [`float_key`]: a key
/// part for tables with a variable number of columns (covariates), borrowed rather than copied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnsRow<'a> {
    columns: &'a [Vec<f64>],
    row: usize,
}

impl<'a> ColumnsRow<'a> {
    /// Row `row` of `columns` (every column has more than `row` values).
    pub(crate) fn new(columns: &'a [Vec<f64>], row: usize) -> Self {
        ColumnsRow { columns, row }
    }

    fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.columns
            .iter()
            .map(|c| c.get(self.row).map_or(0, |&v| float_key(v)))
    }
}

impl Ord for ColumnsRow<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.keys().cmp(other.keys())
    }
}

impl PartialOrd for ColumnsRow<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ColumnsRow<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ColumnsRow<'_> {}

impl Hash for ColumnsRow<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for k in self.keys() {
            k.hash(state);
        }
    }
}

/// The distinct rows of a table, as found by [`group`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Groups {
    /// Per distinct row, in increasing key order: the first (lowest) input row with its key.
    pub first: Vec<usize>,
    /// Per distinct row: the sum of the weights of its input rows, added in input order.
    pub weight: Vec<f64>,
    /// Per input row: the index of its distinct row.
    pub index: Vec<usize>,
}

/// Groups the `n` rows of a table by `key(i)`: the distinct keys in increasing order, each with
/// its first input row and the sum of `weight(i)` over its rows (added in input order), and for
/// each input row the index of its group.
///
/// Rows below which a sort runs on the calling thread.
const SORT_ROWS_PER_THREAD: usize = 1 << 16;

/// Rows already in key order (as the distinct rows of an earlier grouping, which batch
/// predictions group again) are grouped in one pass of comparisons. Others are first grouped
/// by hashing, which costs one pass plus a sort of the distinct keys;
/// when the distinct keys turn out to be many (more than an eighth of the rows), all rows are
/// sorted instead. Both ways give the same groups.
pub(crate) fn group<K: Ord + Hash + Send>(
    n: usize,
    key: impl Fn(usize) -> K,
    weight: impl Fn(usize) -> f64,
) -> Groups {
    let (first, index) = group_in_order(n, &key)
        .or_else(|| group_by_hash(n, &key, n / 8 + 64))
        .unwrap_or_else(|| group_by_sort(n, &key));
    let mut w = vec![0.0; first.len()];
    for (i, &g) in index.iter().enumerate() {
        w[g] += weight(i);
    }
    Groups {
        first,
        weight: w,
        index,
    }
}

/// As [`group_by_hash`] for rows whose keys never decrease: groups are runs of equal keys.
/// `None` at the first key smaller than the one before it.
fn group_in_order<K: Ord>(n: usize, key: impl Fn(usize) -> K) -> Option<(Vec<usize>, Vec<usize>)> {
    let mut first = Vec::new();
    let mut index = Vec::with_capacity(n);
    let mut last: Option<K> = None;
    for i in 0..n {
        let k = key(i);
        match &last {
            Some(l) if *l > k => return None,
            Some(l) if *l == k => {}
            _ => first.push(i),
        }
        index.push(first.len() - 1);
        last = Some(k);
    }
    Some((first, index))
}

/// Per group in key order its first row, and per row its group: by hashing the keys, then
/// sorting the distinct ones. `None` when there are more than `limit` distinct keys.
fn group_by_hash<K: Ord + Hash>(
    n: usize,
    key: impl Fn(usize) -> K,
    limit: usize,
) -> Option<(Vec<usize>, Vec<usize>)> {
    // Groups numbered in order of first appearance.
    let mut seen: HashMap<K, usize, BuildHasherDefault<MixHasher>> = HashMap::default();
    let mut first = Vec::new();
    let mut index = Vec::with_capacity(n);
    for i in 0..n {
        let g = match seen.entry(key(i)) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                if first.len() >= limit {
                    return None;
                }
                first.push(i);
                *e.insert(first.len() - 1)
            }
        };
        index.push(g);
    }
    // Renumber them in key order.
    let mut keys: Vec<(K, usize)> = seen.into_iter().collect();
    keys.sort_unstable();
    let mut rank = vec![0; keys.len()];
    for (r, &(_, g)) in keys.iter().enumerate() {
        rank[g] = r;
    }
    for g in &mut index {
        *g = rank[*g];
    }
    Some((keys.iter().map(|&(_, g)| first[g]).collect(), index))
}

/// Per row, the index of its key among the distinct keys of the `n` rows (numbered in key
/// order), and how many are distinct; `None` where more than `limit` are.
fn key_groups<K: Ord + Hash>(
    n: usize,
    key: impl Fn(usize) -> K,
    limit: usize,
) -> Option<(usize, Vec<u32>)> {
    let (first, index) = group_by_hash(n, key, limit)?;
    let index = index
        .into_iter()
        .map(u32::try_from)
        .collect::<Result<_, _>>();
    Some((first.len(), index.ok()?))
}

/// [`key_groups`] of the pairs `(a[i], b[i])` of two indices below `na` and `nb` (numbered in
/// order of first appearance where `na · nb` is at most four times the rows: one slot per
/// possible pair then, no hashing).
pub(crate) fn index_pairs(
    a: &[u32],
    na: usize,
    b: &[u32],
    nb: usize,
    limit: usize,
) -> Option<(usize, Vec<u32>)> {
    let n = a.len().min(b.len());
    let slots = na.checked_mul(nb).filter(|&m| m <= 4 * n);
    let Some(slots) = slots else {
        return key_groups(n, |i| (a[i], b[i]), limit);
    };
    let mut slot = vec![u32::MAX; slots];
    let mut count = 0;
    let mut index = Vec::with_capacity(n);
    for (&i, &j) in a.iter().zip(b) {
        let s = slot.get_mut(i as usize * nb + j as usize)?;
        if *s == u32::MAX {
            if count >= limit {
                return None;
            }
            *s = u32::try_from(count).ok()?;
            count += 1;
        }
        index.push(*s);
    }
    Some((count, index))
}

/// As [`group_by_hash`] by sorting every row by `(key, row)`: the first row of a group is its
/// lowest.
/// The rows are sorted in parts on every core, then merged.
fn group_by_sort<K: Ord + Send>(n: usize, key: impl Fn(usize) -> K) -> (Vec<usize>, Vec<usize>) {
    let mut keyed: Vec<(K, usize)> = (0..n).map(|i| (key(i), i)).collect();
    let parts = crate::parallel::sort_parts(&mut keyed, SORT_ROWS_PER_THREAD);
    let mut first = Vec::new();
    let mut index = vec![0; n];
    let mut last: Option<&K> = None;
    for (k, i) in crate::parallel::merged(parts) {
        if last != Some(k) {
            first.push(*i);
            last = Some(k);
        }
        index[*i] = first.len() - 1;
    }
    (first, index)
}

/// A fast hasher for the integer keys of [`group`] (no protection against chosen collisions,
/// which a table of customers does not need): each word is folded in by a multiply, and the
/// result mixed by the finaliser of MurmurHash3 so that keys differing only in their high bits
/// (floats such as 2.0 and 3.0) spread over the low bits the table uses.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The values of `column` at the rows `rows`.
pub(crate) fn pick<T: Clone>(column: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter()
        .filter_map(|&i| column.get(i).cloned())
        .collect()
}

/// The rows of a table grouped by frequency `x`, as the likelihoods of the noncontractual and
/// spend models use them: per-frequency terms are computed once per distinct `x`.
#[derive(Debug, Clone)]
pub(crate) struct FrequencyGroups {
    /// The distinct frequencies, increasing.
    pub values: Vec<f64>,
    /// Per row, the index of its frequency in `values`.
    pub index: Vec<u32>,
    /// Per distinct frequency, the total weight of its rows (added in row order).
    pub weight: Vec<f64>,
}

impl FrequencyGroups {
    /// Groups the rows of the (validated: finite, `>= 0`, no `-0`) frequencies `freq` with
    /// weights `weight`. Compressed data come sorted by frequency: one linear pass then.
    pub(crate) fn new(freq: &[f64], weight: &[f64]) -> Self {
        let (values, index) = if freq.is_sorted() {
            let mut xs: Vec<f64> = Vec::new();
            let index: Vec<u32> = freq
                .iter()
                .map(|&x| {
                    if xs.last() != Some(&x) {
                        xs.push(x);
                    }
                    (xs.len() - 1) as u32
                })
                .collect();
            (xs, index)
        } else {
            // Distinct values by hashing (in order of first appearance), then sorted: a hash
            // lookup per row where a sort and a binary search of every row cost far more when
            // values repeat (the ages and recencies of compressed data take few values).
            let mut seen: HashMap<u64, u32, BuildHasherDefault<MixHasher>> = HashMap::default();
            let mut first: Vec<f64> = Vec::new();
            let provisional: Vec<u32> = freq
                .iter()
                .map(|&x| {
                    *seen.entry(x.to_bits()).or_insert_with(|| {
                        first.push(x);
                        (first.len() - 1) as u32
                    })
                })
                .collect();
            let mut order: Vec<u32> = (0..first.len() as u32).collect();
            order.sort_unstable_by(|&i, &j| first[i as usize].total_cmp(&first[j as usize]));
            let mut rank = vec![0u32; first.len()];
            for (r, &i) in order.iter().enumerate() {
                rank[i as usize] = r as u32;
            }
            let xs = order.iter().map(|&i| first[i as usize]).collect();
            let index = provisional.iter().map(|&p| rank[p as usize]).collect();
            (xs, index)
        };
        let mut totals = vec![0.0; values.len()];
        for (&i, w) in index.iter().zip(weight) {
            totals[i as usize] += w;
        }
        FrequencyGroups {
            values,
            index,
            weight: totals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_groups_are_the_same_sorted_or_not() {
        let freq = [0.0, 2.0, 2.0, 5.0, 7.0];
        let weight = [1.0, 2.0, 3.0, 4.0, 5.0];
        let sorted = FrequencyGroups::new(&freq, &weight);
        assert_eq!(sorted.values, [0.0, 2.0, 5.0, 7.0]);
        assert_eq!(sorted.index, [0, 1, 1, 2, 3]);
        assert_eq!(sorted.weight, [1.0, 5.0, 4.0, 5.0]);
        let shuffled = FrequencyGroups::new(&[5.0, 2.0, 0.0, 7.0, 2.0], &[4.0, 2.0, 1.0, 5.0, 3.0]);
        assert_eq!(shuffled.values, sorted.values);
        assert_eq!(shuffled.index, [2, 1, 0, 3, 1]);
        assert_eq!(shuffled.weight, sorted.weight);
        // Many rows over few values and over many, against a sort and a search of every row.
        for distinct in [7u64, 500, 50_000] {
            let mut state = 0x2545_f491_4f6c_dd1d_u64;
            let freq: Vec<f64> = (0..60_000)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % distinct) as f64 * 0.37
                })
                .collect();
            let weight: Vec<f64> = (0..freq.len()).map(|i| 0.5 + (i % 3) as f64).collect();
            let groups = FrequencyGroups::new(&freq, &weight);
            let mut values = freq.clone();
            values.sort_unstable_by(f64::total_cmp);
            values.dedup();
            assert_eq!(groups.values, values);
            for (&x, &i) in freq.iter().zip(&groups.index) {
                assert_eq!(values[i as usize], x);
            }
            let mut totals = vec![0.0; values.len()];
            for (&i, w) in groups.index.iter().zip(&weight) {
                totals[i as usize] += w;
            }
            assert_eq!(groups.weight, totals);
        }
    }

    /// Rows with the same pair of indices share a group, rows with different pairs do not,
    /// by one slot per possible pair (few) and by hashing (many); more groups than the limit
    /// give none.
    #[test]
    fn index_pairs_group_equal_pairs() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m) as u32
        };
        for (na, nb) in [(3usize, 5usize), (400, 900)] {
            let n = 2_000;
            let a: Vec<u32> = (0..n).map(|_| next(na as u64)).collect();
            let b: Vec<u32> = (0..n).map(|_| next(nb as u64)).collect();
            let (count, index) = index_pairs(&a, na, &b, nb, n).unwrap();
            assert_eq!(index.len(), n);
            let mut first = vec![None; count];
            for i in 0..n {
                let g = index[i] as usize;
                let pair = (a[i], b[i]);
                assert_eq!(*first[g].get_or_insert(pair), pair);
            }
            let mut distinct: Vec<(u32, u32)> = first.into_iter().map(Option::unwrap).collect();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), count);
            assert!(index_pairs(&a, na, &b, nb, count - 1).is_none());
            assert_eq!(index_pairs(&a, na, &b, nb, count).map(|p| p.0), Some(count));
        }
    }

    #[test]
    fn float_keys_order_as_the_values() {
        let values = [
            f64::MIN,
            -3.5,
            -1e-300,
            -0.0,
            0.0,
            1e-300,
            2.0,
            7.5,
            f64::MAX,
        ];
        for w in values.windows(2) {
            assert!(float_key(w[0]) <= float_key(w[1]), "{} {}", w[0], w[1]);
        }
        assert_eq!(float_key(-0.0), float_key(0.0));
        // non-negative values keep the order of their bit patterns
        assert!(float_key(1.0) < float_key(2.0) && float_key(0.0) < float_key(1e-300));
    }

    #[test]
    fn groups_are_sorted_by_key_whatever_the_input_order() {
        let keys = [3, 1, 3, 2, 1];
        let g = group(keys.len(), |i| keys[i], |i| (i + 1) as f64);
        assert_eq!(g.first, [1, 3, 0]);
        assert_eq!(g.weight, [2.0 + 5.0, 4.0, 1.0 + 3.0]);
        assert_eq!(g.index, [2, 0, 2, 1, 0]);
        let reversed: Vec<i32> = keys.iter().rev().copied().collect();
        let h = group(keys.len(), |i| reversed[i], |_| 1.0);
        assert_eq!(pick(&reversed, &h.first), pick(&keys, &g.first));
    }

    #[test]
    fn hashing_and_sorting_give_the_same_groups() {
        let keys: Vec<(u64, bool)> = (0..500u64).map(|i| ((i * 7919) % 37, i % 3 == 0)).collect();
        let by_hash = group_by_hash(keys.len(), |i| keys[i], usize::MAX).unwrap();
        assert_eq!(by_hash, group_by_sort(keys.len(), |i| keys[i]));
        assert_eq!(group_by_hash(keys.len(), |i| keys[i], 10), None);
        // past the limit, `group` sorts
        let distinct: Vec<u64> = (0..1000u64).rev().collect();
        let g = group(distinct.len(), |i| distinct[i], |_| 1.0);
        assert_eq!(g.first[0], 999);
        assert_eq!(g.index[0], 999);
    }

    #[test]
    fn rows_sorted_in_parts_group_as_hashed_ones() {
        // enough rows to be sorted in parts on several cores, and merged
        let n = 300_000;
        let keys: Vec<(u64, u64)> = (0..n as u64)
            .map(|i| ((i * 7919) % 1013, (i * 31) % 7))
            .collect();
        let by_sort = group_by_sort(n, |i| keys[i]);
        assert_eq!(
            Some(&by_sort),
            group_by_hash(n, |i| keys[i], usize::MAX).as_ref()
        );
        let distinct: Vec<u64> = (0..n as u64).map(|i| (i * 7919) % n as u64).collect();
        let g = group_by_sort(n, |i| distinct[i]);
        assert_eq!(g.0.len(), n);
        assert!(g.0.iter().map(|&i| distinct[i]).is_sorted());
    }

    #[test]
    fn rows_in_key_order_group_as_sorted_ones() {
        let sorted: Vec<u64> = vec![1, 1, 2, 5, 5, 5, 9];
        let g = group_in_order(sorted.len(), |i| sorted[i]).unwrap();
        assert_eq!(g, group_by_sort(sorted.len(), |i| sorted[i]));
        assert_eq!(group_in_order(3, |i| [1, 3, 2][i]), None);
        let distinct: Vec<u64> = (0..1000).collect();
        let g = group(distinct.len(), |i| distinct[i], |i| i as f64);
        assert_eq!(g.first, (0..1000).collect::<Vec<_>>());
        assert_eq!(g.weight, (0..1000).map(|i| i as f64).collect::<Vec<_>>());
    }

    #[test]
    fn column_rows_compare_column_by_column() {
        let cols = vec![vec![1.0, 1.0, -2.0], vec![0.0, -0.0, 5.0]];
        let row = |i| ColumnsRow::new(&cols, i);
        assert_eq!(row(0), row(1));
        assert!(row(2) < row(0));
        let g = group(3, row, |_| 1.0);
        assert_eq!(g.first, [2, 0]);
        assert_eq!(g.weight, [1.0, 2.0]);
    }
}

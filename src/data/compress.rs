//! The one compression routine of the data types: identical rows merged into weighted ones.
//!
//! Every table ([`RfmData`](crate::RfmData), [`SpendData`](crate::SpendData),
//! [`LifetimeData`](crate::data::LifetimeData)) compresses through [`group`]: the rows are sorted
//! by a key, rows with equal keys become one row whose weight is the sum of theirs, and the
//! distinct rows come out in increasing key order. The result depends only on the multiset of
//! rows, never on their input order (up to the rounding of the weight sums, which are added in
//! input order).

use std::cmp::Ordering;

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
/// its first input row and the sum of `weight(i)` over its rows, and for each input row the
/// index of its group.
pub(crate) fn group<K: Ord>(
    n: usize,
    key: impl Fn(usize) -> K,
    weight: impl Fn(usize) -> f64,
) -> Groups {
    let mut keyed: Vec<(K, usize)> = (0..n).map(|i| (key(i), i)).collect();
    // Equal keys end up ordered by row: the first of a group is its lowest row, and its weights
    // are added in input order.
    keyed.sort_unstable();
    let mut groups = Groups {
        first: Vec::new(),
        weight: Vec::new(),
        index: vec![0; n],
    };
    let mut last: Option<&K> = None;
    for (k, i) in &keyed {
        if last != Some(k) {
            groups.first.push(*i);
            groups.weight.push(0.0);
            last = Some(k);
        }
        let g = groups.first.len() - 1;
        groups.weight[g] += weight(*i);
        groups.index[*i] = g;
    }
    groups
}

/// The values of `column` at the rows `rows`.
pub(crate) fn pick<T: Clone>(column: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter()
        .filter_map(|&i| column.get(i).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

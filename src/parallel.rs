//! Splitting work over rows across the machine's cores: a likelihood pass on a pool of threads
//! kept from pass to pass (rayon), the other work on scoped std threads.

use std::sync::OnceLock;

/// Rows below which a sum runs on the calling thread: spawning costs more than it saves.
const MIN_ROWS_PER_THREAD: usize = 2_048;

/// The number of threads work is split across: the cores available.
pub(crate) fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f(start, end)` for consecutive chunks covering `0..n`, in order: one chunk per thread (at
/// most one per `min_per_thread` rows), on the calling thread when there is a single chunk.
fn chunks<T, F>(n: usize, min_per_thread: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync,
{
    let parts = threads().min(n.div_ceil(min_per_thread.max(1))).max(1);
    if parts == 1 {
        return vec![f(0, n)];
    }
    let chunk = n.div_ceil(parts);
    let part = |p: usize| f(p * chunk, ((p + 1) * chunk).min(n));
    match pool() {
        Some(pool) => pool.install(|| {
            use rayon::prelude::*;
            (0..parts).into_par_iter().map(part).collect()
        }),
        // The same chunks one after another: the same sums, bit for bit.
        None => (0..parts).map(part).collect(),
    }
}

/// The threads of [`chunks`], kept from pass to pass (waking a kept thread costs a few
/// microseconds, starting one tens: a fit of a thousand rows makes a pass in about 100 µs).
/// One pool per process: a process forked from one that had a pool (Python's multiprocessing,
/// Spark's workers) has none of its threads, and builds its own. `None` where no pool can be
/// built (the chunks then run on the calling thread: rayon's global pool would hang in a
/// forked process).
fn pool() -> Option<std::sync::Arc<rayon::ThreadPool>> {
    use std::sync::{Arc, Mutex};
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        Some((owner, pool)) if *owner == pid => Some(Arc::clone(pool)),
        _ => {
            let pool = Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads())
                    .build()
                    .ok()?,
            );
            // A parent's pool is left as it is: its threads are not in this process.
            if let Some(old) = slot.replace((pid, Arc::clone(&pool))) {
                std::mem::forget(old);
            }
            Some(pool)
        }
    }
}

/// Sums `f(start, end)` (a vector of `N` accumulators for the rows `start..end`) over `0..n`,
/// splitting the rows across threads when there are many.
pub(crate) fn sum_rows<const N: usize, F>(n: usize, f: F) -> [f64; N]
where
    F: Fn(usize, usize) -> [f64; N] + Sync,
{
    sum_rows_from(n, MIN_ROWS_PER_THREAD, f)
}

/// As [`sum_rows`], splitting the rows across threads from `min_per_thread` rows a thread on:
/// fewer than [`MIN_ROWS_PER_THREAD`] for rows costing several times a BG/NBD row, so that
/// a thread's share of a pass still outweighs starting it.
pub(crate) fn sum_rows_from<const N: usize, F>(n: usize, min_per_thread: usize, f: F) -> [f64; N]
where
    F: Fn(usize, usize) -> [f64; N] + Sync,
{
    let mut total = [0.0; N];
    for part in chunks(n, min_per_thread, f) {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    total
}

/// `f(i)` for every `i` in `0..n`, in order, splitting the indices across threads when there are
/// many (`min_per_thread` or more per thread).
pub(crate) fn map_rows<T, F>(n: usize, min_per_thread: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    chunks(n, min_per_thread, |lo, hi| {
        (lo..hi).map(&f).collect::<Vec<T>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `f(k)` for each of `n` distinct rows (across the cores, at least `min_per_thread` per
/// thread), expanded back to the full rows: row `r` takes the value of distinct row `index[r]`
/// (`index` as [`crate::RfmData::distinct_customers`] gives it, every entry below `n`). The
/// error is the first failing distinct row's.
pub(crate) fn map_distinct<T, E, F>(
    n: usize,
    index: &[usize],
    min_per_thread: usize,
    f: F,
) -> Result<Vec<T>, E>
where
    T: Copy + Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
{
    let values = map_rows(n, min_per_thread, f)
        .into_iter()
        .collect::<Result<Vec<T>, E>>()?;
    Ok(index.iter().map(|&k| values[k]).collect())
}

/// `f(start, a_part, b_part)` over consecutive parts of `a` (rows of `ka` elements each) and `b`
/// (rows of `kb` each) covering the same `n` rows, one part per thread (at most one per
/// `min_per_thread` rows), on the calling thread when there is a single part: results written
/// in place, without collecting and copying per-thread vectors. The error is the first failing
/// part's.
pub(crate) fn fill_rows<A, B, E, F>(
    (a, ka): (&mut [A], usize),
    (b, kb): (&mut [B], usize),
    n: usize,
    min_per_thread: usize,
    f: F,
) -> Result<(), E>
where
    A: Send,
    B: Send,
    E: Send,
    F: Fn(usize, &mut [A], &mut [B]) -> Result<(), E> + Sync,
{
    let parts = threads().min(n.div_ceil(min_per_thread.max(1))).max(1);
    if parts == 1 {
        return f(0, a, b);
    }
    let chunk = n.div_ceil(parts);
    std::thread::scope(|s| {
        let handles: Vec<_> = a
            .chunks_mut((chunk * ka).max(1))
            .zip(b.chunks_mut((chunk * kb).max(1)))
            .enumerate()
            .map(|(p, (ca, cb))| {
                let f = &f;
                s.spawn(move || f(p * chunk, ca, cb))
            })
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug in our own arithmetic; propagate it as such.
            .try_for_each(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

/// Sorts `v` (`sort_unstable`) in consecutive parts, one per core (at most one per
/// `min_per_thread` elements), each on its own thread, and returns the sorted parts in order:
/// merged, they are `v` sorted (see [`merged`]).
pub(crate) fn sort_parts<T: Ord + Send>(v: &mut [T], min_per_thread: usize) -> Vec<&[T]> {
    let n = v.len();
    let parts = threads().min(n.div_ceil(min_per_thread.max(1))).max(1);
    if parts == 1 {
        v.sort_unstable();
        return vec![v];
    }
    let chunk = n.div_ceil(parts);
    std::thread::scope(|s| {
        let mut rest = v.chunks_mut(chunk);
        let first = rest.next();
        for part in rest {
            s.spawn(move || part.sort_unstable());
        }
        if let Some(first) = first {
            first.sort_unstable();
        }
    });
    v.chunks(chunk).collect()
}

/// The elements of the sorted `runs` in one sorted vector: merged two by two (equal elements
/// taken from the earlier run first), each merge a branch-light loop over two slices.
pub(crate) fn merge_runs<T: Ord + Copy>(runs: &[&[T]]) -> Vec<T> {
    match runs {
        [] => Vec::new(),
        [run] => run.to_vec(),
        _ => {
            let (left, right) = runs.split_at(runs.len() / 2);
            merge_two(&merge_runs(left), &merge_runs(right))
        }
    }
}

/// The sorted `a` and `b` merged (equal elements from `a` first).
fn merge_two<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        if y < x {
            out.push(*y);
            j += 1;
        } else {
            out.push(*x);
            i += 1;
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or_default());
    out.extend_from_slice(b.get(j..).unwrap_or_default());
    out
}

/// The elements of sorted `parts` in order: a k-way merge (equal elements taken from the
/// earlier part first).
pub(crate) fn merged<T: Ord>(mut parts: Vec<&[T]>) -> impl Iterator<Item = &T> {
    std::iter::from_fn(move || {
        let mut best: Option<usize> = None;
        for (j, part) in parts.iter().enumerate() {
            let Some(head) = part.first() else { continue };
            if best.is_none_or(|b| parts[b].first().is_some_and(|h| head < h)) {
                best = Some(j);
            }
        }
        let (head, rest) = parts.get(best?)?.split_first()?;
        if let Some(p) = best.and_then(|b| parts.get_mut(b)) {
            *p = rest;
        }
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_runs_are_the_sorted_elements() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 59) as u32
        };
        for k in 0..7 {
            let runs: Vec<Vec<(u32, usize)>> = (0..k)
                .map(|r| {
                    let mut run: Vec<(u32, usize)> =
                        (0..(r * 13) % 40).map(|_| (next(), r)).collect();
                    run.sort_unstable_by_key(|e| e.0);
                    run
                })
                .collect();
            let mut want: Vec<(u32, usize)> = runs.concat();
            // Stable: equal keys keep the order of their runs.
            want.sort_by_key(|e| e.0);
            let slices: Vec<&[(u32, usize)]> = runs.iter().map(Vec::as_slice).collect();
            let got: Vec<(u32, usize)> = merge_runs(&slices);
            assert_eq!(got, want);
        }
    }
}

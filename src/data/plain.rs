//! Plain summary files read on every core: text without quotes, with `\n` or `\r\n` line ends,
//! read in blocks of whole lines, each block cut at line ends into one chunk per core and the
//! chunks parsed at once, without a per-record allocation.
//!
//! A fast path beside the reader of [`super::table`], never a second set of rules: it reads
//! only what that reader reads the same way (the header through that reader, fields split at
//! the delimiter and trimmed, empty lines skipped) and gives exactly its rows; on anything else
//! (a quote, a bare `\r`, a blank first line, a line longer than [`MAX_RECORD_BYTES`], a row
//! with too few or too many fields, a value that does not parse or fails a check, a read
//! error) it gives up with `None`, and the caller reads the file again with that reader, whose
//! error names the line and the field.

use std::io::Read;

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::columns::{check_covariate, check_ids, find_id_column};
use super::compress::{FrequencyGroups, float_key};
use super::limits::{MAX_RECORD_BYTES, check_weight};
use super::rfm::SummaryColumns;
use super::table::{Column, Csv, plain_number};
use crate::data::RfmData;

/// Bytes read per block (more than a record may hold): whole lines of about this much text are
/// parsed at once.
const BLOCK_BYTES: usize = 8 << 20;

/// How a file is cut: bytes per block, chunks per block.
type Cuts = (usize, usize);

/// The cuts of the readers: [`BLOCK_BYTES`], one chunk per core.
fn default_cuts() -> Cuts {
    (BLOCK_BYTES, crate::parallel::threads())
}

/// Appends bytes of `reader` to `buf` until it holds `len` bytes or the input ends; whether it
/// ended. `None` when reading fails.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, len: usize) -> Option<bool> {
    let want = len.saturating_sub(buf.len());
    if want == 0 {
        return Some(false);
    }
    buf.reserve(want);
    let got = reader.take(want as u64).read_to_end(buf).ok()?;
    Some(got < want)
}

/// `text` (whole lines) cut at line ends into at most `parts` chunks of about equal length.
fn cut_at_lines(text: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    let mut rest = text;
    for left in (2..=parts).rev() {
        let at = rest.len() / left;
        let Some(p) = memchr::memchr(b'\n', rest.get(at..).unwrap_or_default()) else {
            break;
        };
        let (chunk, tail) = rest.split_at(at + p + 1);
        out.push(chunk);
        rest = tail;
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

/// Reads plain CSV text from `reader`: `header` makes the plan `H` of the first line (without
/// its line end), then the rest is read in blocks of whole lines (cut as `cuts` says), each
/// chunk parsed by `parse` on its own thread, and `sink` takes each block's chunk results, in
/// file order. `None` when the text is not plain (see the module docs), reading fails, or `header`
/// or `parse` gives `None`.
fn read_blocks<H: Sync, T: Send>(
    mut reader: impl Read,
    (block, parts): Cuts,
    header: impl FnOnce(&[u8]) -> Option<H>,
    parse: impl Fn(&H, &[u8]) -> Option<T> + Sync,
    mut sink: impl FnMut(Vec<T>),
) -> Option<H> {
    let block = block.max(1);
    let mut buf = Vec::new();
    let mut eof = fill(&mut reader, &mut buf, block)?;
    let end = loop {
        match memchr::memchr(b'\n', &buf) {
            Some(end) => break end,
            None if eof => break buf.len(),
            None if buf.len() > MAX_RECORD_BYTES => return None,
            None => {
                let more = buf.len() + block;
                eof = fill(&mut reader, &mut buf, more)?;
            }
        }
    };
    let line = buf.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.trim_ascii().is_empty()
        || line.len() > MAX_RECORD_BYTES
        || memchr::memchr2(b'"', b'\r', line).is_some()
    {
        return None;
    }
    let plan = header(line)?;
    let mut start = (end + 1).min(buf.len());
    loop {
        let end = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', buf.get(start..).unwrap_or_default()) {
                Some(p) => start + p + 1,
                None if buf.len() - start > MAX_RECORD_BYTES => return None,
                None => {
                    let more = buf.len() + block;
                    eof = fill(&mut reader, &mut buf, more)?;
                    continue;
                }
            }
        };
        let chunks = cut_at_lines(buf.get(start..end).unwrap_or_default(), parts.max(1));
        let results = crate::parallel::map_rows(chunks.len(), 1, |i| {
            chunks.get(i).and_then(|chunk| parse(&plan, chunk))
        });
        sink(results.into_iter().collect::<Option<Vec<T>>>()?);
        if eof {
            return Some(plan);
        }
        buf.drain(..end);
        start = 0;
        eof = fill(&mut reader, &mut buf, block)?;
    }
}

/// Calls `f` with the fields of each record of `chunk` (whole lines of plain text, fields
/// separated by `delimiter`), skipping empty lines, as long as it gives `Some`. `None` for a
/// quote, a bare `\r`, a line longer than [`MAX_RECORD_BYTES`], a record of other than
/// `width` fields, or when `f` gives `None`.
fn for_each_record<'a>(
    chunk: &'a [u8],
    delimiter: u8,
    width: usize,
    mut f: impl FnMut(&[&'a [u8]]) -> Option<()>,
) -> Option<()> {
    for at in memchr::memchr2_iter(b'"', b'\r', chunk) {
        if chunk.get(at) == Some(&b'"') || chunk.get(at + 1) != Some(&b'\n') {
            return None;
        }
    }
    let mut fields: Vec<&[u8]> = Vec::with_capacity(width);
    let mut from = 0;
    for end in memchr::memchr_iter(b'\n', chunk).chain([chunk.len()]) {
        let line = chunk.get(from..end).unwrap_or_default();
        from = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.len() > MAX_RECORD_BYTES {
            return None;
        }
        fields.clear();
        fields.extend(line.split(|&b| b == delimiter));
        if fields.len() != width {
            return None;
        }
        f(&fields)?;
    }
    Some(())
}

/// The columns of a summary file read by the plain path, found in its header as
/// [`RfmData::from_csv_reader_with_covariates`] finds them.
struct Plan {
    width: usize,
    /// Whether rows are hashed and spread over the partitions of a [`Merger`].
    hash: bool,
    /// Whether the rows are kept column by column (not only merged).
    keep: bool,
    /// Whether each row's hash is kept (for the index of a [`Merger`] that has one).
    index: bool,
    columns: SummaryColumns,
    id: Option<Column>,
    covariates: Vec<Column>,
}

impl Plan {
    /// The plan of the header `line`; `None` where the reader of [`super::table`] errs.
    fn new(line: &[u8], covariates: &[&str]) -> Option<Self> {
        let csv = Csv::new(line, b',', "frequency,recency,T").ok()?;
        Some(Plan {
            width: csv.width(),
            hash: false,
            keep: true,
            index: false,
            columns: SummaryColumns::find(&csv, true).ok()?,
            id: find_id_column(&csv).ok()?,
            covariates: covariates
                .iter()
                .map(|name| csv.require(&[name]))
                .collect::<crate::Result<_>>()
                .ok()?,
        })
    }
}

/// The rows of a chunk, column by column.
#[derive(Default)]
struct Rows {
    /// How many rows were read.
    n: usize,
    x: Vec<f64>,
    t_x: Vec<f64>,
    t: Vec<f64>,
    m: Vec<f64>,
    w: Vec<f64>,
    ids: Vec<String>,
    z: Vec<Vec<f64>>,
    /// Per kept row, the hash of its `(x, t_x, T)` (when merged, see [`Merger`]).
    h: Vec<u64>,
    /// Per partition of a [`Merger`], its rows (when merged), in file order.
    spread: Vec<Vec<Keyed>>,
}

/// A row as it is merged: `(x, t_x, T)`, weight and hash.
#[derive(Clone, Copy)]
struct Keyed {
    row: [f64; 3],
    w: f64,
    h: u64,
}

impl Rows {
    /// The rows of `chunk` read and checked through `plan`.
    fn read(plan: &Plan, chunk: &[u8]) -> Option<Rows> {
        // At most one row per line: room for them all, so that no column grows by copying.
        let lines = memchr::memchr_iter(b'\n', chunk).count() + 1;
        let n = if plan.keep { lines } else { 0 };
        let column = || Vec::with_capacity(n);
        let mut rows = Rows {
            n: 0,
            x: column(),
            t_x: column(),
            t: column(),
            m: if plan.columns.monetary.is_some() {
                column()
            } else {
                Vec::new()
            },
            w: column(),
            ids: Vec::with_capacity(if plan.id.is_some() { n } else { 0 }),
            z: plan.covariates.iter().map(|_| column()).collect(),
            h: Vec::with_capacity(if plan.index { lines } else { 0 }),
            spread: if plan.hash {
                let share = lines / PARTITIONS + lines / (4 * PARTITIONS) + 16;
                (0..PARTITIONS).map(|_| Vec::with_capacity(share)).collect()
            } else {
                Vec::new()
            },
        };
        for_each_record(chunk, b',', plan.width, |fields| {
            let (x, t_x, t, m, w) = plan.columns.read_plain(fields)?;
            rows.n += 1;
            if plan.hash {
                let row = [x, t_x, t];
                // (A tuple's words are hashed one by one; an array's as bytes, more slowly.)
                let [a, b, c] = row_key(&row);
                let h = foldhash::fast::FixedState::default().hash_one((a, b, c));
                rows.spread.get_mut(partition(h))?.push(Keyed { row, w, h });
                if plan.index {
                    rows.h.push(h);
                }
            }
            if !plan.keep {
                return Some(());
            }
            rows.x.push(x);
            rows.t_x.push(t_x);
            rows.t.push(t);
            if let Some(m) = m {
                rows.m.push(m);
            }
            rows.w.push(w);
            let field = |c: &Column| fields.get(c.index).copied().unwrap_or_default();
            if let Some(c) = &plan.id {
                let id = std::str::from_utf8(field(c).trim_ascii()).ok()?;
                rows.ids.push(id.to_string());
            }
            for (c, z) in plan.covariates.iter().zip(&mut rows.z) {
                let v = plain_number(field(c))?;
                z.push(check_covariate(0, &c.name, v).ok()?);
            }
            Some(())
        })?;
        Some(rows)
    }

    /// The rows of `parts`, one after another (each part freed once copied).
    fn concat(parts: Vec<Rows>) -> Rows {
        let total = |column: fn(&Rows) -> usize| parts.iter().map(column).sum::<usize>();
        let (n, n_m, n_ids) = (
            total(|p| p.x.len()),
            total(|p| p.m.len()),
            total(|p| p.ids.len()),
        );
        let width = parts.first().map_or(0, |p| p.z.len());
        let mut out = Rows {
            n,
            x: Vec::with_capacity(n),
            t_x: Vec::with_capacity(n),
            t: Vec::with_capacity(n),
            m: Vec::with_capacity(n_m),
            w: Vec::with_capacity(n),
            ids: Vec::with_capacity(n_ids),
            z: (0..width).map(|_| Vec::with_capacity(n)).collect(),
            h: Vec::new(),
            spread: Vec::new(),
        };
        for p in parts {
            out.x.extend_from_slice(&p.x);
            out.t_x.extend_from_slice(&p.t_x);
            out.t.extend_from_slice(&p.t);
            out.m.extend_from_slice(&p.m);
            out.w.extend_from_slice(&p.w);
            out.ids.extend(p.ids);
            for (z, c) in out.z.iter_mut().zip(&p.z) {
                z.extend_from_slice(c);
            }
        }
        out
    }
}

/// The key of a row.
fn row_key(r: &[f64; 3]) -> [u64; 3] {
    r.map(float_key)
}

/// The distinct `(x, t_x, T)` rows of one partition of the keys, with their summed weights.
#[derive(Default)]
struct Partition {
    /// Indices into `rows`, by the hash of their key (`foldhash`: fast, not built against
    /// chosen collisions, which a table of customers does not need).
    table: HashTable<u32>,
    rows: Vec<[f64; 3]>,
    hashes: Vec<u64>,
    w: Vec<f64>,
    /// Per row of the block being merged that falls in this partition, its distinct row.
    found: Vec<u32>,
}

impl Partition {
    /// Merges the rows of `chunks` that fall in partition `p`, in file order.
    fn merge(&mut self, chunks: &[Rows], p: usize) {
        self.found.clear();
        let mine = || {
            chunks
                .iter()
                .flat_map(|rows| rows.spread.get(p).into_iter().flatten())
        };
        // Room for all of them: the table is not rebuilt as it grows.
        let hashes = &self.hashes;
        self.table.reserve(mine().count(), |&k| {
            hashes.get(k as usize).copied().unwrap_or_default()
        });
        let Self {
            table,
            rows: distinct,
            hashes,
            w: sums,
            found,
        } = self;
        for &Keyed { row, w, h } in mine() {
            let key = row_key(&row);
            let k = *table
                .entry(
                    h,
                    |&k| distinct.get(k as usize).is_some_and(|r| row_key(r) == key),
                    |&k| hashes.get(k as usize).copied().unwrap_or_default(),
                )
                .or_insert_with(|| {
                    distinct.push(row);
                    hashes.push(h);
                    sums.push(0.0);
                    (distinct.len() - 1) as u32
                })
                .get();
            // Summed in file order, as the reader of the stream sums them.
            if let Some(s) = sums.get_mut(k as usize) {
                *s += w;
            }
            found.push(k);
        }
    }
}

/// Partitions of the distinct rows of a [`Merger`]: small tables, each merged within a core's
/// cache, and evenly shared by the threads.
const PARTITIONS: usize = 64;

/// The partition of a row's hash (bits the table of a partition does not use: its low ones,
/// and the top seven that tag its entries).
fn partition(h: u64) -> usize {
    ((h >> 32) as usize) % PARTITIONS
}

/// The distinct `(x, t_x, T)` rows of a file, merged block by block as it is read: rows are
/// spread over [`PARTITIONS`] partitions by the hash of their key as they are read, and the
/// partitions merged on `threads` threads.
struct Merger {
    parts: Vec<Partition>,
    threads: usize,
    /// Per row merged so far, when kept: its partition and its distinct row there.
    index: Option<Vec<(u32, u32)>>,
}

impl Merger {
    fn new(threads: usize, index: bool) -> Self {
        Merger {
            parts: (0..PARTITIONS).map(|_| Partition::default()).collect(),
            threads: threads.max(1),
            index: index.then(Vec::new),
        }
    }

    /// Merges the rows of a block's `chunks`.
    fn add(&mut self, chunks: &[Rows]) {
        let share = PARTITIONS.div_ceil(self.threads);
        std::thread::scope(|s| {
            let mut groups = self.parts.chunks_mut(share).enumerate();
            let first = groups.next();
            let merge = move |(g, parts): (usize, &mut [Partition])| {
                for (j, part) in parts.iter_mut().enumerate() {
                    part.merge(chunks, g * share + j);
                }
            };
            for group in groups {
                s.spawn(move || merge(group));
            }
            if let Some(group) = first {
                merge(group);
            }
        });
        if let Some(index) = &mut self.index {
            let mut next = vec![0; PARTITIONS];
            for &h in chunks.iter().flat_map(|rows| &rows.h) {
                let p = partition(h);
                let k = self.parts[p]
                    .found
                    .get(next[p])
                    .copied()
                    .unwrap_or_default();
                next[p] += 1;
                index.push((p as u32, k));
            }
        }
    }

    /// Per distinct row in key order (the order of `RfmData::compress`), its key, partition and
    /// row there: each partition sorted within a core's cache, the sorted partitions of each
    /// thread merged there, then the threads' runs merged.
    fn key_order(&self) -> Vec<Ordered> {
        let share = PARTITIONS.div_ceil(self.threads);
        let runs = crate::parallel::map_rows(PARTITIONS.div_ceil(share), 1, |g| {
            let sorted = (g * share..((g + 1) * share).min(PARTITIONS)).map(|p| {
                let rows = self.parts.get(p).map_or(&[][..], |part| &part.rows);
                let mut run: Vec<Ordered> = rows
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        let [a, b, c] = row_key(r);
                        ((a, b, c), p as u32, k as u32)
                    })
                    .collect();
                run.sort_unstable();
                run
            });
            let sorted: Vec<Vec<Ordered>> = sorted.collect();
            crate::parallel::merge_runs(&sorted.iter().map(Vec::as_slice).collect::<Vec<_>>())
        });
        crate::parallel::merge_runs(&runs.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    /// The distinct rows `(x, t_x, T)` and their weights in key order: as
    /// [`Merger::columns`] of [`Merger::key_order`], faster where [`Merger::ranked_order`] can.
    fn sorted_columns(&self) -> Option<Columns> {
        match self.ranked_order(|_, _, w| w.to_bits()) {
            Some((x, t_x, t, w)) => Some((x, t_x, t, w.into_iter().map(f64::from_bits).collect())),
            None => self.columns(&self.key_order()),
        }
    }

    /// The distinct rows `(x, t_x, T)` in key order with a word `payload(p, k, w)` of each
    /// (partition, row there, weight): by a radix sort of one word per row, the ranks of the
    /// row's values among the distinct values of their columns (the order of the ranks is the
    /// order of the values: they are `>= 0`, without `-0`). `None` where the ranks do not fit in
    /// one word.
    fn ranked_order(&self, payload: impl Fn(usize, usize, f64) -> u64) -> Option<Columns<u64>> {
        let column = |c: usize| -> Vec<f64> {
            self.parts
                .iter()
                .flat_map(|p| p.rows.iter().filter_map(move |r| r.get(c).copied()))
                .collect()
        };
        let w: Vec<f64> = self
            .parts
            .iter()
            .flat_map(|p| p.w.iter().copied())
            .collect();
        let groups = crate::parallel::map_rows(3, 1, |c| FrequencyGroups::new(&column(c), &w));
        let [g0, g1, g2] = groups.as_slice() else {
            return None;
        };
        let (b0, b1, b2) = (
            bits_of(&g0.values),
            bits_of(&g1.values),
            bits_of(&g2.values),
        );
        if b0 + b1 + b2 > u64::BITS {
            return None;
        }
        let shl = |v: u32, by: u32| u64::from(v).checked_shl(by).unwrap_or(0);
        let rows = self
            .parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| (0..part.rows.len()).map(move |k| (p, k)));
        let mut keyed: Vec<(u64, u64)> = g0
            .index
            .iter()
            .zip(&g1.index)
            .zip(&g2.index)
            .zip(rows.zip(&w))
            .map(|(((&r0, &r1), &r2), ((p, k), &w))| {
                (
                    shl(r0, b1 + b2) | shl(r1, b2) | u64::from(r2),
                    payload(p, k, w),
                )
            })
            .collect();
        radix_sort(&mut keyed, b0 + b1 + b2);
        // The value whose rank is held in the bits of `key` from `by` on.
        let value = |key: u64, by: u32, values: &[f64]| -> Option<f64> {
            let mask = 1u64
                .checked_shl(bits_of(values))
                .map_or(u64::MAX, |m| m - 1);
            let r = key.checked_shr(by).unwrap_or(0) & mask;
            values.get(usize::try_from(r).ok()?).copied()
        };
        columns_of(
            keyed.len(),
            keyed.iter().map(|&(key, word)| {
                Some((
                    value(key, b1 + b2, &g0.values)?,
                    value(key, b2, &g1.values)?,
                    value(key, 0, &g2.values)?,
                    word,
                ))
            }),
        )
    }

    /// The distinct rows `(x, t_x, T)` and their weights in `order` (from [`Merger::key_order`]).
    fn columns(&self, order: &[Ordered]) -> Option<Columns> {
        columns_of(
            order.len(),
            order.iter().map(|&((a, b, c), p, k)| {
                let w = *self.parts.get(p as usize)?.w.get(k as usize)?;
                Some((key_float(a), key_float(b), key_float(c), w))
            }),
        )
    }
}

/// The columns `x`, `t_x`, `T` and weights (or another word per row) of distinct rows.
pub(super) type Columns<W = f64> = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<W>);

/// The columns of `n` rows given one by one; `None` if a row is `None`.
pub(super) fn columns_of<W>(
    n: usize,
    rows: impl Iterator<Item = Option<(f64, f64, f64, W)>>,
) -> Option<Columns<W>> {
    let mut out: Columns<W> = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for row in rows {
        let (x, t_x, t, w) = row?;
        out.0.push(x);
        out.1.push(t_x);
        out.2.push(t);
        out.3.push(w);
    }
    Some(out)
}

/// A distinct row's key (as a tuple: compared inline), partition and row there.
type Ordered = ((u64, u64, u64), u32, u32);

/// Sorts `v` by its keys of `bits` bits (least significant digit first, 11 bits a pass:
/// linear in the rows, and stable).
fn radix_sort(v: &mut Vec<(u64, u64)>, bits: u32) {
    const DIGIT: u32 = 11;
    const MASK: u64 = (1 << DIGIT) - 1;
    let mut out = vec![(0, 0); v.len()];
    let mut counts = vec![0usize; 1 << DIGIT];
    let mut shift = 0;
    while shift < bits {
        let digit = |key: u64| ((key >> shift) & MASK) as usize;
        counts.fill(0);
        for &(key, _) in v.iter() {
            counts[digit(key)] += 1;
        }
        let mut start = 0;
        for c in counts.iter_mut() {
            (*c, start) = (start, start + *c);
        }
        for &row in v.iter() {
            let at = &mut counts[digit(row.0)];
            out[*at] = row;
            *at += 1;
        }
        std::mem::swap(v, &mut out);
        shift += DIGIT;
    }
}

/// Bits that hold the ranks of `values` (`0..len`).
fn bits_of(values: &[f64]) -> u32 {
    u64::BITS - (values.len().saturating_sub(1) as u64).leading_zeros()
}

/// The value of a [`float_key`] (of a value other than `-0`).
fn key_float(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

/// As [`RfmData::from_plain_csv_reader`] with the cuts `cuts`.
fn read_rows(reader: impl Read, covariates: &[&str], cuts: Cuts) -> Option<RfmData> {
    let mut parts = Vec::new();
    let plan = read_blocks(
        reader,
        cuts,
        |line| Plan::new(line, covariates),
        Rows::read,
        |rows| parts.extend(rows),
    )?;
    rows_data(&plan, Rows::concat(parts), covariates)
}

/// The data of the `rows` read through `plan`: `None` without rows, or for repeated or blank
/// ids, as [`RfmData::from_csv_reader_with_covariates`] refuses them.
fn rows_data(plan: &Plan, rows: Rows, covariates: &[&str]) -> Option<RfmData> {
    if rows.x.is_empty() {
        return None;
    }
    let ids = match &plan.id {
        Some(c) => {
            check_ids(&rows.ids, |i| i + 1, &c.name).ok()?;
            Some(rows.ids)
        }
        None => None,
    };
    let monetary = plan.columns.monetary.as_ref().map(|_| rows.m);
    let data = RfmData::from_checked(rows.x, rows.t_x, rows.t, monetary, rows.w, ids);
    if covariates.is_empty() {
        return Some(data);
    }
    let names = covariates.iter().map(|s| s.to_string()).collect();
    data.with_covariates(names, rows.z).ok()
}

/// The rows of a plain file without an id column merged as they are read, not kept, with each
/// row's place among the distinct rows where `index`; `None` where the readers give up (see the
/// module docs), for a file with ids, or without rows.
fn merged_without_ids(reader: impl Read, cuts: Cuts, index: bool) -> Option<Merger> {
    let mut merger = Merger::new(cuts.1, index);
    let mut any = false;
    read_blocks(
        reader,
        cuts,
        |line| {
            let plan = Plan::new(line, &[])?;
            plan.id.is_none().then_some(Plan {
                hash: true,
                keep: false,
                index,
                ..plan
            })
        },
        Rows::read,
        |chunks| {
            any |= chunks.iter().any(|r| r.n > 0);
            merger.add(&chunks);
        },
    )?;
    any.then_some(merger)
}

/// As [`RfmData::from_plain_csv_reader_distinct`] with the cuts `cuts`.
fn read_distinct(reader: impl Read, cuts: Cuts) -> Option<RfmData> {
    let merger = merged_without_ids(reader, cuts, false)?;
    // Checked rows, distinct and in key order: what `compress` gives of them, once the summed
    // weights pass the check of a weight.
    let (x, t_x, t, w) = merger.sorted_columns()?;
    if w.iter().any(|&v| check_weight(0, "weight", v).is_err()) {
        return None;
    }
    Some(RfmData::from_checked(x, t_x, t, None, w, None))
}

/// As [`RfmData::from_plain_csv_reader_indexed`] with the cuts `cuts`.
fn read_indexed(reader: impl Read, cuts: Cuts) -> Option<(RfmData, Vec<usize>)> {
    let merger = merged_without_ids(reader, cuts, true)?;
    // As `distinct_customers` gives them, once the summed weights pass the check of a weight.
    let (distinct, index) = distinct_in_order(merger)?;
    if distinct
        .weights()
        .iter()
        .any(|&v| check_weight(0, "weight", v).is_err())
    {
        return None;
    }
    Some((distinct, index))
}

/// As [`RfmData::from_plain_csv_reader_grouped`] with the cuts `cuts`.
fn read_grouped(reader: impl Read, cuts: Cuts) -> Option<(RfmData, (RfmData, Vec<usize>))> {
    let mut merger = Merger::new(cuts.1, true);
    let mut parts = Vec::new();
    let plan = read_blocks(
        reader,
        cuts,
        |line| {
            Some(Plan {
                hash: true,
                index: true,
                ..Plan::new(line, &[])?
            })
        },
        Rows::read,
        |chunks| {
            merger.add(&chunks);
            parts.extend(chunks);
        },
    )?;
    // The rows joined on one thread while the distinct rows are put in order on this one.
    std::thread::scope(|scope| {
        let joined = scope.spawn(|| rows_data(&plan, Rows::concat(parts), &[]));
        let grouped = distinct_in_order(merger);
        let data = joined.join().ok()??;
        Some((data, grouped?))
    })
}

/// The distinct rows of `merger` in key order, as `RfmData::distinct_customers` gives them,
/// with each input row's index among them.
fn distinct_in_order(merger: Merger) -> Option<(RfmData, Vec<usize>)> {
    let mut rank: Vec<Vec<usize>> = merger.parts.iter().map(|p| vec![0; p.rows.len()]).collect();
    let (x, t_x, t, w) = match merger.ranked_order(|p, k, _| ((p as u64) << 32) | k as u64) {
        Some((x, t_x, t, rows)) => {
            let mut w = Vec::with_capacity(rows.len());
            for (r, &row) in rows.iter().enumerate() {
                let (p, k) = ((row >> 32) as usize, (row & u64::from(u32::MAX)) as usize);
                w.push(*merger.parts.get(p)?.w.get(k)?);
                *rank.get_mut(p)?.get_mut(k)? = r;
            }
            (x, t_x, t, w)
        }
        None => {
            let order = merger.key_order();
            for (r, &(_, p, k)) in order.iter().enumerate() {
                *rank.get_mut(p as usize)?.get_mut(k as usize)? = r;
            }
            merger.columns(&order)?
        }
    };
    let index = merger
        .index
        .unwrap_or_default()
        .iter()
        .map(|&(p, k)| {
            rank.get(p as usize)
                .and_then(|r| r.get(k as usize))
                .copied()
        })
        .collect::<Option<Vec<usize>>>()?;
    let distinct = RfmData::from_checked(x, t_x, t, None, w, None);
    Some((distinct, index))
}

impl RfmData {
    /// [`RfmData::from_csv_reader_with_covariates`] of *plain* CSV text, parsed on every core:
    /// the text is read in blocks of whole lines, each cut at line ends into one chunk per core,
    /// and the chunks parsed at once, without allocating per record (but for customer ids).
    /// Plain text has no quotes, `\n` or `\r\n` line ends, a header on its first line, and
    /// every row well formed and valid. For any other text — or any error — this gives `None`:
    /// read it with [`RfmData::from_csv_reader_with_covariates`] then, which names the line and
    /// the field at fault. When it gives `Some`, the data are exactly what that reader gives.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "customer_id,frequency,recency,T\r\na,2,30.43,38.86\r\nb,0,0,38.86\r\n";
    /// let data = RfmData::from_plain_csv_reader(csv.as_bytes(), &[]).expect("plain");
    /// assert_eq!(data, RfmData::from_csv_reader(csv.as_bytes())?);
    /// // a quote, or an error: read with `from_csv_reader`, which names the place
    /// assert!(RfmData::from_plain_csv_reader("frequency,recency,T\n\"1\",2,3\n".as_bytes(), &[]).is_none());
    /// let bad = "frequency,recency,T\n1,2,3\n1,x,3\n";
    /// assert!(RfmData::from_plain_csv_reader(bad.as_bytes(), &[]).is_none());
    /// let err = RfmData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `recency`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn from_plain_csv_reader(reader: impl Read, covariates: &[&str]) -> Option<Self> {
        read_rows(reader, covariates, default_cuts())
    }

    /// [`RfmData::from_csv_reader_distinct`] of *plain* CSV text (see
    /// [`RfmData::from_plain_csv_reader`]), parsed on every core, each chunk merged into its
    /// distinct `(x, t_x, T)` rows by hashing as it is read: memory follows the distinct rows
    /// (and one block of text). `None` for text that is not plain, with an error, or with
    /// customer ids (as [`RfmData::from_csv_reader_distinct`]): read it with that then. When it
    /// gives `Some`, the data are exactly what that reader gives.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "frequency,recency,T\n2,30,38\n0,0,38\n2,30,38\n";
    /// let d = RfmData::from_plain_csv_reader_distinct(csv.as_bytes()).expect("plain");
    /// assert_eq!(d.weights(), &[1.0, 2.0]);
    /// assert_eq!(Some(d), RfmData::from_csv_reader_distinct(csv.as_bytes())?);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn from_plain_csv_reader_distinct(reader: impl Read) -> Option<Self> {
        read_distinct(reader, default_cuts())
    }

    /// [`RfmData::from_plain_csv_reader`] (without covariates) together with the
    /// [`RfmData::distinct_customers`] of the data, merged by hashing on every core as the
    /// blocks are read instead of by sorting the rows afterwards: what a batch prediction over
    /// the rows of a file computes on. `None` as for [`RfmData::from_plain_csv_reader`].
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "id,frequency,recency,T\na,2,30,38\nb,0,0,38\nc,2,30,38\n";
    /// let (data, (distinct, index)) = RfmData::from_plain_csv_reader_grouped(csv.as_bytes())
    ///     .expect("plain");
    /// assert_eq!(data, RfmData::from_csv_reader(csv.as_bytes())?);
    /// assert_eq!(distinct.weights(), &[1.0, 2.0]);
    /// assert_eq!(index, [1, 0, 1]);
    /// assert_eq!((distinct, index), data.distinct_customers());
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn from_plain_csv_reader_grouped(reader: impl Read) -> Option<(Self, (Self, Vec<usize>))> {
        read_grouped(reader, default_cuts())
    }

    /// The [`RfmData::distinct_customers`] of a plain file without an id column, merged by
    /// hashing on every core as the blocks are read, without keeping the rows themselves: what
    /// a batch prediction written row by row needs (memory follows the distinct rows and one
    /// index per row). The same as [`RfmData::from_plain_csv_reader_grouped`] gives; `None` as
    /// for [`RfmData::from_plain_csv_reader`], and for a file with customer ids or without rows.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "frequency,recency,T\n2,30,38\n0,0,38\n2,30,38\n";
    /// let (distinct, index) = RfmData::from_plain_csv_reader_indexed(csv.as_bytes())
    ///     .expect("plain");
    /// assert_eq!(distinct.weights(), &[1.0, 2.0]);
    /// assert_eq!(index, [1, 0, 1]);
    /// assert_eq!((distinct, index), RfmData::from_csv_reader(csv.as_bytes())?.distinct_customers());
    /// let with_ids = "id,frequency,recency,T\na,2,30,38\n";
    /// assert!(RfmData::from_plain_csv_reader_indexed(with_ids.as_bytes()).is_none());
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn from_plain_csv_reader_indexed(reader: impl Read) -> Option<(Self, Vec<usize>)> {
        read_indexed(reader, default_cuts())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cut of `text` into blocks and chunks reads as the reader of [`super::super::table`]
    /// reads it, or gives up where it errs.
    fn same_as_the_reader(text: &str) {
        let want = RfmData::from_csv_reader(text.as_bytes()).ok();
        let distinct = RfmData::from_csv_reader_distinct(text.as_bytes())
            .ok()
            .flatten();
        for block in [1, 2, 3, 5, 8, 13, 64, 1 << 20] {
            for parts in [1, 2, 3, 4, 7] {
                let got = read_rows(text.as_bytes(), &[], (block, parts));
                if let Some(got) = &got {
                    assert_eq!(Some(got), want.as_ref(), "{text:?} {block} {parts}");
                }
                let grouped = read_grouped(text.as_bytes(), (block, parts));
                assert_eq!(grouped.is_some(), got.is_some(), "{text:?} {block} {parts}");
                if let Some((data, grouped)) = grouped {
                    assert_eq!(Some(&data), want.as_ref(), "{text:?} {block} {parts}");
                    assert_eq!(
                        grouped,
                        data.distinct_customers(),
                        "{text:?} {block} {parts}"
                    );
                }
                let got = read_distinct(text.as_bytes(), (block, parts));
                if let Some(got) = got {
                    assert_eq!(Some(&got), distinct.as_ref(), "{text:?} {block} {parts}");
                }
                // The distinct rows and index alone: those of the rows, where the rows have no
                // ids.
                let indexed = read_indexed(text.as_bytes(), (block, parts));
                if let Some(indexed) = indexed {
                    let data = want.as_ref().expect("read where the reader reads it");
                    assert!(data.ids().is_none(), "{text:?}");
                    assert_eq!(
                        indexed,
                        data.distinct_customers(),
                        "{text:?} {block} {parts}"
                    );
                } else if let Some(data) = want.as_ref().filter(|d| d.ids().is_none()) {
                    // Given up only where the grouped reader gives up too, or for want of rows
                    // or of summed weights that pass the check of a weight.
                    let grouped = read_grouped(text.as_bytes(), (block, parts));
                    let summed = data.distinct_customers().0;
                    let heavy = summed
                        .weights()
                        .iter()
                        .any(|&v| check_weight(0, "w", v).is_err());
                    assert!(
                        grouped.is_none() || data.is_empty() || heavy,
                        "{text:?} {block} {parts}"
                    );
                }
            }
        }
    }

    /// The distinct rows sorted by their packed ranks are the rows sorted by their keys, with
    /// few and with many distinct values per column (radix passes of every length).
    #[test]
    fn rows_sorted_by_ranks_are_rows_sorted_by_keys() {
        let mut state = 0x1234_5678_9abc_def1_u64;
        for (rows, values) in [
            (1, 1),
            (50, 3),
            (5000, 40),
            (60_000, 3000),
            (60_000, 60_000),
        ] {
            let mut text = String::from("frequency,recency,T,weight\n");
            for _ in 0..rows {
                let mut next = || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % values
                };
                let (x, t) = (next() % 9, 1.0 + next() as f64 / 7.0);
                let t_x = if x == 0 {
                    0.0
                } else {
                    t * (1 + next()) as f64 / (values + 1) as f64
                };
                let w = 0.5 + (next() % 4) as f64;
                text.push_str(&format!("{x},{t_x},{t},{w}\n"));
            }
            let mut merger = Merger::new(2, false);
            read_blocks(
                text.as_bytes(),
                (1 << 16, 2),
                |line| {
                    Some(Plan {
                        hash: true,
                        keep: false,
                        ..Plan::new(line, &[])?
                    })
                },
                Rows::read,
                |chunks| merger.add(&chunks),
            )
            .expect("plain");
            let by_keys = merger.columns(&merger.key_order());
            assert_eq!(merger.sorted_columns(), by_keys, "{rows} {values}");
            assert!(by_keys.is_some_and(|(x, ..)| !x.is_empty()));
        }
    }

    #[test]
    fn plain_text_is_read_as_the_reader_reads_it() {
        for text in [
            "frequency,recency,T\n1,2,3\n0,0,5\n1,2,3\n",
            "frequency,recency,T\r\n1,2,3\r\n0,0,5\r\n1,2,3",
            "\u{feff}frequency , recency,T\n 1 ,2, 3\n\n\n0,0,5\n\r\n",
            "id,frequency,recency,T,weight\na,1,2,3,0.5\nb,0,0,5,2\n",
            "frequency,recency,T,weight\n1,2,3,0.1\n1,2,3,0.2\n1,2,3,0.3\n0,0,5,0.7\n",
            "frequency,recency,T,monetary_value\n1,2,3,4.5\n0,0,3,0\n",
            "x,frequency,recency,T\n\u{1},1,2,3\n\u{ff},0,0,1e-300\n",
            "frequency,recency,T\n-0,0,5\n0,-0.0,5\n1.0,2.5e0,3\n",
        ] {
            same_as_the_reader(text);
        }
    }

    #[test]
    fn what_the_reader_refuses_or_reads_otherwise_is_left_to_it() {
        for text in [
            "frequency,recency,T\n\"1\",2,3\n",
            "frequency,recency,T\r1,2,3\r",
            "frequency,recency,T\n1,2,3\r0,0,4\n",
            "\nfrequency,recency,T\n1,2,3\n",
            "frequency,recency,T\n1,2\n",
            "frequency,recency,T\n1,2,3,4\n",
            "frequency,recency,T\n1,2,3\n1.5,2,3\n",
            "frequency,recency,T\n1,2,3\n1,x,3\n",
            "frequency,recency,T\n1,2,3\n1,4,3\n",
            "frequency,recency,T\n",
            "frequency,recency,T",
            "frequency,recency\n1,2\n",
            "id,frequency,recency,T\na,1,2,3\na,1,2,3\n",
            "id,frequency,recency,T\n ,1,2,3\n",
            "frequency,frequency,recency,T\n1,1,2,3\n",
            "frequency,recency,T\n1,2,3\n   \n",
            "frequency,recency,T,weight\n1,2,3,0\n",
        ] {
            assert!(
                read_rows(text.as_bytes(), &[], (4, 2)).is_none(),
                "{text:?}"
            );
            assert!(
                read_rows(text.as_bytes(), &[], default_cuts()).is_none(),
                "{text:?}"
            );
            assert!(
                read_distinct(text.as_bytes(), default_cuts()).is_none(),
                "{text:?}"
            );
            same_as_the_reader(text);
        }
    }

    #[test]
    fn an_error_in_any_chunk_or_block_gives_up() {
        let mut text = String::from("frequency,recency,T\n");
        for i in 0..200 {
            text.push_str(&format!("{},{}.5,{}\n", 1 + i % 7, i % 7, 10 + i % 13));
        }
        let good = RfmData::from_csv_reader(text.as_bytes()).unwrap();
        for cuts in [(64, 2), (100, 3), (1 << 20, 2), (1 << 20, 5)] {
            assert_eq!(read_rows(text.as_bytes(), &[], cuts).as_ref(), Some(&good));
        }
        // a bad row at each place: first, straddling a cut, last
        for row in [0, 50, 99, 100, 101, 150, 199] {
            let mut lines: Vec<&str> = text.lines().collect();
            lines[row + 1] = "1,x,3";
            let bad = lines.join("\n");
            for cuts in [(64, 2), (100, 3), (1 << 20, 2), (1 << 20, 5)] {
                assert!(
                    read_rows(bad.as_bytes(), &[], cuts).is_none(),
                    "{row} {cuts:?}"
                );
                assert!(
                    read_distinct(bad.as_bytes(), cuts).is_none(),
                    "{row} {cuts:?}"
                );
            }
        }
    }

    #[test]
    fn covariates_are_read_as_the_reader_reads_them() {
        let text = "customer_id,frequency,recency,T,age,urban\na,2,30,38,31,1\nb,0,0,38,58,0\n";
        let want = RfmData::from_csv_reader_with_covariates(text.as_bytes(), &["urban", "age"]);
        for cuts in [(3, 2), (1 << 20, 2)] {
            let got = read_rows(text.as_bytes(), &["urban", "age"], cuts);
            assert_eq!(got.as_ref(), want.as_ref().ok());
        }
        let bad = "frequency,recency,T,age\n2,30,38,31\n0,0,38,inf\n";
        assert!(read_rows(bad.as_bytes(), &["age"], (4, 2)).is_none());
        assert!(read_rows(text.as_bytes(), &["income"], (4, 2)).is_none());
    }

    #[test]
    fn a_line_longer_than_a_record_gives_up() {
        let mut text = String::from("frequency,recency,T,note\n1,2,3,");
        text.push_str(&"a".repeat(MAX_RECORD_BYTES + 1));
        text.push_str("\n0,0,3,b\n");
        assert!(read_rows(text.as_bytes(), &[], (1 << 16, 2)).is_none());
        assert!(read_rows(text.as_bytes(), &[], default_cuts()).is_none());
        let long_ok = format!(
            "frequency,recency,T,note\n1,2,3,{}\n0,0,3,b\n",
            "a".repeat(MAX_RECORD_BYTES / 2)
        );
        assert_eq!(
            read_rows(long_ok.as_bytes(), &[], (1 << 16, 2)),
            RfmData::from_csv_reader(long_ok.as_bytes()).ok()
        );
    }

    #[test]
    fn chunks_are_cut_at_line_ends() {
        let text = b"a\nbb\nccc\ndddd\n";
        for parts in 1..8 {
            let chunks = cut_at_lines(text, parts);
            assert!(chunks.len() <= parts);
            assert_eq!(chunks.concat(), text);
            assert!(chunks.iter().all(|c| c.ends_with(b"\n")));
        }
    }
}

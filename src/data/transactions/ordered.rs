//! Summarising a log while it is read: per customer only what the summary needs, when each
//! customer's transactions come in time order.
//!
//! The reading thread parses the rows and hashes each customer id; the transactions go, in
//! chunks, to one of [`PARTS`] partitions by their hash, and a second thread folds each
//! partition's transactions (in their order in the log) into its own table of customers.
//! A partition's table is small enough to stay in the cache, which a table of millions of
//! customers is not, and reading overlaps folding.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::periods::Periods;
use super::read::TransactionReader;
use super::summary::Summary;
use crate::data::RfmData;
use crate::data::limits::MAX_TIME;
use crate::error::{Error, Result};

/// Partitions of the customers, by hash.
const PARTS: usize = 64;

/// Transactions per chunk handed from the reading thread to the folding one.
const CHUNK: usize = 1 << 16;

/// The partition of a hash: bits that neither the bucket (low bits) nor the tag (top 7 bits)
/// of a partition's table uses.
fn part_of(hash: u64) -> usize {
    ((hash >> 40) as usize) & (PARTS - 1)
}

/// One transaction on its way to its partition.
struct Transaction {
    hash: u64,
    /// Its number in the log, from 0.
    seq: u64,
    period: i64,
    amount: f64,
    /// Where its customer id lies in [`Chunk::ids`].
    id: (usize, usize),
}

/// Consecutive transactions of the log, by partition, in log order within each.
struct Chunk {
    parts: Vec<Vec<Transaction>>,
    ids: Vec<u8>,
    len: usize,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            parts: (0..PARTS).map(|_| Vec::new()).collect(),
            ids: Vec::new(),
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.parts.iter_mut().for_each(Vec::clear);
        self.ids.clear();
        self.len = 0;
    }
}

/// What a customer's summary needs of its transactions so far, read in order of periods, with
/// its id.
#[derive(Clone, Copy)]
struct Customer {
    /// The id's bytes when it has at most 16, else its offset in [`Part::long`].
    id: [u8; 16],
    /// The id's length in bytes.
    len: usize,
    /// The number of its first transaction in the log (the customers' order).
    seq: u64,
    /// Period of the first transaction.
    first: i64,
    /// The latest period of a transaction up to the cut-off (`first` when none after it).
    last: i64,
    /// The latest period of any transaction (for the order check).
    latest: i64,
    /// Distinct periods after `first`, up to the cut-off.
    repeats: u64,
    /// Amounts of the transactions after the first period, up to the cut-off, added in order.
    spend: f64,
}

/// The bytes of a customer's id.
fn id_of<'a>(c: &'a Customer, long: &'a [u8]) -> &'a [u8] {
    if c.len <= c.id.len() {
        &c.id[..c.len]
    } else {
        let mut at = [0u8; 8];
        at.copy_from_slice(&c.id[..8]);
        let start = u64::from_le_bytes(at) as usize;
        &long[start..start + c.len]
    }
}

/// The customers of one partition, found by id through a table of their indices (hashed with
/// `foldhash`, not built against chosen collisions, which a log of customers does not need).
#[derive(Default)]
struct Part {
    index: hashbrown::HashTable<u32>,
    all: Vec<Customer>,
    /// The bytes of the ids longer than 16 bytes, end to end.
    long: Vec<u8>,
}

/// The partitions and the rule that folds a transaction into its customer.
struct Fold {
    parts: Vec<Part>,
    /// The cut-off period (`i64::MAX` while it is the latest transaction's, not yet known).
    cut: i64,
    hasher: foldhash::fast::FixedState,
}

impl Fold {
    /// Folds the transactions of `chunk`; `Ok(false)` at one earlier than its customer's
    /// latest.
    fn chunk(&mut self, chunk: &Chunk) -> Result<bool> {
        use std::hash::BuildHasher;
        for (part, txs) in self.parts.iter_mut().zip(&chunk.parts) {
            let Part { index, all, long } = part;
            for t in txs {
                let id = chunk.ids.get(t.id.0..t.id.1).unwrap_or_default();
                let (p, hasher) = (t.period, &self.hasher);
                if let Some(&k) = index.find(t.hash, |&k| id_of(&all[k as usize], long) == id) {
                    let c = &mut all[k as usize];
                    if p < c.latest {
                        return Ok(false);
                    }
                    if p <= self.cut && p != c.first {
                        c.spend += t.amount;
                        if p != c.last {
                            c.repeats += 1;
                            c.last = p;
                        }
                    }
                    c.latest = p;
                    continue;
                }
                let k = u32::try_from(all.len()).map_err(|_| {
                    Error::InvalidInput(
                        "more than 2^32 distinct customer ids in one of the 64 hash partitions"
                            .into(),
                    )
                })?;
                let mut c = Customer {
                    id: [0; 16],
                    len: id.len(),
                    seq: t.seq,
                    first: p,
                    last: p,
                    latest: p,
                    repeats: 0,
                    spend: 0.0,
                };
                if let Some(inline) = c.id.get_mut(..id.len()) {
                    inline.copy_from_slice(id);
                } else {
                    c.id[..8].copy_from_slice(&(long.len() as u64).to_le_bytes());
                    long.extend_from_slice(id);
                }
                index.insert_unique(t.hash, k, |&j| {
                    hasher.hash_one(id_of(&all[j as usize], long))
                });
                all.push(c);
            }
        }
        Ok(true)
    }
}

impl TransactionReader {
    /// The per-customer summary of the log in `reader` at `observation_end` (`None`: the
    /// latest transaction time of the log), read in one pass and keeping per customer only
    /// what the summary needs, so that memory follows customers rather than transactions: the
    /// same summary, bit for bit, as
    /// [`from_reader`](TransactionReader::from_reader) followed by
    /// [`TransactionLog::summarize`](super::TransactionLog::summarize), when each customer's
    /// transactions come in order of their periods (as in a log sorted by time, customers
    /// interleaved, or grouped by customer and sorted by time).
    ///
    /// `Ok(None)` when they do not (a customer's transaction in an earlier period than one
    /// before it), or in a case the summary refuses (a time whose period number is not exact,
    /// no customer before the cut-off, ...): read the log with
    /// [`from_reader`](TransactionReader::from_reader) and summarise it, which sorts it (and
    /// gives the error).
    ///
    /// ```
    /// use clv::data::{Periods, TimeFormat, TransactionReader};
    /// let csv = "customer_id,date,amount\na,1,10\nb,2,7\na,4,5\na,4,1\n";
    /// let reader = TransactionReader::new()
    ///     .amount_column("amount")
    ///     .time_format(TimeFormat::Numeric);
    /// let summary = reader
    ///     .summarize_ordered(csv.as_bytes(), &Periods::days(), Some(10.0))?
    ///     .expect("in order");
    /// let log = reader.from_reader(csv.as_bytes())?;
    /// assert_eq!(summary, log.summarize(&Periods::days(), 10.0)?);
    /// // b's second transaction comes before its first
    /// let shuffled = "customer_id,date,amount\nb,2,7\na,1,10\nb,1,3\n";
    /// assert!(reader.summarize_ordered(shuffled.as_bytes(), &Periods::days(), None)?.is_none());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`TransactionReader::from_reader`], for the rows read.
    pub fn summarize_ordered(
        &self,
        reader: impl Read,
        periods: &Periods,
        observation_end: Option<f64>,
    ) -> Result<Option<Summary>> {
        let p_end = match observation_end {
            Some(end) if !end.is_finite() => return Ok(None),
            Some(end) => match periods.checked_index(end) {
                Some(p) => Some(p),
                None => return Ok(None),
            },
            None => None,
        };
        let cut = p_end.unwrap_or(i64::MAX);
        let mut fold = Fold {
            parts: (0..PARTS).map(|_| Part::default()).collect(),
            cut,
            hasher: foldhash::fast::FixedState::default(),
        };
        let hasher = fold.hasher.clone();
        let (mut p_min, mut t_max) = (i64::MAX, f64::NEG_INFINITY);
        let mut ordered = true;
        // Set by the folding thread when it finds a transaction out of order.
        let stop = AtomicBool::new(false);
        let (read, folded) = std::thread::scope(|scope| {
            let mut chunk = Chunk::new();
            let (to_fold, chunks) = mpsc::sync_channel::<Chunk>(1);
            let (done, recycled) = mpsc::channel::<Chunk>();
            let stop = &stop;
            let worker = scope.spawn(move || {
                let mut ordered = true;
                for chunk in chunks {
                    if ordered {
                        ordered = match fold.chunk(&chunk) {
                            Ok(o) => o,
                            Err(e) => {
                                stop.store(true, Ordering::Relaxed);
                                return Err(e);
                            }
                        };
                        if !ordered {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    let _ = done.send(chunk);
                }
                Ok((fold, ordered))
            });
            let mut seq = 0u64;
            let read = self.read_rows(reader, |_, id, t, a| {
                use std::hash::BuildHasher;
                let Some(p) = periods.checked_index(t) else {
                    ordered = false;
                    return Ok(false);
                };
                p_min = p_min.min(p);
                t_max = t_max.max(t);
                let hash = hasher.hash_one(id.as_bytes());
                let start = chunk.ids.len();
                chunk.ids.extend_from_slice(id.as_bytes());
                chunk.parts[part_of(hash)].push(Transaction {
                    hash,
                    seq,
                    period: p,
                    amount: a.unwrap_or(0.0),
                    id: (start, chunk.ids.len()),
                });
                seq += 1;
                chunk.len += 1;
                if chunk.len == CHUNK {
                    let mut next = recycled.try_recv().unwrap_or_else(|_| Chunk::new());
                    next.clear();
                    let full = std::mem::replace(&mut chunk, next);
                    if stop.load(Ordering::Relaxed) || to_fold.send(full).is_err() {
                        return Ok(false);
                    }
                }
                Ok(true)
            });
            if read.is_ok() && chunk.len > 0 {
                let _ = to_fold.send(chunk);
            }
            drop(to_fold);
            let folded = worker.join().unwrap_or_else(|_| {
                Err(Error::InvalidInput(
                    "the summary's folding thread failed".into(),
                ))
            });
            (read, folded)
        });
        let read = read?;
        let (fold, folded_in_order) = folded?;
        ordered &= folded_in_order;
        if !ordered {
            return Ok(None);
        }
        // The cut-off period: that of the end, or of the latest transaction.
        let p_cut = match p_end {
            Some(p) => p,
            None => match periods.checked_index(t_max) {
                Some(p) => p,
                None => return Ok(None),
            },
        };
        let scale = periods.length / periods.unit;
        let to_unit = |dp: i64| dp as f64 * scale;
        let span = to_unit(p_cut + 1 - p_min.min(p_cut));
        if span.is_nan() || span > MAX_TIME {
            return Ok(None);
        }
        // The customers in order of first appearance.
        let mut order: Vec<(u64, u32, u32)> = Vec::new();
        for (i, part) in fold.parts.iter().enumerate() {
            order.extend(
                part.all
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (c.seq, i as u32, k as u32)),
            );
        }
        order.sort_unstable();
        let n = order.len();
        let (mut ids, mut x, mut t_x, mut age, mut m, mut first) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(if read.amounts { n } else { 0 }),
            Vec::with_capacity(n),
        );
        let mut n_excluded = 0;
        for &(_, i, k) in &order {
            let part = &fold.parts[i as usize];
            let c = &part.all[k as usize];
            if c.first >= p_cut {
                n_excluded += 1;
                continue;
            }
            // Every id was a `&str`: its bytes are UTF-8.
            ids.push(String::from_utf8_lossy(id_of(c, &part.long)).into_owned());
            x.push(c.repeats as f64);
            t_x.push(to_unit(c.last - c.first));
            age.push(to_unit(p_cut - c.first));
            if read.amounts {
                m.push(if c.repeats > 0 {
                    c.spend / c.repeats as f64
                } else {
                    0.0
                });
            }
            first.push(to_unit(c.first - p_min));
        }
        if x.is_empty() {
            return Ok(None);
        }
        drop(fold);
        let data = RfmData::from_columns(x, t_x, age, read.amounts.then_some(m), None)?
            .with_distinct_ids(ids);
        Ok(Some(Summary {
            data,
            first_purchase: first,
            n_excluded,
        }))
    }
}

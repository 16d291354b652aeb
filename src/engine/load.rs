//! Load: each export read once.
//!
//! Some stages need a whole table before any row can be routed: a `fill` correction's lookup,
//! the rules over whole tables ([`crate::engine::relate`]) and duplicate people
//! ([`crate::engine::people`]). An export they read is decoded and corrected once, in one pass
//! that hands each of them what it needs from the same batches, and its batches are then held
//! ([`crate::source::held`]) until routing carries on from the stage they reached. An export
//! none of them reads is not touched until routing reads it, once, straight from the file.
//!
//! Lookups read their table corrected up to its `fill` stage, and a table's own `fill` needs
//! the lookups it reads to be complete. So the tables lookups read are passed first; a table
//! whose `fill` reads a table not passed before it (itself, say) stops at `fill`, and, if a
//! later stage needs it whole, its held batches are corrected the rest of the way in a second
//! pass over them (never over the export).

use std::collections::HashSet;
use std::time::Instant;

use rayon::prelude::*;

use crate::engine::lookups::{self, Want};
use crate::engine::people::{Part, Records};
use crate::engine::relate::{Projection, Projections, Reads};
use crate::fixes::{Change, Corrector, Fixes, Lookups};
use crate::model::counts::StageTimes;
use crate::model::error::Result;
use crate::output::publish::Staging;
use crate::source::held::{Batch, Held, HeldWriter};
use crate::source::{Batches, Header, Ingested, Source};
use crate::spec::config::Config;
use crate::spec::fix::{Lookup, Stage};
use crate::spec::rules::RuleSet;

/// An export ready to route.
pub struct Export {
    pub header: Header,
    pub batches: Batches,
    /// Routing runs the corrections from this stage on; the pass ran the earlier ones.
    pub from: Stage,
    /// What the pass spent correcting and typing.
    pub spent: StageTimes,
}

/// Every export, read once, and what the stages over whole tables take from them.
pub struct Loaded {
    /// In the configuration's order of inputs.
    pub exports: Vec<Export>,
    /// The fill lookups (a `same_person` rule's merges are added once matching has run).
    pub fixes: Fixes,
    pub projections: Projections,
    /// `records[i]`: the records of `parts[i]`.
    pub records: Vec<Records>,
}

/// What one pass over a table does besides correcting it.
struct Consumers<'c, 'p> {
    wants: Vec<&'c Want>,
    projection: Option<Projection>,
    /// (index into the run's parts, part).
    parts: Vec<(usize, &'c Part<'p>)>,
}

/// Read every export of `config` (`sources`: opened, in the order of its inputs) once.
#[allow(clippy::too_many_arguments)]
pub fn load(
    set: &RuleSet,
    config: &Config,
    sources: Vec<Source>,
    staging: &Staging,
    reads: &Reads,
    parts: &[Part],
    apply_review: bool,
    batch_rows: usize,
) -> Result<Loaded> {
    let (wants, not_run) = lookups::wanted(set, config);
    let table_of = |i: usize| set.table(&config.inputs[i].table).expect(crate::engine::INPUT_TABLES);
    let looked_up: HashSet<usize> = wants.iter().map(|w| w.table).collect();
    let whole = |t: usize| reads.columns.contains_key(&t) || parts.iter().any(|p| p.table == t);
    // The tables lookups read first, then the others any whole-table stage reads.
    let mut order: Vec<usize> = (0..config.inputs.len())
        .filter(|&i| looked_up.contains(&table_of(i)) || whole(table_of(i)))
        .collect();
    order.sort_by_key(|&i| !looked_up.contains(&table_of(i)));

    let mut lookups = Lookups::new();
    let mut passed: HashSet<usize> = HashSet::new();
    let mut records: Vec<Records> = parts.iter().map(|_| Records::default()).collect();
    let mut projections = Projections::new();
    let mut exports: Vec<Option<Export>> = sources
        .into_iter()
        .map(|s| {
            Some(Export {
                header: s.header().clone(),
                batches: Batches::File(s),
                from: Stage::Normalise,
                spent: StageTimes::default(),
            })
        })
        .collect();
    let mut unfinished = Vec::new();
    for i in order {
        let t = table_of(i);
        // Its `fill` can run in this pass when every table it fills from was passed before.
        let ready = wants
            .iter()
            .filter(|w| set.corrections[w.correction].table == t)
            .all(|w| passed.contains(&w.table));
        let Export { header, batches, .. } = exports[i].take().expect("each input is passed once");
        let consumers = Consumers {
            wants: wants.iter().filter(|w| w.table == t).collect(),
            projection: reads
                .columns
                .get(&t)
                .filter(|_| ready)
                .map(|cols| Projection::new(set, t, cols, config.pivot)),
            parts: parts
                .iter()
                .enumerate()
                .filter(|(_, p)| ready && p.table == t)
                .collect(),
        };
        let none = Lookups::new();
        let first = Corrector::new(
            set,
            t,
            &header.columns,
            &none,
            apply_review,
            config.pivot,
            ..Stage::Fill,
        );
        let rest = ready.then(|| {
            Corrector::new(
                set,
                t,
                &header.columns,
                &lookups,
                apply_review,
                config.pivot,
                Stage::Fill..Stage::Merge,
            )
        });
        let writer = held_writer(staging, set, t, &header)?;
        let Pass {
            held,
            lookups: found,
            ingested,
            projection,
            spent,
        } = pass(
            set,
            config,
            &header,
            batches,
            [Some(&first), rest.as_ref()],
            consumers,
            &mut records,
            writer,
            batch_rows,
        )?;
        drop(rest);
        for (w, lookup) in wants.iter().filter(|w| w.table == t).zip(found) {
            lookups.insert(w.correction, lookup);
        }
        passed.insert(t);
        if let Some(p) = projection {
            projections.insert(t, p.finish());
        }
        let from = if ready { Stage::Merge } else { Stage::Fill };
        if !ready && whole(t) {
            unfinished.push(i);
        }
        exports[i] = Some(Export {
            header,
            batches: Batches::Held {
                reader: held.read()?,
                read: ingested,
            },
            from,
            spent,
        });
    }
    // Tables whose `fill` waited for a lookup: corrected the rest of the way, from what is held.
    for i in unfinished {
        let t = table_of(i);
        let Export {
            header,
            batches,
            spent: before,
            ..
        } = exports[i].take().expect("each input is finished once");
        let consumers = Consumers {
            wants: Vec::new(),
            projection: reads
                .columns
                .get(&t)
                .map(|cols| Projection::new(set, t, cols, config.pivot)),
            parts: parts.iter().enumerate().filter(|(_, p)| p.table == t).collect(),
        };
        let rest = Corrector::new(
            set,
            t,
            &header.columns,
            &lookups,
            apply_review,
            config.pivot,
            Stage::Fill..Stage::Merge,
        );
        let Batches::Held { reader, read } = batches else {
            unreachable!("a table whose `fill` waited was passed and held");
        };
        let writer = held_writer(staging, set, t, &header)?;
        let Pass {
            held,
            projection,
            mut spent,
            ..
        } = pass(
            set,
            config,
            &header,
            Batches::Held {
                reader,
                read: Ingested::default(),
            },
            [None, Some(&rest)],
            consumers,
            &mut records,
            writer,
            batch_rows,
        )?;
        if let Some(p) = projection {
            projections.insert(t, p.finish());
        }
        exports[i] = Some(Export {
            header,
            batches: Batches::Held {
                reader: held.read()?,
                read,
            },
            from: Stage::Merge,
            spent: {
                spent += before;
                spent
            },
        });
    }
    Ok(Loaded {
        exports: exports
            .into_iter()
            .map(|e| e.expect("every input is put back after its pass"))
            .collect(),
        fixes: Fixes {
            lookups,
            apply_review,
            not_run,
        },
        projections,
        records,
    })
}

/// New held files for table `t`'s batches and their changes, in the run's staging folder.
fn held_writer(staging: &Staging, set: &RuleSet, t: usize, header: &Header) -> Result<HeldWriter> {
    let name = format!(".held/{}-{}", set.tables[t].name, unique());
    let file = |rel: String| Ok((staging.path(&rel), staging.file(&rel)?));
    HeldWriter::new(
        [file(format!("{name}.arrow"))?, file(format!("{name}.changes.arrow"))?],
        header.names.len(),
    )
}

/// A number no other held file of this process has, so a second pass never writes over the
/// file it reads.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A batch after its pass: corrected, with the lookup pairs it gave, its projection and the time
/// they took.
type Passed = (
    Batch,
    Vec<crate::model::lookup::Pairs>,
    Option<datafusion::arrow::array::RecordBatch>,
    StageTimes,
);

/// What one pass over a table's batches gives.
struct Pass {
    held: Held,
    /// One per want, in order.
    lookups: Vec<Lookup>,
    ingested: Ingested,
    projection: Option<Projection>,
    /// Time spent correcting and typing.
    spent: StageTimes,
}

/// One pass over a table's batches: correct them with `steps` in turn (gathering the lookups
/// `consumers.wants` after the first), hand them to the projection and the person records, and
/// hold them.
#[allow(clippy::too_many_arguments)]
fn pass(
    set: &RuleSet,
    config: &Config,
    header: &Header,
    batches: Batches,
    steps: [Option<&Corrector>; 2],
    consumers: Consumers,
    records: &mut [Records],
    mut writer: HeldWriter,
    batch_rows: usize,
) -> Result<Pass> {
    let Consumers {
        wants,
        mut projection,
        parts,
    } = consumers;
    let header = &header.columns;
    let mut found: Vec<Lookup> = wants.iter().map(|_| Lookup::default()).collect();
    let mut spent = StageTimes::default();
    let ingested = batches.stream(batch_rows, |group| {
        let done: Vec<Passed> = group
            .into_par_iter()
            .map(|mut b| {
                let n = b.raw.num_rows();
                let [first, rest] = steps;
                let mut spent = StageTimes::default();
                let mut t = Instant::now();
                if let Some(c) = first {
                    add_changes(&mut b.changes, c.apply(&mut b.raw.columns, n)?);
                }
                spent.correct += t.elapsed();
                t = Instant::now();
                let pairs = wants
                    .iter()
                    .map(|w| w.pairs(set, config.pivot, header, &b.raw))
                    .collect();
                spent.typing += t.elapsed();
                t = Instant::now();
                if let Some(c) = rest {
                    add_changes(&mut b.changes, c.apply(&mut b.raw.columns, n)?);
                }
                spent.correct += t.elapsed();
                t = Instant::now();
                let projected = projection.as_ref().map(|p| p.project(set, header, &b.raw));
                spent.typing += t.elapsed();
                Ok((b, pairs, projected, spent))
            })
            .collect::<Result<_>>()?;
        for (b, pairs, projected, took) in done {
            spent += took;
            for (lookup, pairs) in found.iter_mut().zip(pairs) {
                lookups::add(lookup, pairs);
            }
            if let (Some(p), Some(batch)) = (projection.as_mut(), projected) {
                p.push(batch);
            }
            for &(k, part) in &parts {
                part.collect(set, config.pivot, header, &b.raw, &mut records[k]);
            }
            writer.push(b)?;
        }
        Ok(())
    })?;
    Ok(Pass {
        held: writer.finish()?,
        lookups: found,
        ingested,
        projection,
        spent,
    })
}

/// Add a later stage's changes to a batch's, keeping them in the order one corrector running
/// every stage at once would give: by row, column and correction.
pub(crate) fn add_changes(changes: &mut Vec<Change>, later: Vec<Change>) {
    if later.is_empty() {
        return;
    }
    changes.extend(later);
    changes.sort_by_key(|c| (c.row, c.column, c.correction));
}

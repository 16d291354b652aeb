//! The contract of a rule over whole tables (`reference`, `related`, `periods`, `sequence`,
//! `consistent`): a kind that needs every row of a table, or of two, before it can say
//! anything about one of them compiles to a [`WholeTable`], its own DataFusion plan.
//!
//! The run reads each table such a rule names once, takes the columns the rule
//! [reads](WholeTable::reads), typed, with each row's line and a flag per column whose value
//! did not parse, and registers them under the table's name; the rule's plan runs over them
//! and returns the rows it reports, by line. The engine does the rest (the rule's id and
//! severity, merging the findings into routing).

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::future::Future;

use datafusion::prelude::SessionContext;

use crate::model::finding::Detail;
use crate::model::table::Table;

/// Name of the line-number column of every table a whole-table plan reads.
pub const LINE: &str = "__line";

/// Name of the flag column that is true where `column`'s value was present but did not parse
/// (registered for every column a rule reads whose type can fail to parse).
pub fn failed_name(column: &str) -> String {
    format!("{FAILED_PREFIX}{column}")
}

/// What every [`failed_name`] starts with.
pub const FAILED_PREFIX: &str = "__failed_";

/// What a whole-table plan runs in.
pub struct Tables<'a> {
    /// Every table the run read whole, registered by name, in one partition: joins collect
    /// their build side once and stream the other table through it.
    pub joins: &'a SessionContext,
    /// The same tables, for window queries, which sort whole tables by group: partitioned over
    /// every core when a query has the cores to itself (fewer rules than cores).
    pub windows: &'a SessionContext,
    /// The runtime that drives queries over several partitions; `None` when each query runs
    /// in one partition (rules side by side), driven by its own thread.
    pub runtime: Option<&'a tokio::runtime::Runtime>,
    /// Every table of the rule set, by index.
    pub tables: &'a [Table],
    /// Per table, the columns with a value that did not parse (by their flag's name,
    /// [`failed_name`]): a rule reading none of them need not look for rows it cannot check.
    pub unparsed: &'a HashMap<usize, HashSet<String>>,
}

impl Tables<'_> {
    /// Whether a value of one of `columns` of table `table` did not parse.
    pub fn any_unparsed(&self, table: usize, columns: &[usize]) -> bool {
        self.unparsed.get(&table).is_some_and(|flags| {
            columns
                .iter()
                .any(|&c| flags.contains(&failed_name(&self.tables[table].columns[c].name)))
        })
    }
}

impl Tables<'_> {
    /// Run a query to the end.
    pub fn block_on<F: Future>(&self, query: F) -> F::Output {
        match self.runtime {
            Some(runtime) => runtime.block_on(query),
            // A runtime per thread: a shared one's idle workers spin while each thread waits on
            // its own query (~10% more CPU over the SSDA903 pack).
            None => LOCAL.with(|runtime| runtime.block_on(query)),
        }
    }
}

thread_local! {
    static LOCAL: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect(crate::spec::whole::RUNTIME);
}

/// Why building a runtime cannot fail: tokio is built without its I/O driver (no `net` feature),
/// the one part whose start can fail; workers that cannot be spawned panic inside tokio.
pub const RUNTIME: &str =
    "a tokio runtime without its I/O driver builds: the driver is the only part whose start returns an error";

/// A row a whole-table rule reports, on the rule's own table.
#[derive(Debug, Clone)]
pub struct Found {
    pub line: u64,
    /// The column the report names (its value is shown).
    pub column: Option<usize>,
    pub detail: Detail,
}

impl Found {
    pub fn new(line: u64, column: Option<usize>, detail: Detail) -> Self {
        Found { line, column, detail }
    }
}

/// A rule's own plan over whole tables.
pub trait WholeTable: Debug + Send + Sync {
    /// The tables the plan reads (the rule's own, `table`, first) and, for each, the columns
    /// it reads. A table with no export makes the rule "not checked".
    fn reads(&self, table: usize) -> Vec<(usize, Vec<usize>)>;

    /// The columns a finding's report shows.
    fn columns(&self) -> Vec<usize>;

    /// Reference data besides the exports the plan reads; a run without it reports the rule as
    /// not checked.
    fn needs(&self) -> Vec<crate::spec::reference::Reference> {
        Vec::new()
    }

    /// Values written in the rule itself that it may look up in reference data (a postcode).
    fn literals(&self) -> Vec<String> {
        Vec::new()
    }

    /// Run the plan for a rule on `table`: every row it reports (rows it could not evaluate
    /// among them), in the order it found them.
    fn evaluate(&self, cx: &Tables, table: usize) -> datafusion::common::Result<Vec<Found>>;
}

//! Cleanse's integration tests: one test binary (each extra binary re-links
//! DataFusion), one module per area. Tests run the real `cleanse` binary in a
//! fresh temporary directory, ripgrep style (see `util`); the conservation
//! property test calls the library directly for speed.
//!
//! Snapshots (insta) live in `tests/it/snapshots/`. To update them after an
//! intended change: `INSTA_UPDATE=always cargo test --test it`, then review the
//! `.snap` diffs before committing.

mod architecture;
mod broken_rules;
mod cin;
mod cin_dfe;
mod conservation;
mod corrections;
mod cross_table;
mod demo;
mod dfe;
mod docs;
mod errors;
mod extends;
mod fuzz_regressions;
mod history;
mod hostile_input;
mod hostile_output;
mod messy_inputs;
mod nights;
mod parquet_inputs;
mod parquet_outputs;
mod people;
mod people_gen;
mod postcodes;
mod publish;
mod returns;
mod rules_ci;
mod ssda903;
mod summary_html;
mod util;
mod workbooks;

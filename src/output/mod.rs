//! Output: what a run writes: sinks, reports and summaries, history, and publishing.

pub mod history;
pub mod parquet;
pub mod publish;
pub mod report;
pub mod rule_summary;
pub mod sheet;
pub mod sinks;
pub mod summary;
pub mod summary_html;
pub mod workbook;

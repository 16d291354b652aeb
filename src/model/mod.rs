//! Model: the leaf types every layer shares. Imports nothing of Cleanse.

pub mod cells;
pub mod counts;
pub mod diag;
pub mod digest;
pub mod error;
pub mod finding;
pub mod lookup;
pub mod postcodes;
pub mod providers;
pub mod table;
pub mod typed;
pub mod values;
pub mod xml;

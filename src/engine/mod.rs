//! Engine: planning, row checks, whole-table checks, people, routing and returns.

pub mod check;
pub mod lookups;
pub mod people;
pub mod plan;
pub mod relate;
pub mod returns;
pub mod route;

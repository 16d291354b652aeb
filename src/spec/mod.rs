//! Spec: what the user declares (configuration, rule packs with positions, SQL) and the one
//! loader where it is given meaning.

pub mod config;
pub mod examples;
pub mod kind;
pub mod node;
pub mod paths;
pub mod raw;
pub mod rules;
pub mod sql;
pub mod validate;
pub(crate) mod yaml;

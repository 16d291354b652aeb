//! Spec: what the user declares (configuration, rule packs with positions, SQL) and the one
//! loader where it is given meaning.

pub mod compiled;
pub mod config;
pub mod doc;
pub mod examples;
pub mod extends;
pub mod fix;
pub mod keys;
pub mod kind;
pub mod names;
pub mod node;
pub mod paths;
pub mod raw;
pub mod reference;
pub mod rules;
pub mod sql;
pub mod validate;
pub mod whole;
pub mod windows;
pub mod working_days;
pub(crate) mod yaml;

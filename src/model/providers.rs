//! Ofsted's registered children's social care providers, by URN, as its published lists give
//! them: what a placement's URN is checked against (the SSDA903 URN rules).

use std::collections::HashMap;

use crate::model::values::Days;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provider {
    /// The placement codes the provider is registered for, as the list gives them (`U1,U2`).
    pub placement_codes: String,
    /// Its placement provider codes (`PR4`, `PR1,PR2`), a `/` between codes read as `,` as the
    /// DfE's validator reads them.
    pub provider_codes: String,
    /// The day its registration ended, if it has.
    pub closed: Option<Days>,
    /// Its setting's postcode, as the list gives it.
    pub postcode: String,
}

/// Providers by URN: the first list to name a URN gives its details.
#[derive(Debug, Default)]
pub struct Providers {
    by_urn: HashMap<String, Provider, foldhash::fast::RandomState>,
}

impl Providers {
    /// Add a provider unless its URN is already known; false if it was.
    pub fn insert(&mut self, urn: &str, provider: Provider) -> bool {
        match self.by_urn.entry(urn.trim().to_string()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(provider);
                true
            }
        }
    }

    /// The provider a URN names (surrounding spaces aside, as written otherwise).
    pub fn get(&self, urn: &str) -> Option<&Provider> {
        self.by_urn.get(urn.trim())
    }

    /// A provider's postcode, when a later sheet gives it (the children's homes list once kept
    /// addresses on a sheet of their own).
    pub fn set_postcode(&mut self, urn: &str, postcode: &str) {
        if let Some(p) = self.by_urn.get_mut(urn.trim())
            && p.postcode.is_empty()
        {
            p.postcode = postcode.to_string();
        }
    }

    /// Every provider's postcode, as written.
    pub fn postcodes(&self) -> impl Iterator<Item = &str> {
        self.by_urn
            .values()
            .map(|p| p.postcode.as_str())
            .filter(|p| !p.is_empty())
    }

    pub fn len(&self) -> usize {
        self.by_urn.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_urn.is_empty()
    }
}

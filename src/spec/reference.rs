//! Reference data in rules' SQL: functions that read what the run was given besides its
//! exports: the ONS postcode directory, Ofsted's provider lists and the council's own local
//! authority code.
//!
//! | function | gives |
//! |---|---|
//! | `postcode_known(p)` | whether the directory lists postcode `p` (any case or spacing); NULL for a blank |
//! | `postcode_la(p)` | the local authority `p` is in, as the DfE derives a placement's (`PL_LA`): the English upper-tier council's code, `WAL`, `SCO` or `NIR`; NULL if blank, unknown or in the Channel Islands or Isle of Man |
//! | `postcode_location(p)` | `IN` if `postcode_la(p)` is the council's own, `OUT` for any other listed postcode, NULL if blank or unknown (the DfE's `PL_LOCATION`) |
//! | `postcode_miles(a, b)` | straight-line miles between two postcodes to 0.1 (the DfE's `PL_DISTANCE`); NULL if either is blank, unknown or has no grid reference |
//! | `local_authority()` | the council's code, from the configuration |
//! | `ofsted_urn_known(u)` | whether Ofsted's provider lists name URN `u`; NULL for a blank |
//! | `ofsted_placement_codes(u)` | the placement codes the lists give URN `u` (`U1,U2`), as written; NULL if not listed |
//! | `ofsted_provider_codes(u)` | its placement provider codes (`PR4`, `PR1,PR2`), as written (`/` read as `,`); NULL if not listed |
//! | `ofsted_closed(u)` | the date its registration ended; NULL if it has not, or not listed |
//! | `ofsted_postcode(u)` | its setting's postcode, as written; NULL if not listed or none given |
//!
//! They are for `query` rules, which run over whole tables once the run has read its reference
//! files; a rule that needs a file the run was not given is reported as not checked, saying what
//! to supply (see [`Reference`]).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanBuilder, Float64Builder, StringArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;

use crate::model::postcodes::{self, Postcodes};
use crate::model::providers::Providers;

/// Something besides the exports that a rule may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    Postcodes,
    LocalAuthority,
    OfstedProviders,
}

impl Reference {
    /// Why a rule that needs it could not run, and what to give.
    pub fn missing(self) -> &'static str {
        match self {
            Reference::Postcodes => {
                "no postcode directory was given (add `postcodes: { file: ... }` to the configuration, naming the ONS Postcode Directory or National Statistics Postcode Lookup CSV as published)"
            }
            Reference::LocalAuthority => {
                "the council's local authority code was not given (add `local_authority: E...` to the configuration: the upper-tier code the ONS gives the council)"
            }
            Reference::OfstedProviders => {
                "Ofsted's provider lists were not given (add `ofsted_providers: { files: [...] }` to the configuration, naming the Children's Homes and Social Care Providers workbooks, or the combined one, as Ofsted publishes them)"
            }
        }
    }
}

/// The functions, with what each reads.
const FUNCTIONS: [(&str, &[Reference]); 10] = [
    ("postcode_known", &[Reference::Postcodes]),
    ("postcode_la", &[Reference::Postcodes]),
    ("postcode_location", &[Reference::Postcodes, Reference::LocalAuthority]),
    ("postcode_miles", &[Reference::Postcodes]),
    ("local_authority", &[Reference::LocalAuthority]),
    ("ofsted_urn_known", &[Reference::OfstedProviders]),
    ("ofsted_placement_codes", &[Reference::OfstedProviders]),
    ("ofsted_provider_codes", &[Reference::OfstedProviders]),
    ("ofsted_closed", &[Reference::OfstedProviders]),
    ("ofsted_postcode", &[Reference::OfstedProviders]),
];

/// The reference data SQL `sql` reads (by the functions it names), in order, each once.
pub fn needs(sql: &str) -> Vec<Reference> {
    let mut out: Vec<Reference> = FUNCTIONS
        .iter()
        .filter(|(name, _)| super::names::find_word(sql, name).is_some())
        .flat_map(|(_, needs)| needs.iter().copied())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The quoted values in SQL (`'NF1 1AA'`): a postcode a rule names itself, which the run keeps
/// from the directory as it keeps those its exports hold.
pub fn quoted(sql: &str) -> Vec<String> {
    sql.split('\'').skip(1).step_by(2).map(str::to_string).collect()
}

/// The first reference function SQL names, and where.
pub fn first_function(sql: &str) -> Option<(&'static str, std::ops::Range<usize>)> {
    FUNCTIONS
        .iter()
        .filter_map(|(name, _)| super::names::find_word(sql, name).map(|at| (*name, at)))
        .min_by_key(|(_, at)| at.start)
}

/// What the run was given. Empty when a rule is read (the functions are then stand-ins, for
/// planning only).
#[derive(Debug, Default)]
pub struct ReferenceData {
    pub postcodes: Option<Arc<Postcodes>>,
    pub local_authority: Option<String>,
    pub ofsted_providers: Option<Arc<Providers>>,
}

impl ReferenceData {
    pub fn has(&self, r: Reference) -> bool {
        match r {
            Reference::Postcodes => self.postcodes.is_some(),
            Reference::LocalAuthority => self.local_authority.is_some(),
            Reference::OfstedProviders => self.ofsted_providers.is_some(),
        }
    }
}

/// Register the functions in a session, reading `data`.
pub fn register(ctx: &SessionContext, data: &Arc<ReferenceData>) {
    for (name, _) in FUNCTIONS {
        ctx.register_udf(ScalarUDF::from(Function {
            name,
            data: Arc::clone(data),
            signature: match name {
                "local_authority" => Signature::nullary(Volatility::Immutable),
                "postcode_miles" => Signature::string(2, Volatility::Immutable),
                _ => Signature::string(1, Volatility::Immutable),
            },
        }));
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Function {
    name: &'static str,
    data: Arc<ReferenceData>,
    signature: Signature,
}

impl PartialEq for ReferenceData {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for ReferenceData {}
impl std::hash::Hash for ReferenceData {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self, state);
    }
}

/// Where each postcode of `a` is (none for a blank or unknown one). A child's rows come
/// together and mostly repeat a postcode, so the last one looked up is kept: the directory's
/// lookups were most of these functions' time, a tenth of a return's whole-table rules.
fn places<'d>(directory: &'d Postcodes, a: &StringArray) -> Vec<Option<&'d postcodes::Place>> {
    let mut last: Option<(postcodes::Key, Option<&postcodes::Place>)> = None;
    (0..a.len())
        .map(|i| {
            let key = postcodes::key((!a.is_null(i)).then(|| a.value(i))?)?;
            match last {
                Some((k, place)) if k == key => place,
                _ => {
                    let place = directory.get(&key);
                    last = Some((key, place));
                    place
                }
            }
        })
        .collect()
}

/// An argument as text, one value per row.
fn text(arg: &ColumnarValue, rows: usize) -> datafusion::common::Result<StringArray> {
    let array = arg.to_array(rows)?;
    let array: ArrayRef = if array.data_type() == &DataType::Utf8 {
        array
    } else {
        datafusion::arrow::compute::cast(&array, &DataType::Utf8)?
    };
    Ok(array
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("cast to Utf8 gives a StringArray")
        .clone())
}

impl ScalarUDFImpl for Function {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(match self.name {
            "postcode_known" | "ofsted_urn_known" => DataType::Boolean,
            "postcode_miles" => DataType::Float64,
            "ofsted_closed" => DataType::Date32,
            _ => DataType::Utf8,
        })
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        let data = &self.data;
        if self.name == "local_authority" {
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(data.local_authority.clone())));
        }
        let rows = args.number_rows;
        if self.name.starts_with("ofsted_") {
            return self.provider(&args, rows);
        }
        let Some(directory) = data.postcodes.as_deref() else {
            // A stand-in's, folding a constant as a rule is planned: a rule needing the directory
            // is not run without it.
            let ty = self.return_type(&[])?;
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(&ty)?));
        };
        let first = text(&args.args[0], rows)?;
        let places = places(directory, &first);
        let out: ArrayRef = match self.name {
            "postcode_known" => {
                let mut b = BooleanBuilder::with_capacity(rows);
                for (i, place) in places.iter().enumerate() {
                    let blank = first.is_null(i) || postcodes::key(first.value(i)).is_none();
                    b.append_option((!blank).then(|| place.is_some()));
                }
                Arc::new(b.finish())
            }
            "postcode_miles" => {
                let second = text(&args.args[1], rows)?;
                let mut b = Float64Builder::with_capacity(rows);
                for (from, to) in places.iter().zip(self::places(directory, &second)) {
                    b.append_option(match (from, to) {
                        (Some(from), Some(to)) => postcodes::miles(from, to),
                        _ => None,
                    });
                }
                Arc::new(b.finish())
            }
            "postcode_la" => {
                let mut b = StringBuilder::with_capacity(rows, rows * 9);
                for place in &places {
                    b.append_option(place.and_then(|p| directory.local_authority(p)));
                }
                Arc::new(b.finish())
            }
            _ => {
                let own = data.local_authority.as_deref();
                let mut b = StringBuilder::with_capacity(rows, rows * 3);
                for place in &places {
                    b.append_option(place.map(|p| {
                        if own.is_some() && directory.local_authority(p) == own {
                            "IN"
                        } else {
                            "OUT"
                        }
                    }));
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

impl Function {
    /// The `ofsted_` functions: what the provider lists say of each row's URN.
    fn provider(&self, args: &ScalarFunctionArgs, rows: usize) -> datafusion::common::Result<ColumnarValue> {
        let Some(providers) = self.data.ofsted_providers.as_deref() else {
            let ty = self.return_type(&[])?;
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(&ty)?));
        };
        let urns = text(&args.args[0], rows)?;
        let urn = |i: usize| {
            (!urns.is_null(i))
                .then(|| urns.value(i))
                .filter(|u| !u.trim().is_empty())
        };
        let out: ArrayRef = match self.name {
            "ofsted_urn_known" => {
                let mut b = BooleanBuilder::with_capacity(rows);
                for i in 0..rows {
                    b.append_option(urn(i).map(|u| providers.get(u).is_some()));
                }
                Arc::new(b.finish())
            }
            "ofsted_closed" => {
                let mut b = datafusion::arrow::array::Date32Builder::with_capacity(rows);
                for i in 0..rows {
                    b.append_option(urn(i).and_then(|u| providers.get(u)).and_then(|p| p.closed));
                }
                Arc::new(b.finish())
            }
            name => {
                let field = |p: &crate::model::providers::Provider| -> Option<String> {
                    let v = match name {
                        "ofsted_placement_codes" => &p.placement_codes,
                        "ofsted_provider_codes" => &p.provider_codes,
                        _ => &p.postcode,
                    };
                    (!v.is_empty()).then(|| v.clone())
                };
                let mut b = StringBuilder::with_capacity(rows, rows * 8);
                for i in 0..rows {
                    b.append_option(urn(i).and_then(|u| providers.get(u)).and_then(field));
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_found() {
        assert_eq!(
            quoted("postcode_la(p) = postcode_la('NF1 1AA') OR x IN ('A', 'B')"),
            ["NF1 1AA", "A", "B"]
        );
    }

    #[test]
    fn needs_are_read_off_the_functions_named() {
        assert_eq!(
            needs("postcode_location(pl_post) <> 'IN' OR x = local_authority()"),
            [Reference::Postcodes, Reference::LocalAuthority]
        );
        assert_eq!(
            needs("postcode_miles(home_post, pl_post) > 350"),
            [Reference::Postcodes]
        );
        assert!(needs("my_postcode_la IS NULL").is_empty());
    }

    fn session(la: Option<&str>) -> SessionContext {
        let mut p = Postcodes::default();
        p.add("NF1 1AA", Some((430_000.0, 560_000.0)), "E06000990", "E99999999");
        p.add("CT2 3BB", Some((440_000.0, 570_000.0)), "E07000991", "E10000990");
        p.add("SH1 1AA", Some((440_000.0, 1_140_000.0)), "S12000990", "");
        let ctx = SessionContext::new();
        let data = ReferenceData {
            postcodes: Some(Arc::new(p)),
            local_authority: la.map(str::to_string),
            ofsted_providers: None,
        };
        register(&ctx, &Arc::new(data));
        ctx
    }

    fn one(ctx: &SessionContext, sql: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let batches = rt
            .block_on(async { ctx.sql(&format!("SELECT {sql} AS v")).await?.collect().await })
            .unwrap();
        datafusion::arrow::util::display::array_value_to_string(batches[0].column(0), 0).unwrap()
    }

    #[test]
    fn the_functions_derive_what_the_dfe_derives() {
        let ctx = session(Some("E06000990"));
        assert_eq!(one(&ctx, "postcode_known('nf11aa')"), "true");
        assert_eq!(one(&ctx, "postcode_known('NF1 1AB')"), "false");
        assert_eq!(one(&ctx, "postcode_known(NULL)"), "");
        assert_eq!(one(&ctx, "postcode_la('CT2 3BB')"), "E10000990");
        assert_eq!(one(&ctx, "postcode_la('SH1 1AA')"), "SCO");
        assert_eq!(one(&ctx, "postcode_location('NF1 1AA')"), "IN");
        assert_eq!(one(&ctx, "postcode_location('CT2 3BB')"), "OUT");
        assert_eq!(one(&ctx, "postcode_location('XX1 1XX')"), "");
        assert_eq!(one(&ctx, "postcode_miles('NF1 1AA', 'CT2 3BB')"), "8.8");
        assert_eq!(one(&ctx, "postcode_miles('NF1 1AA', 'SH1 1AA') > 350"), "true");
        assert_eq!(one(&ctx, "local_authority()"), "E06000990");
    }
}

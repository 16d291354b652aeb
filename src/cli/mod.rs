//! The command line: parse arguments, call the library, render the outcome.
//!
//! Exit codes (ripgrep's convention): 0 the run completed; 1 it completed but
//! found problems at or above `--fail-on`; 2 it could not be done, and then
//! nothing was published. `check` and `test` follow the same shape: 0 no
//! problems, 1 problems found (or an example failed), 2 could not run.

pub mod docs;
pub mod examples;
pub mod formats;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::error::Error;
use crate::model::table::Severity;
use crate::output::report::{count, plural};
use crate::run::{RunOptions, run};
use crate::spec::config::TableFormat;
use formats::Format;

#[derive(Debug, Parser)]
#[command(name = "cleanse", version, about = "Find, explain and report data-quality problems in children's social care exports.", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Show only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show debug detail in the log (counts and timings; never record values).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the exports named in a configuration and publish the results.
    Run(RunArgs),
    /// Rebuild a run's summaries from the history, without checking anything again.
    Report(ReportArgs),
    /// Validate configurations and rule packs without reading any data (for CI).
    Check(CheckArgs),
    /// Run the examples in rule packs: the rules' and corrections' own tests.
    Test(TestArgs),
    /// Write synthetic demo exports (never real data) with a ground-truth list of planted problems.
    Generate(GenerateArgs),
    /// Explain a rule or correction of the configured packs, a rule kind, a correction kind or a diagnostic code.
    Explain(ExplainArgs),
    /// List the rules and corrections of the configured packs.
    Rules(RulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A rule or correction id (CON-001), a rule kind (range), a correction kind (map) or a diagnostic code (unknown-column).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The configuration whose rule packs are searched for ids [default: ./cleanse.yaml, if there is one].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// The configuration whose rule packs are listed [default: ./cleanse.yaml]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The output root runs were published to (the history is DIR/history/).
    #[arg(long, value_name = "DIR", default_value = "cleanse-out")]
    pub out: PathBuf,
    /// Which run [default: the latest in the history].
    #[arg(long, value_name = "RUN-ID")]
    pub run: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Configurations, rule packs, or folders of them [default: ./cleanse.yaml]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to report problems.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Configurations, rule packs, or folders of them [default: ./cleanse.yaml]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to report results.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// The date `today` means in the examples, as yyyy-mm-dd [default: each pack's `examples_as_of`, else today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The run configuration [default: ./cleanse.yaml]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where runs are published: DIR/runs/<run-id>/ and DIR/latest/.
    #[arg(long, value_name = "DIR", default_value = "cleanse-out")]
    pub out: PathBuf,
    /// The date `today` means in rules, as yyyy-mm-dd [default: the configuration's `as_of`, else today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Exit with code 1 when there are findings of this severity or worse.
    #[arg(long, value_enum, default_value = "never")]
    pub fail_on: FailOn,
    /// Which corrections to apply: `safe` ones only, or `review` ones too
    /// (otherwise they are only proposed in changes.csv).
    #[arg(long, value_enum, default_value = "safe", value_name = "WHICH")]
    pub apply: ApplyArg,
    /// Memory, in MB, the rules over whole tables (`reference`, `periods`...) may hold, the
    /// columns they read included, before their sorts spill to disk, in the run's own folder.
    #[arg(long, value_name = "MB", default_value_t = (crate::engine::relate::DEFAULT_MEMORY_LIMIT >> 20) as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub memory_limit: u32,
    /// Also write the corrected and rejected tables in this format (besides CSV): `parquet`
    /// (typed), `xlsx`. Adds to the configuration's `output_formats`.
    #[arg(long, value_enum, value_name = "FORMAT", value_delimiter = ',')]
    pub output_format: Vec<OutputFormatArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormatArg {
    Parquet,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyArg {
    Safe,
    Review,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Directory to write the CSV files and ground_truth.csv into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of children; the other tables scale from it (about 3 contacts per child).
    #[arg(long, default_value_t = 1000)]
    pub children: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The extract date: every clean date is on or before it.
    #[arg(long, value_parser = parse_date, default_value = "2026-03-31")]
    pub as_of: chrono::NaiveDate,
    /// Only these tables (comma-separated), e.g. `contacts`.
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Plant no problems.
    #[arg(long)]
    pub clean: bool,
    /// Also write the Annex A lists as one workbook, `annex-a.xlsx` (a sheet per list, title
    /// rows above each header, dates as Excel dates), as Ofsted's template lays them out.
    #[arg(long)]
    pub workbook: bool,
    /// Write N consecutive nightly extracts of the same council ending on --as-of, each in
    /// DIR/<yyyy-mm-dd>/ with its ground truth and a cleanse.yaml: each night holds the records
    /// dated up to it, and its planted problems (most still open the next night, some fixed,
    /// a few new).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=cleanse_generate::MAX_NIGHTS as i64))]
    pub nights: Option<u16>,
    /// With --nights, --ssda903 or --cin: the rule pack the cleanse.yaml names (relative to its
    /// folder when it can be) [default: rules/annex-a.yaml; with --ssda903,
    /// rules/ssda903/<year>.yaml; with --cin, rules/cin/<year>.yaml].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// Instead of the demo tables, write people.csv (records of N people, about 12% of them
    /// with duplicate records) and people_truth.csv (which records are the same person).
    #[arg(long, value_name = "N", conflicts_with_all = ["children", "tables", "clean", "nights"])]
    pub people: Option<usize>,
    /// Instead of the demo tables, write an SSDA903 return (one CSV per DfE table) for N
    /// children looked after in the collection year that --as-of is in, with a cleanse.yaml and
    /// ground_truth.csv (--clean: no planted problems).
    #[arg(long, value_name = "N", conflicts_with_all = ["children", "tables", "nights", "people"])]
    pub ssda903: Option<usize>,
    /// With --ssda903: also write last year's return into DIR/last/.
    #[arg(long, requires = "ssda903")]
    pub last_year: bool,
    /// Instead of the demo tables, write a Children in Need census (census.xml, the DfE's XML)
    /// for N children in need in the census year that --as-of is in, with a cleanse.yaml and
    /// ground_truth.csv (--clean: no planted problems).
    #[arg(long, value_name = "N", conflicts_with_all = ["children", "tables", "nights", "people", "ssda903", "workbook"])]
    pub cin: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Never,
    Error,
    Warning,
    Info,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date in yyyy-mm-dd form"))
}

/// Run the parsed command; returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Report(args) => report_command(args),
        Command::Check(args) => check_command(args),
        Command::Test(args) => test_command(args),
        Command::Generate(args) => generate_command(args),
        Command::Explain(args) => explain_command(args),
        Command::Rules(args) => rules_command(args),
    }
}

fn run_command(args: RunArgs) -> i32 {
    let config = match args.config {
        Some(c) => c,
        None => {
            let default = PathBuf::from("cleanse.yaml");
            if !default.is_file() {
                eprintln!(
                    "error: there is no cleanse.yaml here; pass --config PATH (the repository's own cleanse.yaml runs the demo)"
                );
                return 2;
            }
            default
        }
    };
    let mut opts = RunOptions::new(&config, &args.out);
    opts.as_of = args.as_of;
    opts.apply_review = args.apply == ApplyArg::Review;
    opts.memory_limit = (args.memory_limit as usize) << 20;
    opts.output_formats = args
        .output_format
        .iter()
        .map(|f| match f {
            OutputFormatArg::Parquet => TableFormat::Parquet,
            OutputFormatArg::Xlsx => TableFormat::Xlsx,
        })
        .collect();
    match run(&opts) {
        Ok(outcome) => {
            let r = &outcome.report;
            let rows = r.total(|t| t.rows_in);
            let (errors, warnings, infos) = (r.total(|t| t.errors), r.total(|t| t.warnings), r.total(|t| t.infos));
            println!(
                "Checked {} in {}: {} clean, {} rejected; {}, {}, {}.",
                plural(rows, "row", "rows"),
                plural(r.tables.len() as u64, "table", "tables"),
                count(r.total(|t| t.corrected)),
                count(r.total(|t| t.rejected)),
                plural(errors, "error", "errors"),
                plural(warnings, "warning", "warnings"),
                plural(infos, "note", "notes")
            );
            if !r.corrections.is_empty() {
                println!(
                    "Corrected {}; {} proposed for review, {} withheld as conflicts (see changes.csv).",
                    plural(r.total(|t| t.cells_changed), "value", "values"),
                    count(r.total(|t| t.changes_proposed)),
                    count(r.total(|t| t.conflicts))
                );
            }
            println!("Published {}", outcome.run_dir.display());
            println!("     latest {}", args.out.join("latest").display());
            println!(
                "Start with {} (for managers) or {} (for the data team).",
                args.out.join("latest/summary.html").display(),
                args.out.join("latest/exceptions.csv").display()
            );
            let worst = if errors > 0 {
                Some(Severity::Error)
            } else if warnings > 0 {
                Some(Severity::Warning)
            } else if infos > 0 {
                Some(Severity::Info)
            } else {
                None
            };
            let threshold = match args.fail_on {
                FailOn::Never => None,
                FailOn::Error => Some(Severity::Error),
                FailOn::Warning => Some(Severity::Warning),
                FailOn::Info => Some(Severity::Info),
            };
            match (threshold, worst) {
                (Some(t), Some(w)) if w >= t => 1,
                _ => 0,
            }
        }
        Err(e) => {
            eprint!("{}", render_error(&e, use_color()));
            eprintln!("Nothing was published.");
            2
        }
    }
}

fn report_command(args: ReportArgs) -> i32 {
    match crate::run::rebuild_summary(&args.out, args.run.as_deref()) {
        Ok(dir) => {
            println!("Rebuilt the summaries in {} from the history.", dir.display());
            0
        }
        Err(e) => {
            eprint!("{}", render_error(&e, use_color()));
            2
        }
    }
}

fn check_command(args: CheckArgs) -> i32 {
    let today = chrono::Local::now().date_naive();
    match crate::spec::validate::check(&args.paths, today, &crate::kinds::REGISTRY) {
        Ok(checked) => {
            let report = formats::CheckReport {
                files: &checked.files,
                diagnostics: &checked.diagnostics,
            };
            print!("{}", formats::check(&report, args.format, stdout_color()));
            i32::from(!checked.diagnostics.is_empty())
        }
        Err(e) => {
            eprint!("{}", render_error(&e, use_color()));
            2
        }
    }
}

fn test_command(args: TestArgs) -> i32 {
    match crate::cli::examples::test(&args.paths, args.as_of) {
        Ok(run) => {
            let cases: Vec<formats::TestCase> = run
                .results
                .into_iter()
                .map(|t| formats::TestCase {
                    suite: t.subject,
                    name: t.name,
                    file: t.file,
                    span: t.span,
                    outcome: match t.failure {
                        None => formats::TestOutcome::Passed,
                        Some(message) => formats::TestOutcome::Failed { message },
                    },
                })
                .collect();
            print!("{}", formats::tests(&cases, args.format, stdout_color()));
            if !run.untested.is_empty() {
                eprintln!(
                    "note: {} with no examples: {}",
                    plural(run.untested.len() as u64, "rule or correction", "rules and corrections"),
                    run.untested.join(", ")
                );
            }
            let failed = cases.iter().any(|c| c.outcome != formats::TestOutcome::Passed);
            i32::from(failed)
        }
        Err(e) => {
            eprint!("{}", render_error(&e, use_color()));
            2
        }
    }
}

fn generate_command(args: GenerateArgs) -> i32 {
    if let Some(people) = args.people {
        let opts = cleanse_generate::people::PeopleOptions {
            seed: args.seed,
            people,
            as_of: args.as_of,
        };
        return match cleanse_generate::people::generate_people(&opts, &args.out) {
            Ok(s) => {
                println!(
                    "Wrote {} records of {} people ({} true duplicate pairs) to {}; truth in {}",
                    count(s.records as u64),
                    count(s.people as u64),
                    count(s.true_pairs),
                    args.out.join("people.csv").display(),
                    args.out.join("people_truth.csv").display()
                );
                0
            }
            Err(e) => {
                eprintln!("error: {}: {e}", args.out.display());
                2
            }
        };
    }
    if let Some(children) = args.ssda903 {
        return generate_ssda903(&args, children);
    }
    if let Some(children) = args.cin {
        return generate_cin(&args, children);
    }
    let opts = cleanse_generate::GenOptions {
        seed: args.seed,
        children: args.children,
        as_of: args.as_of,
        tables: args.tables,
        plant: !args.clean,
    };
    if let Some(nights) = args.nights {
        let rules = args
            .rules
            .clone()
            .unwrap_or_else(|| PathBuf::from("rules/annex-a.yaml"));
        return match cleanse_generate::generate_nights(&opts, usize::from(nights), &rules, &args.out) {
            Ok(written) => {
                for (date, summary) in &written {
                    let rows: usize = summary.rows.iter().map(|(_, n)| n).sum();
                    println!(
                        "{date}  {:>9} rows  {:>5} planted problems  {}",
                        count(rows as u64),
                        count(summary.planted as u64),
                        args.out.join(date.to_string()).join("cleanse.yaml").display()
                    );
                }
                0
            }
            Err(e) => {
                eprintln!("error: {}: {e}", args.out.display());
                2
            }
        };
    }
    match cleanse_generate::generate(&opts, &args.out) {
        Ok(summary) => {
            for (table, rows) in &summary.rows {
                println!(
                    "{:>12} rows  {}",
                    count(*rows as u64),
                    args.out.join(format!("{table}.csv")).display()
                );
            }
            println!(
                "{:>12} planted problems and {} expected corrections listed in {}",
                count(summary.planted as u64),
                count(summary.changes as u64),
                args.out.join("ground_truth.csv").display()
            );
            if args.workbook {
                match cleanse_generate::write_workbook(&args.out, &summary) {
                    Ok(path) => println!("{:>12}  {}", "workbook", path.display()),
                    Err(e) => {
                        eprintln!("error: {}: {e}", args.out.join(cleanse_generate::WORKBOOK).display());
                        return 2;
                    }
                }
            }
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            2
        }
    }
}

/// `cleanse generate --ssda903 N`.
fn generate_ssda903(args: &GenerateArgs, children: usize) -> i32 {
    use chrono::Datelike;
    let year = if args.as_of.month() >= 4 {
        args.as_of.year()
    } else {
        args.as_of.year() - 1
    };
    let opts = cleanse_generate::ssda903::Ssda903Options {
        seed: args.seed,
        children,
        year,
        plant: !args.clean,
        last_year: args.last_year,
    };
    let label = format!("{year}-{:02}", (year + 1) % 100);
    let rules = args
        .rules
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("rules/ssda903/{label}.yaml")));
    match cleanse_generate::ssda903::generate_ssda903(&opts, &rules, &args.out) {
        Ok(s) => {
            for (file, rows) in &s.rows {
                println!("{:>12} rows  {}", count(*rows as u64), args.out.join(file).display());
            }
            let last: usize = s.last_rows.iter().map(|(_, n)| n).sum();
            if args.last_year {
                println!(
                    "{:>12} rows  last year's return in {}",
                    count(last as u64),
                    args.out.join("last").display()
                );
            }
            println!(
                "{:>12} postcodes in {} (the ONS directory's layout, fictional areas)",
                count(s.postcodes as u64),
                args.out.join("postcodes.csv").display()
            );
            println!(
                "{:>12} providers in {} (Ofsted's combined provider list's layout)",
                count(s.providers as u64),
                args.out.join("ofsted-providers.xlsx").display()
            );
            println!(
                "{:>12} lines in {}; configuration {}",
                count(s.planted as u64),
                args.out.join("ground_truth.csv").display(),
                args.out.join("cleanse.yaml").display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            2
        }
    }
}

/// `cleanse generate --cin N`.
fn generate_cin(args: &GenerateArgs, children: usize) -> i32 {
    use chrono::Datelike;
    let year = if args.as_of.month() >= 4 {
        args.as_of.year()
    } else {
        args.as_of.year() - 1
    };
    let opts = cleanse_generate::cin::CinOptions {
        seed: args.seed,
        children,
        year,
        plant: !args.clean,
    };
    let label = format!("{year}-{:02}", (year + 1) % 100);
    let rules = args
        .rules
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("rules/cin/{label}.yaml")));
    match cleanse_generate::cin::generate_cin(&opts, &rules, &args.out) {
        Ok(s) => {
            let census = args.out.join(cleanse_generate::cin::CENSUS_FILE);
            for (table, rows) in &s.rows {
                println!("{:>12} rows  {table}", count(*rows as u64));
            }
            println!("{:>12}  {}", "census", census.display());
            println!(
                "{:>12} lines ({} children) in {}; configuration {}",
                count(s.planted as u64),
                count(s.planted_children as u64),
                args.out.join("ground_truth.csv").display(),
                args.out.join("cleanse.yaml").display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            2
        }
    }
}

/// `cleanse explain`: 0 explained, 1 nothing has that name, 2 the configured packs do not load.
fn explain_command(args: ExplainArgs) -> i32 {
    // Kinds and codes need no configuration, so a missing default one is not an error here.
    let config = args
        .config
        .or_else(|| Some(PathBuf::from("cleanse.yaml")).filter(|p| p.is_file()));
    let set = match config.as_deref().map(configured_packs) {
        None => None,
        Some(Ok(set)) => Some(set),
        Some(Err(diags)) => {
            eprint!("{}", crate::model::diag::render(&diags, use_color()));
            // Still explain a kind or code: often the very code the packs just failed with.
            if let Ok(text) = crate::cli::docs::explain(&args.name, None) {
                print!("{text}");
            }
            eprintln!("The rule packs could not be loaded, so their rules and corrections were not searched.");
            return 2;
        }
    };
    match crate::cli::docs::explain(&args.name, set.as_ref()) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

/// `cleanse rules`: 0 listed, 2 the configured packs do not load.
fn rules_command(args: RulesArgs) -> i32 {
    let config = args.config.unwrap_or_else(|| PathBuf::from("cleanse.yaml"));
    if !config.is_file() && config == std::path::Path::new("cleanse.yaml") {
        eprintln!("error: there is no cleanse.yaml here; pass --config PATH");
        return 2;
    }
    match configured_packs(&config) {
        Ok(set) => {
            print!("{}", crate::cli::docs::rules_list(&set));
            0
        }
        Err(diags) => {
            eprint!("{}", crate::model::diag::render(&diags, use_color()));
            2
        }
    }
}

/// A configuration's rule packs, validated as a run validates them, without reading its exports.
fn configured_packs(
    config: &std::path::Path,
) -> Result<crate::spec::rules::RuleSet, Vec<crate::model::diag::Diagnostic>> {
    let config = match crate::spec::config::Config::parse(config, crate::spec::config::Reach::Packs) {
        (Some(config), diags) if diags.is_empty() => config,
        (_, diags) => return Err(diags),
    };
    let as_of = config.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    crate::spec::validate::packs_for(&config, as_of, &crate::kinds::REGISTRY)
}

fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Render any error for a person: positioned diagnostics for files they wrote.
pub fn render_error(e: &Error, color: bool) -> String {
    match e {
        Error::Rules(diags) => crate::model::diag::render(diags, color),
        Error::Input(problems) => problems.iter().map(|p| format!("error: {p}\n")).collect(),
        Error::Rule { .. } | Error::Io { .. } | Error::History { .. } | Error::Refused { .. } => {
            format!("error: {e}\n")
        }
    }
}

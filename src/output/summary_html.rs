//! `summary.html`: the manager's summary as one self-contained page.
//!
//! Built from the same figures as `summary.md` (a [`RunReport`] and the history's [`Insight`]),
//! so it holds counts and the rule packs' own wording only, never a record value. Everything it
//! needs is inline: the styles, the charts (SVG and CSS bars) and no script, so it opens from an
//! email attachment or a shared drive with no network, prints on A4 and reads on a phone. A
//! Content-Security-Policy forbids any request, so a future edit cannot add one unnoticed.
//!
//! Every figure a test or a dashboard might compare carries `data-figure` (a stable name) and
//! `data-value` (the raw number) beside its formatted text.

use std::fmt::Write as _;

use crate::model::table::Severity;
use crate::output::history::{Insight, TrendPoint};
use crate::output::report::{
    BREAKDOWN_ROWS, RunReport, correction_kind_label, corrections_by_kind, count, is_return_level, long_date, notes,
    percent, plural, top_rules,
};

/// Colour-blind-safe line colours (Okabe–Ito), each with a dash pattern so lines stay apart
/// when printed in grey.
const SERIES: [(&str, &str); 7] = [
    ("#0072b2", ""),
    ("#e69f00", "6 3"),
    ("#009e73", "2 3"),
    ("#cc79a7", "8 3 2 3"),
    ("#56b4e9", "4 4"),
    ("#d55e00", "1 2"),
    ("#7a6a00", "10 4"),
];

const STYLE: &str = r#"
:root { --ink: #1b1b1b; --muted: #555; --line: #d6d6d6; --panel: #f4f5f7; --accent: #0b4f8a;
  --error: #a4262c; --warning: #8a5300; --note: #225e8c; --good: #1e6b35; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; border-bottom: 3px solid var(--accent); padding-bottom: .75rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; line-height: 1.2; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; }
p { margin: .4rem 0; }
.lede { color: var(--muted); margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .6rem; margin: .8rem 0; }
.card { background: var(--panel); border-radius: 6px; padding: .6rem .8rem; border-left: 4px solid var(--accent); }
.card .n { display: block; font-size: 1.7rem; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }
.card .l { display: block; color: var(--muted); font-size: .9rem; }
.card.error { border-left-color: var(--error); } .card.good { border-left-color: var(--good); }
.card.warning { border-left-color: var(--warning); } .card.note { border-left-color: var(--note); }
.wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--panel); }
tbody th[scope=row] { background: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; width: 6rem; height: .7rem; background: #e4e6ea; border-radius: 2px;
  vertical-align: middle; margin-right: .4rem; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.bar.good > span { background: var(--good); } .bar.error > span { background: var(--error); }
.bar.warning > span { background: var(--warning); } .bar.note > span { background: var(--note); }
.sev { display: inline-block; font-size: .8rem; font-weight: 600; padding: 0 .4rem; border-radius: 3px;
  border: 1px solid currentColor; white-space: nowrap; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.info { color: var(--note); }
.severity { list-style: none; padding: 0; margin: .5rem 0; }
.severity li { display: grid; grid-template-columns: 6rem 1fr 4.5rem; align-items: center; gap: .5rem; margin: .25rem 0; }
.severity .bar { width: 100%; height: 1rem; margin: 0; }
.severity .num { text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
ol.rules { list-style: none; padding: 0; margin: .5rem 0; }
ol.rules li { border: 1px solid var(--line); border-radius: 6px; padding: .55rem .75rem; margin: .5rem 0; break-inside: avoid; }
ol.rules .head { display: flex; flex-wrap: wrap; gap: .3rem .6rem; align-items: baseline; }
ol.rules .count { font-weight: 700; font-size: 1.15rem; font-variant-numeric: tabular-nums; }
ol.rules .msg { font-weight: 600; margin: .2rem 0; }
ol.rules .meaning { color: var(--muted); margin: .15rem 0 0; }
code { white-space: nowrap; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .88em;
  background: var(--panel); padding: 0 .2rem; border-radius: 3px; }
.muted { color: var(--muted); }
figure { margin: .8rem 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9rem; }
ul.legend { list-style: none; padding: 0; margin: .4rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .9rem; }
ul.legend svg { width: 2rem; height: .8rem; vertical-align: middle; margin-right: .3rem; }
.outside { color: var(--error); font-weight: 600; }
footer { margin-top: 2.5rem; padding-top: .75rem; padding-bottom: 2rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .85rem; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  h1 { font-size: 1.35rem; }
  .card .n { font-size: 1.4rem; }
  th, td { padding: .3rem .35rem; }
  td .bar { display: none; }
  figure svg text { font-size: 22px; }
  /* Wide tables stack: a block per row, each cell headed by its column's name. */
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 2px solid var(--line); padding: .3rem 0; }
  table.stack th[scope=row] { display: block; background: none; border: 0; padding: .2rem 0; }
  table.stack td { display: block; border: 0; padding: .1rem 0; text-align: right; white-space: normal; }
  table.stack td::before { content: attr(data-label); color: var(--muted); float: left; margin-right: 1rem; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 9.5pt; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  ol.rules { columns: 2; column-gap: .8rem; }
  ol.rules li { margin: 0 0 .5rem; }
  header, main, footer { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.2rem; }
  h3 { break-after: avoid; }
  tr, .card, figure, ol.rules li { break-inside: avoid; page-break-inside: avoid; }
  .wrap { overflow: visible; }
  .card, th, .bar, .bar > span, code { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// The whole page.
pub fn summary_html(r: &RunReport, insight: &Insight) -> String {
    let mut h = Html::default();
    let title = format!("Data quality summary: {}", r.name);
    h.raw(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n",
    );
    let _ = writeln!(
        h.0,
        "<meta name=\"generator\" content=\"Cleanse {}\">",
        esc(&r.tool_version)
    );
    let _ = writeln!(h.0, "<title>{} ({})</title>", esc(&title), esc(&long_date(&r.as_of)));
    let _ = writeln!(h.0, "<style>{STYLE}</style>\n</head>\n<body>");
    header(&mut h, r, &title);
    h.raw("<main>\n");
    glance(&mut h, r);
    since_previous(&mut h, insight);
    by_list(&mut h, r);
    common_problems(&mut h, r);
    whole_list_checks(&mut h, r);
    corrections(&mut h, r);
    people(&mut h, r, insight);
    breakdowns(&mut h, r);
    let notes = notes(r);
    if !notes.is_empty() {
        h.raw("<section id=\"notes\">\n<h2>Notes</h2>\n<ul>\n");
        for n in notes {
            let _ = writeln!(h.0, "<li>{}</li>", inline_markdown(&n));
        }
        h.raw("</ul>\n</section>\n");
    }
    h.raw("</main>\n");
    let _ = writeln!(
        h.0,
        "<footer><p>Produced by Cleanse {} (run <code>{}</code>). Record-level detail is in <code>exceptions.csv</code>, \
         <code>rejected/</code> and <code>corrected/</code>; this summary holds no names, dates of birth or identifiers.</p></footer>",
        esc(&r.tool_version),
        esc(&r.run_id)
    );
    h.raw("</body>\n</html>\n");
    h.0
}

/// The page under construction, with the few shapes every section uses.
#[derive(Default)]
struct Html(String);

impl Html {
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// A count with its stable name, formatted for reading.
    fn figure(&mut self, name: &str, n: u64) {
        let _ = write!(
            self.0,
            "<span data-figure=\"{}\" data-value=\"{n}\">{}</span>",
            esc(name),
            count(n)
        );
    }

    fn card(&mut self, class: &str, name: &str, n: u64, label: &str) {
        let _ = write!(self.0, "<div class=\"card {class}\"><span class=\"n\">");
        self.figure(name, n);
        let _ = writeln!(self.0, "</span><span class=\"l\">{}</span></div>", esc(label));
    }

    /// A numeric table cell.
    fn cell(&mut self, name: &str, n: u64) {
        self.labelled_cell("", name, n);
    }

    /// A numeric cell of a table that stacks on a phone: `label` is its column's heading.
    fn labelled_cell(&mut self, label: &str, name: &str, n: u64) {
        let _ = write!(self.0, "<td class=\"num\" data-label=\"{}\">", esc(label));
        self.figure(name, n);
        self.raw("</td>");
    }

    /// A horizontal bar, `part` of `whole`.
    fn bar(&mut self, class: &str, part: u64, whole: u64) {
        let width = if whole == 0 {
            0.0
        } else {
            part as f64 * 100.0 / whole as f64
        };
        let _ = write!(
            self.0,
            "<span class=\"bar {class}\" aria-hidden=\"true\"><span style=\"width:{width:.1}%\"></span></span>"
        );
    }
}

fn header(h: &mut Html, r: &RunReport, title: &str) {
    let packs: Vec<String> = r
        .rule_packs
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    let _ = writeln!(
        h.0,
        "<header>\n<h1>{}</h1>\n<p class=\"lede\">Records as of <strong>{}</strong>, checked against {} ({}).</p>\n</header>",
        esc(title),
        esc(&long_date(&r.as_of)),
        esc(&plural(r.rule_packs.len() as u64, "rule pack", "rule packs")),
        esc(&packs.join(", "))
    );
}

fn glance(h: &mut Html, r: &RunReport) {
    let rows = r.total(|t| t.rows_in);
    let clean = r.total(|t| t.corrected);
    let held = r.total(|t| t.rejected);
    let (errors, warnings, infos) = (r.total(|t| t.errors), r.total(|t| t.warnings), r.total(|t| t.infos));
    h.raw("<section id=\"glance\">\n<h2>At a glance</h2>\n<div class=\"cards\">\n");
    h.card(
        "",
        "records",
        rows,
        &format!("records checked in {}", plural(r.tables.len() as u64, "list", "lists")),
    );
    h.card(
        "good",
        "clean",
        clean,
        &format!("clean ({}): in the corrected files", percent(clean, rows)),
    );
    h.card(
        "error",
        "held-back",
        held,
        &format!("held back ({}) for the data team", percent(held, rows)),
    );
    h.card("warning", "problems", errors + warnings + infos, "problems found");
    h.raw("</div>\n<h3>Problems by severity</h3>\n<ul class=\"severity\">\n");
    let most = errors.max(warnings).max(infos);
    for (class, name, label, n) in [
        ("error", "errors", "Errors", errors),
        ("warning", "warnings", "Warnings", warnings),
        ("note", "notes", "Notes", infos),
    ] {
        let _ = write!(h.0, "<li><span>{label}</span>");
        h.bar(class, n, most);
        h.raw("<span class=\"num\">");
        h.figure(name, n);
        h.raw("</span></li>\n");
    }
    h.raw(
        "</ul>\n<p class=\"muted\">Errors hold a record back; warnings are worth fixing but the record is still used; \
         notes are for information.</p>\n</section>\n",
    );
}

fn since_previous(h: &mut Html, insight: &Insight) {
    h.raw("<section id=\"since\">\n");
    let Some(previous) = &insight.previous else {
        h.raw(
            "<h2>Since the last run</h2>\n<p>This is the first run in the history: from the next run on, this section \
             says which problems are new, which were resolved and which are still open, and draws the trend.</p>\n</section>\n",
        );
        return;
    };
    let _ = writeln!(
        h.0,
        "<h2>Since the last run <span class=\"muted\">({})</span></h2>\n<div class=\"cards\">",
        esc(&long_date(&previous.as_of))
    );
    h.card("error", "new", insight.new, "new problems");
    h.card("good", "resolved", insight.resolved, "problems resolved");
    h.card("warning", "still-open", insight.still_open, "problems still open");
    if insight.from_new_rules > 0 {
        h.card(
            "note",
            "from-new-rules",
            insight.from_new_rules,
            "found by rules new since then (not counted as new)",
        );
    }
    h.raw("</div>\n");
    if !insight.by_table.is_empty() {
        h.raw(
            "<div class=\"wrap\"><table>\n<thead><tr><th>List</th><th class=\"num\">New</th><th class=\"num\">Resolved</th>\
             <th class=\"num\">Still open</th></tr></thead>\n<tbody>\n",
        );
        for t in &insight.by_table {
            let _ = write!(h.0, "<tr><td>{}</td>", esc(&t.table));
            h.cell(&format!("since:{}:new", t.table), t.new);
            h.cell(&format!("since:{}:resolved", t.table), t.resolved);
            h.cell(&format!("since:{}:still-open", t.table), t.still_open);
            h.raw("</tr>\n");
        }
        h.raw("</tbody></table></div>\n");
    }
    h.raw(
        "<p class=\"muted\">Open problems are those still in the records: values this run corrected, and checks that \
         could not be made, are not counted.</p>\n",
    );
    trend(h, &insight.trend);
    h.raw("</section>\n");
}

/// The trend of open problems: a line for the total and one per list, oldest run on the left.
fn trend(h: &mut Html, points: &[TrendPoint]) {
    if points.len() < 2 {
        return;
    }
    let mut tables: Vec<&str> = points
        .iter()
        .flat_map(|p| p.by_table.keys().map(String::as_str))
        .collect();
    tables.sort_unstable();
    tables.dedup();
    let (first, last) = (&points[0], &points[points.len() - 1]);
    let _ = writeln!(
        h.0,
        "<h3>Open problems over the last {} runs</h3>\n<figure>",
        points.len()
    );
    let (w, ht, left, right, top, bottom) = (640.0, 260.0, 64.0, 14.0, 14.0, 40.0);
    let max = points.iter().map(|p| p.open).max().unwrap_or(0);
    let step = nice_step(max);
    let ceiling = (max.div_ceil(step).max(1) * step) as f64;
    let x = |i: usize| left + (w - left - right) * i as f64 / (points.len() - 1) as f64;
    let y = |v: u64| top + (ht - top - bottom) * (1.0 - v as f64 / ceiling);
    let _ = writeln!(
        h.0,
        "<svg viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-labelledby=\"trend-title trend-desc\">\n\
         <title id=\"trend-title\">Open problems per run</title>\n\
         <desc id=\"trend-desc\">{} open on {}, {} open on {}.</desc>",
        count(first.open),
        esc(&long_date(&first.as_of)),
        count(last.open),
        esc(&long_date(&last.as_of))
    );
    // Grid and axis labels.
    let mut v = 0;
    while v as f64 <= ceiling {
        let _ = writeln!(
            h.0,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d6d6d6\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - right,
            left - 8.0,
            y(v) + 4.0,
            count(v),
            y = y(v)
        );
        v += step;
    }
    let mut labels = vec![0, points.len() - 1];
    if points.len() > 4 {
        labels.insert(1, (points.len() - 1) / 2);
    }
    for (n, &i) in labels.iter().enumerate() {
        let anchor = match n {
            0 => "start",
            _ if i == points.len() - 1 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            h.0,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#555\">{}</text>",
            x(i),
            ht - 10.0,
            esc(&short_date(&points[i].as_of))
        );
    }
    // One line per list, then the total on top.
    for (k, table) in tables.iter().enumerate() {
        let (colour, dash) = SERIES[k % SERIES.len()];
        let values: Vec<Option<u64>> = points.iter().map(|p| p.by_table.get(*table).copied()).collect();
        let _ = writeln!(
            h.0,
            "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.75\" stroke-dasharray=\"{dash}\"><title>{}</title></path>",
            path(&values, &x, &y),
            esc(table)
        );
    }
    let totals: Vec<Option<u64>> = points.iter().map(|p| Some(p.open)).collect();
    let _ = writeln!(
        h.0,
        "<path d=\"{}\" fill=\"none\" stroke=\"#1b1b1b\" stroke-width=\"3\"><title>All lists</title></path>",
        path(&totals, &x, &y)
    );
    if points.len() <= 31 {
        for (i, p) in points.iter().enumerate() {
            let _ = writeln!(
                h.0,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#1b1b1b\"><title>{}: {} open</title></circle>",
                x(i),
                y(p.open),
                esc(&long_date(&p.as_of)),
                count(p.open)
            );
        }
    }
    h.raw("</svg>\n<ul class=\"legend\">\n");
    let swatch = |colour: &str, dash: &str, width: f64| {
        format!(
            "<svg viewBox=\"0 0 32 12\" aria-hidden=\"true\"><line x1=\"0\" x2=\"32\" y1=\"6\" y2=\"6\" stroke=\"{colour}\" \
             stroke-width=\"{width}\" stroke-dasharray=\"{dash}\"/></svg>"
        )
    };
    let _ = write!(h.0, "<li>{}All lists: ", swatch("#1b1b1b", "", 3.0));
    h.figure("trend:total", last.open);
    h.raw("</li>\n");
    for (k, table) in tables.iter().enumerate() {
        let (colour, dash) = SERIES[k % SERIES.len()];
        let _ = write!(h.0, "<li>{}{}: ", swatch(colour, dash, 2.0), esc(table));
        h.figure(
            &format!("trend:{table}"),
            last.by_table.get(*table).copied().unwrap_or(0),
        );
        h.raw("</li>\n");
    }
    let _ = writeln!(
        h.0,
        "</ul>\n<figcaption>Open problems at each run from {} to {}, in total and by list (latest figures in the key).</figcaption>\n</figure>",
        esc(&long_date(&first.as_of)),
        esc(&long_date(&last.as_of))
    );
}

/// An SVG path through the values, broken where a run had no figure for the series.
fn path(values: &[Option<u64>], x: &dyn Fn(usize) -> f64, y: &dyn Fn(u64) -> f64) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_string()
}

/// A grid step of 1, 2 or 5 times a power of ten giving four or five lines up to `max`.
fn nice_step(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if max <= step * m * 4 {
                return step * m;
            }
        }
        step *= 10;
    }
}

fn short_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_or(iso.to_string(), |d| d.format("%-d %b %Y").to_string())
}

fn by_list(h: &mut Html, r: &RunReport) {
    h.raw(
        "<section id=\"lists\">\n<h2>By list</h2>\n<div class=\"wrap\"><table class=\"stack\">\n<thead><tr><th>List</th>\
         <th class=\"num\">Records</th><th class=\"num\">Clean</th><th class=\"num\">Held back</th><th class=\"num\">Errors</th>\
         <th class=\"num\">Warnings</th><th class=\"num\">Notes</th></tr></thead>\n<tbody>\n",
    );
    for t in &r.tables {
        let name = &t.table;
        let _ = write!(h.0, "<tr><th scope=\"row\">{}</th>", esc(name));
        h.labelled_cell("Records", &format!("table:{name}:records"), t.rows_in);
        h.raw("<td class=\"num\" data-label=\"Clean\">");
        h.bar("good", t.corrected, t.rows_in);
        h.figure(&format!("table:{name}:clean"), t.corrected);
        let _ = write!(
            h.0,
            " <span class=\"muted\">({})</span></td>",
            percent(t.corrected, t.rows_in)
        );
        h.labelled_cell("Held back", &format!("table:{name}:held-back"), t.rejected);
        h.labelled_cell("Errors", &format!("table:{name}:errors"), t.errors);
        h.labelled_cell("Warnings", &format!("table:{name}:warnings"), t.warnings);
        h.labelled_cell("Notes", &format!("table:{name}:notes"), t.infos);
        h.raw("</tr>\n");
    }
    h.raw("</tbody></table></div>\n</section>\n");
}

fn common_problems(h: &mut Html, r: &RunReport) {
    h.raw("<section id=\"problems\">\n<h2>The most common problems</h2>\n");
    let top = top_rules(r);
    if top.is_empty() {
        h.raw("<p>No problems found.</p>\n</section>\n");
        return;
    }
    h.raw("<ol class=\"rules\">\n");
    for c in top.iter().take(10) {
        let list = if c.table.is_empty() {
            "any list"
        } else {
            c.table.as_str()
        };
        let class = match c.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        h.raw("<li><div class=\"head\"><span class=\"count\">");
        h.figure(&format!("rule:{}:findings", c.id), c.findings);
        let _ = writeln!(
            h.0,
            "</span><span class=\"sev {class}\">{}</span><span class=\"muted\">{} · <code>{}</code></span></div>\n\
             <p class=\"msg\">{}</p>",
            c.severity.as_str(),
            esc(list),
            esc(&c.id),
            esc(&c.message)
        );
        if !c.docs.is_empty() {
            let _ = writeln!(
                h.0,
                "<p class=\"meaning\"><strong>In practice:</strong> {}</p>",
                inline_markdown(&c.docs)
            );
        }
        h.raw("</li>\n");
    }
    h.raw("</ol>\n");
    if top.len() > 10 {
        let _ = writeln!(
            h.0,
            "<p class=\"muted\">{} more rules found problems; <code>exceptions.csv</code> lists every one.</p>",
            count(top.len() as u64 - 10)
        );
    }
    h.raw("</section>\n");
}

fn whole_list_checks(h: &mut Html, r: &RunReport) {
    let whole: Vec<_> = r.rules.iter().filter(|c| is_return_level(c)).collect();
    if whole.is_empty() {
        return;
    }
    h.raw(
        "<section id=\"whole-list\">\n<h2>Whole-list checks</h2>\n<div class=\"wrap\"><table class=\"stack\">\n<thead><tr><th>Check</th>\
         <th>List</th><th>Measured</th><th>Result</th></tr></thead>\n<tbody>\n",
    );
    for c in whole {
        let result = match &c.not_run {
            Some(why) => format!("not checked: {}", esc(why)),
            None if c.measured.is_none() => "not run: no export".to_string(),
            None if c.findings > 0 => format!(
                "<span class=\"outside\">outside the limit</span> ({}, <code>{}</code>)",
                c.severity.as_str(),
                esc(&c.id)
            ),
            None => "within the limit".to_string(),
        };
        let _ = writeln!(
            h.0,
            "<tr><th scope=\"row\">{}</th><td data-label=\"List\">{}</td><td data-label=\"Measured\">{}</td>\
             <td data-label=\"Result\" data-figure=\"check:{}:outside\" data-value=\"{}\">{result}</td></tr>",
            esc(&c.message),
            esc(&c.table),
            esc(c.measured.as_deref().unwrap_or("")),
            esc(&c.id),
            u64::from(c.not_run.is_none() && c.findings > 0)
        );
    }
    h.raw("</tbody></table></div>\n</section>\n");
}

fn corrections(h: &mut Html, r: &RunReport) {
    if r.corrections.is_empty() {
        return;
    }
    let changed = r.total(|t| t.cells_changed);
    let proposed = r.total(|t| t.changes_proposed);
    let conflicts = r.total(|t| t.conflicts);
    let fixed: u64 = r.rules.iter().map(|c| c.corrected).sum();
    h.raw("<section id=\"corrections\">\n<h2>Corrections</h2>\n<div class=\"cards\">\n");
    h.card("good", "corrections:applied", changed, "values corrected automatically");
    h.card(
        "good",
        "corrections:problems-resolved",
        fixed,
        "problems resolved by them",
    );
    h.card(
        "note",
        "corrections:proposed",
        proposed,
        "changes proposed for review, not applied",
    );
    if conflicts > 0 {
        h.card(
            "warning",
            "corrections:conflicts",
            conflicts,
            "values left as they were: two corrections disagreed",
        );
    }
    h.raw(
        "</div>\n<div class=\"wrap\"><table class=\"stack\">\n<thead><tr><th>Kind of correction</th><th class=\"num\">Applied</th>\
         <th class=\"num\">Proposed</th><th class=\"num\">Conflicts</th></tr></thead>\n<tbody>\n",
    );
    for (kind, n) in corrections_by_kind(r) {
        let _ = write!(h.0, "<tr><th scope=\"row\">{}</th>", esc(&correction_kind_label(kind)));
        h.labelled_cell("Applied", &format!("corrections:{kind}:applied"), n.applied);
        h.labelled_cell("Proposed", &format!("corrections:{kind}:proposed"), n.proposed);
        h.labelled_cell("Conflicts", &format!("corrections:{kind}:conflicts"), n.conflicts);
        h.raw("</tr>\n");
    }
    h.raw("</tbody></table></div>\n");
    if proposed > 0 {
        h.raw("<p class=\"muted\">Proposed changes are applied by a run with <code>--apply review</code>.</p>\n");
    }
    h.raw(
        "<p class=\"muted\">Every change is listed in <code>changes.csv</code> (old and new value, rule, file and line) so it \
         can be made in the case-management system too.</p>\n</section>\n",
    );
}

/// Duplicate people: counts only, as in `summary.md`.
fn people(h: &mut Html, r: &RunReport, insight: &Insight) {
    if r.people.is_empty() {
        return;
    }
    h.raw("<section id=\"people\">\n<h2>Duplicate people</h2>\n");
    for p in &r.people {
        let id = esc(&p.rule_id);
        let _ = writeln!(
            h.0,
            "<p>The {} list (<code>{id}</code>): {} records are {} people.</p>\n<div class=\"cards\">",
            esc(&p.table),
            count(p.records),
            count(p.people)
        );
        h.card(
            if p.duplicate_records > 0 { "warning" } else { "good" },
            &format!("people:{id}:duplicate-records"),
            p.duplicate_records,
            "records are another record of the same person",
        );
        h.card(
            "note",
            &format!("people:{id}:pairs-for-review"),
            p.pairs_for_review,
            "pairs may be the same person: a reviewer decides",
        );
        h.card("good", &format!("people:{id}:merged"), p.merged, "records merged");
        h.raw("</div>\n");
    }
    if insight.people_trend.len() > 1 {
        h.raw(
            "<div class=\"wrap\"><table class=\"stack\">\n<thead><tr><th>Records as of</th><th class=\"num\">Duplicate records</th>\
             <th class=\"num\">Pairs for review</th><th class=\"num\">Merged</th></tr></thead>\n<tbody>\n",
        );
        for p in &insight.people_trend {
            let _ = write!(h.0, "<tr><th scope=\"row\">{}</th>", esc(&long_date(&p.as_of)));
            h.labelled_cell(
                "Duplicate records",
                &format!("people-trend:{}:duplicate-records", p.as_of),
                p.duplicate_records,
            );
            h.labelled_cell(
                "Pairs for review",
                &format!("people-trend:{}:pairs-for-review", p.as_of),
                p.pairs_for_review,
            );
            h.labelled_cell("Merged", &format!("people-trend:{}:merged", p.as_of), p.merged);
            h.raw("</tr>\n");
        }
        h.raw("</tbody></table></div>\n");
    }
    h.raw(
        "<p class=\"muted\">Who they are is in <code>duplicates.csv</code> and <code>person_clusters.csv</code>, never in this summary.</p>\n</section>\n",
    );
}

fn breakdowns(h: &mut Html, r: &RunReport) {
    for (k, b) in r.breakdown.iter().enumerate() {
        let label = capitalise(&b.label);
        let _ = writeln!(
            h.0,
            "<section id=\"breakdown-{k}\">\n<h2>{} by {}</h2>",
            esc(&capitalise(&b.table)),
            esc(&b.label)
        );
        if b.personal {
            let _ = writeln!(
                h.0,
                "<p class=\"muted\">The {} values are personal data, so they are not shown: each group is one value, \
                 numbered by how many problems it has.</p>",
                esc(&b.label)
            );
        }
        let _ = writeln!(
            h.0,
            "<div class=\"wrap\"><table>\n<thead><tr><th>{}</th><th class=\"num\">Records</th><th class=\"num\">Held back</th>\
             <th>Problems</th></tr></thead>\n<tbody>",
            esc(&label)
        );
        let most = b.groups.iter().map(|g| g.findings).max().unwrap_or(0);
        for (i, g) in b.groups.iter().take(BREAKDOWN_ROWS).enumerate() {
            let _ = write!(h.0, "<tr><td>{}</td>", esc(&g.value));
            h.cell(&format!("breakdown:{k}:{i}:records"), g.records);
            h.cell(&format!("breakdown:{k}:{i}:held-back"), g.rejected);
            h.raw("<td class=\"num\">");
            h.bar("warning", g.findings, most);
            h.figure(&format!("breakdown:{k}:{i}:problems"), g.findings);
            h.raw("</td></tr>\n");
        }
        h.raw("</tbody></table></div>\n");
        if b.groups.len() > BREAKDOWN_ROWS {
            let _ = writeln!(
                h.0,
                "<p class=\"muted\">{} more; <code>summary.json</code> lists every one.</p>",
                count((b.groups.len() - BREAKDOWN_ROWS) as u64)
            );
        }
        h.raw("</section>\n");
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Text for HTML, attributes included.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The packs' and the notes' prose, escaped, with `code` spans (their only Markdown).
fn inline_markdown(s: &str) -> String {
    // An odd backtick out: keep the text as it is, lose no character.
    if s.matches('`').count() % 2 == 1 {
        return esc(s);
    }
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped_and_code_spans_survive() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(
            inline_markdown("see `a<b` & more"),
            "see <code>a&lt;b</code> &amp; more"
        );
        assert_eq!(inline_markdown("odd ` one"), "odd ` one");
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(4), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(52), 20);
        assert_eq!(nice_step(88), 50);
        assert_eq!(nice_step(1_000), 500);
        assert_eq!(nice_step(1_001), 500);
        assert_eq!(nice_step(2_001), 1_000);
    }

    #[test]
    fn a_series_breaks_where_a_run_has_no_figure() {
        let x = |i: usize| i as f64;
        let y = |v: u64| v as f64;
        assert_eq!(
            path(&[Some(1), None, Some(3), Some(4)], &x, &y),
            "M0.0,1.0 M2.0,3.0 L3.0,4.0"
        );
    }
}

//! The census file, written as it is made: the header, then each child's elements in the
//! schema's order, one element to a line (so a planted problem's line is known as it is
//! written), into a reused buffer. No document is built.
//!
//! A planted problem that lives in the text rather than the record (an element left out or
//! misspelt, a date written day first, a value that is not a code) is a [`Glitch`] the writer
//! applies to the one element it names.

use std::io::{self, Write};

use chrono::Datelike;

use crate::render::{Day, nd, push_uint};

use super::calendar::Window;
use super::codes::LEA;
use super::journeys::Child;
use super::plants::Mark;

/// The pack's tables (`rules/cin/`) but the header, each the rows of one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    ChildIdentifiers,
    ChildCharacteristics,
    Disabilities,
    CinDetails,
    Assessments,
    AssessmentFactors,
    CinPlanDates,
    Section47,
    ChildProtectionPlans,
    Reviews,
}

impl Tab {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tab::ChildIdentifiers => "child_identifiers",
            Tab::ChildCharacteristics => "child_characteristics",
            Tab::Disabilities => "disabilities",
            Tab::CinDetails => "cin_details",
            Tab::Assessments => "assessments",
            Tab::AssessmentFactors => "assessment_factors",
            Tab::CinPlanDates => "cin_plan_dates",
            Tab::Section47 => "section47",
            Tab::ChildProtectionPlans => "child_protection_plans",
            Tab::Reviews => "reviews",
        }
    }
}

/// Which row of a table within one child: the episode, the item in it (assessment, plan,
/// enquiry, protection plan; or the disability), and the item in that (factor, review).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct At {
    pub(crate) ep: u8,
    pub(crate) item: u8,
    pub(crate) sub: u8,
}

impl At {
    pub(crate) const CHILD: At = At { ep: 0, item: 0, sub: 0 };

    pub(crate) fn ep(ep: usize) -> At {
        At {
            ep: ep as u8,
            item: 0,
            sub: 0,
        }
    }

    pub(crate) fn item(ep: usize, item: usize) -> At {
        At {
            ep: ep as u8,
            item: item as u8,
            sub: 0,
        }
    }

    pub(crate) fn sub(ep: usize, item: usize, sub: usize) -> At {
        At {
            ep: ep as u8,
            item: item as u8,
            sub: sub as u8,
        }
    }
}

/// How one element is written other than as the record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Left out.
    Omit,
    /// Written under another name.
    Rename(&'static str),
    /// A date written dd/mm/yyyy, as a spreadsheet would.
    DayFirst,
    /// This text instead of the value.
    Text(&'static str),
    /// Written with no value.
    Empty,
}

/// A [`Fault`] in one element of one row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glitch {
    pub(crate) tab: Tab,
    pub(crate) at: At,
    pub(crate) element: &'static str,
    pub(crate) fault: Fault,
}

/// How a child's `LAchildID` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum IdForm {
    /// `NF` and the id number.
    #[default]
    Plain,
    /// `NF-` and the number (not alphanumeric, 1580).
    Hyphen,
    /// The council's name and the number zero-padded, 21 characters (over 20, 1570).
    Long,
}

/// Append the child's `LAchildID` as written.
pub(crate) fn push_id(buf: &mut Vec<u8>, id: u32, form: IdForm) {
    match form {
        IdForm::Plain => buf.extend_from_slice(b"NF"),
        IdForm::Hyphen => buf.extend_from_slice(b"NF-"),
        IdForm::Long => {
            buf.extend_from_slice(b"NORTHFIELD");
            push_uint(buf, u64::from(id), 11);
            return;
        }
    }
    push_uint(buf, u64::from(id), 6);
}

/// A value to write.
#[derive(Clone, Copy)]
enum Val<'a> {
    Date(Day),
    Text(&'a str),
    Uint(u64),
    Id(u32, IdForm),
}

fn push_date(buf: &mut Vec<u8>, d: Day, day_first: bool) {
    let date = nd(d);
    let (y, m, dd) = (
        date.year().unsigned_abs() as u64,
        u64::from(date.month()),
        u64::from(date.day()),
    );
    if day_first {
        push_uint(buf, dd, 2);
        buf.push(b'/');
        push_uint(buf, m, 2);
        buf.push(b'/');
        push_uint(buf, y, 4);
    } else {
        push_uint(buf, y, 4);
        buf.push(b'-');
        push_uint(buf, m, 2);
        buf.push(b'-');
        push_uint(buf, dd, 2);
    }
}

fn push_text(buf: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => buf.extend_from_slice(b"&amp;"),
            b'<' => buf.extend_from_slice(b"&lt;"),
            b'>' => buf.extend_from_slice(b"&gt;"),
            _ => buf.push(b),
        }
    }
}

/// The document being written: lines so far, and the child being written.
pub(crate) struct Doc<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Lines written (the next line is `line + 1`).
    line: usize,
    /// Rows written per table ([`Tab`] as index).
    records: [usize; 10],
}

/// Where the child's identifiers were written, for a later plant that points back at them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lines {
    /// The row's place in `child_identifiers` (from 1).
    pub(crate) record: usize,
    pub(crate) identifiers: usize,
    pub(crate) id: usize,
    pub(crate) upn: usize,
}

/// One child being written: its glitches and the marks whose places are filled in.
struct Sink<'a> {
    buf: &'a mut Vec<u8>,
    line: usize,
    records: &'a mut [usize; 10],
    glitches: &'a [Glitch],
    marks: &'a mut [Mark],
}

impl Sink<'_> {
    fn indent(&mut self, depth: usize) {
        self.buf.extend(std::iter::repeat_n(b' ', depth * 2));
    }

    fn open(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
        self.line += 1;
    }

    fn close(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
        self.line += 1;
    }

    /// Open an element that is a row of `tab`.
    fn row(&mut self, depth: usize, name: &str, tab: Tab, at: At) {
        self.open(depth, name);
        self.note_row(tab, at, self.line);
    }

    /// Count a row of `tab` written on `line`, and note its place in the marks on it.
    fn note_row(&mut self, tab: Tab, at: At, line: usize) {
        self.records[tab as usize] += 1;
        for m in self.marks.iter_mut() {
            if m.row == (tab, at) && m.line == 0 {
                m.line = line;
                m.record = self.records[tab as usize];
            }
        }
    }

    /// Write `<name>value</name>` in row `(tab, at)`, as any glitch on it says. Returns the
    /// element's line (0 if left out).
    fn el(&mut self, depth: usize, tab: Tab, at: At, name: &'static str, v: Val) -> usize {
        let fault = self
            .glitches
            .iter()
            .find(|g| g.tab == tab && g.at == at && g.element == name)
            .map(|g| g.fault);
        if fault == Some(Fault::Omit) {
            return 0;
        }
        let shown = match fault {
            Some(Fault::Rename(n)) => n,
            _ => name,
        };
        self.indent(depth);
        self.buf.push(b'<');
        self.buf.extend_from_slice(shown.as_bytes());
        self.buf.push(b'>');
        match (fault, v) {
            (Some(Fault::Empty), _) => {}
            (Some(Fault::Text(t)), _) => push_text(self.buf, t),
            (_, Val::Date(d)) => push_date(self.buf, d, fault == Some(Fault::DayFirst)),
            (_, Val::Text(t)) => push_text(self.buf, t),
            (_, Val::Uint(n)) => push_uint(self.buf, n, 1),
            (_, Val::Id(id, form)) => push_id(self.buf, id, form),
        }
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(shown.as_bytes());
        self.buf.extend_from_slice(b">\n");
        self.line += 1;
        for m in self.marks.iter_mut() {
            if m.elem == (tab, at, name) && m.element_line == 0 {
                m.element_line = self.line;
                m.element = shown;
            }
        }
        self.line
    }

    /// An element that is itself a row (a disability, a factor, a review date).
    fn row_el(&mut self, depth: usize, tab: Tab, at: At, name: &'static str, v: Val) {
        let line = self.el(depth, tab, at, name, v);
        if line > 0 {
            self.note_row(tab, at, line);
        }
    }

    fn opt_date(&mut self, depth: usize, tab: Tab, at: At, name: &'static str, d: Option<Day>) {
        if let Some(d) = d {
            self.el(depth, tab, at, name, Val::Date(d));
        }
    }
}

impl<W: Write> Doc<W> {
    /// Start the document: the declaration and the header (the census year ending on `w.end`,
    /// made `made` days after it at the hour and minute given).
    pub(crate) fn start(out: W, w: Window, made: (Day, u32, u32)) -> io::Result<Doc<W>> {
        let mut d = Doc {
            out,
            buf: Vec::with_capacity(1 << 14),
            line: 0,
            records: [0; 10],
        };
        let mut date = Vec::with_capacity(10);
        push_date(&mut date, w.end, false);
        let mut stamp = Vec::with_capacity(19);
        push_date(&mut stamp, made.0, false);
        stamp.push(b'T');
        push_uint(&mut stamp, u64::from(made.1), 2);
        stamp.push(b':');
        push_uint(&mut stamp, u64::from(made.2), 2);
        stamp.extend_from_slice(b":00");
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Message>\n  <Header>\n    <CollectionDetails>\n      <Collection>CIN</Collection>\n      \
             <Year>{year}</Year>\n      <ReferenceDate>{date}</ReferenceDate>\n    </CollectionDetails>\n    \
             <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>{LEA}</LEA>\n      \
             <SoftwareCode>Northfield Case Management</SoftwareCode>\n      <Release>7.4.2</Release>\n      \
             <SerialNo>001</SerialNo>\n      <DateTime>{stamp}</DateTime>\n    </Source>\n  </Header>\n  \
             <Children>\n",
            year = w.year + 1,
            date = String::from_utf8_lossy(&date),
            stamp = String::from_utf8_lossy(&stamp),
        );
        d.line = text.bytes().filter(|&b| b == b'\n').count();
        d.out.write_all(text.as_bytes())?;
        Ok(d)
    }

    /// Write one child, filling in the places of `marks` (the row's place in its table and its
    /// line, and the planted element's line, or the row's when it is left out).
    pub(crate) fn child(
        &mut self,
        c: &Child,
        id_form: IdForm,
        glitches: &[Glitch],
        marks: &mut [Mark],
    ) -> io::Result<Lines> {
        self.buf.clear();
        let mut s = Sink {
            buf: &mut self.buf,
            line: self.line,
            records: &mut self.records,
            glitches,
            marks,
        };
        let mut lines = Lines::default();
        let ci = (Tab::ChildIdentifiers, At::CHILD);
        s.open(2, "Child");
        s.row(3, "ChildIdentifiers", ci.0, ci.1);
        lines.identifiers = s.line;
        lines.record = s.records[Tab::ChildIdentifiers as usize];
        lines.id = s.el(4, ci.0, ci.1, "LAchildID", Val::Id(c.id, id_form));
        if let Some(u) = &c.upn {
            lines.upn = s.el(4, ci.0, ci.1, "UPN", Val::Text(std::str::from_utf8(u).unwrap_or("")));
        }
        if let Some(u) = &c.former_upn {
            s.el(
                4,
                ci.0,
                ci.1,
                "FormerUPN",
                Val::Text(std::str::from_utf8(u).unwrap_or("")),
            );
        }
        if let Some(u) = c.upn_unknown {
            s.el(4, ci.0, ci.1, "UPNunknown", Val::Text(u));
        }
        s.opt_date(4, ci.0, ci.1, "PersonBirthDate", c.born);
        s.opt_date(4, ci.0, ci.1, "ExpectedPersonBirthDate", c.expected);
        s.el(4, ci.0, ci.1, "Sex", Val::Text(c.sex));
        s.opt_date(4, ci.0, ci.1, "PersonDeathDate", c.death);
        s.close(3, "ChildIdentifiers");

        let cc = (Tab::ChildCharacteristics, At::CHILD);
        s.row(3, "ChildCharacteristics", cc.0, cc.1);
        s.el(4, cc.0, cc.1, "Ethnicity", Val::Text(c.ethnicity));
        if c.has_disabilities {
            s.open(4, "Disabilities");
            for (k, d) in c.disabilities.as_slice().iter().enumerate() {
                s.row_el(5, Tab::Disabilities, At::item(0, k), "Disability", Val::Text(d));
            }
            s.close(4, "Disabilities");
        }
        s.close(3, "ChildCharacteristics");

        for (ep, e) in c.episodes().iter().enumerate() {
            let (t, at) = (Tab::CinDetails, At::ep(ep));
            s.row(3, "CINdetails", t, at);
            s.el(4, t, at, "CINreferralDate", Val::Date(e.referral));
            s.el(4, t, at, "ReferralSource", Val::Text(e.source));
            if let Some(n) = e.need {
                s.el(4, t, at, "PrimaryNeedCode", Val::Text(n));
            }
            s.opt_date(4, t, at, "CINclosureDate", e.closure);
            if let Some(r) = e.reason {
                s.el(4, t, at, "ReasonForClosure", Val::Text(r));
            }
            s.opt_date(4, t, at, "DateOfInitialCPC", e.icpc);
            for (k, a) in e.assessments.iter().enumerate() {
                let (t, at) = (Tab::Assessments, At::item(ep, k));
                s.row(4, "Assessments", t, at);
                s.el(5, t, at, "AssessmentActualStartDate", Val::Date(a.start));
                s.opt_date(5, t, at, "AssessmentInternalReviewDate", a.review);
                s.opt_date(5, t, at, "AssessmentAuthorisationDate", a.auth);
                if !a.factors.is_empty() {
                    s.open(5, "FactorsIdentifiedAtAssessment");
                    for (f, code) in a.factors.as_slice().iter().enumerate() {
                        s.row_el(
                            6,
                            Tab::AssessmentFactors,
                            At::sub(ep, k, f),
                            "AssessmentFactors",
                            Val::Text(code),
                        );
                    }
                    s.close(5, "FactorsIdentifiedAtAssessment");
                }
                s.close(4, "Assessments");
            }
            for (k, p) in e.plans.iter().enumerate() {
                let (t, at) = (Tab::CinPlanDates, At::item(ep, k));
                s.row(4, "CINPlanDates", t, at);
                s.el(5, t, at, "CINPlanStartDate", Val::Date(p.start));
                s.opt_date(5, t, at, "CINPlanEndDate", p.end);
                s.close(4, "CINPlanDates");
            }
            for (k, q) in e.s47s.iter().enumerate() {
                let (t, at) = (Tab::Section47, At::item(ep, k));
                s.row(4, "Section47", t, at);
                s.el(5, t, at, "S47ActualStartDate", Val::Date(q.start));
                s.opt_date(5, t, at, "InitialCPCtarget", q.target);
                s.opt_date(5, t, at, "DateOfInitialCPC", q.icpc);
                let flag = if q.not_required { "true" } else { "false" };
                s.el(5, t, at, "ICPCnotRequired", Val::Text(flag));
                s.close(4, "Section47");
            }
            s.el(4, t, at, "ReferralNFA", Val::Text(if e.nfa { "true" } else { "false" }));
            for (k, p) in e.cpps.iter().enumerate() {
                let (t, at) = (Tab::ChildProtectionPlans, At::item(ep, k));
                s.row(4, "ChildProtectionPlans", t, at);
                s.el(5, t, at, "CPPstartDate", Val::Date(p.start));
                s.opt_date(5, t, at, "CPPendDate", p.end);
                s.el(5, t, at, "InitialCategoryOfAbuse", Val::Text(p.initial));
                s.el(5, t, at, "LatestCategoryOfAbuse", Val::Text(p.latest));
                s.el(5, t, at, "NumberOfPreviousCPP", Val::Uint(u64::from(p.previous)));
                if !p.reviews.is_empty() {
                    s.open(5, "Reviews");
                    for (r, d) in p.reviews.as_slice().iter().enumerate() {
                        s.row_el(6, Tab::Reviews, At::sub(ep, k, r), "CPPreviewDate", Val::Date(*d));
                    }
                    s.close(5, "Reviews");
                }
                s.close(4, "ChildProtectionPlans");
            }
            s.close(3, "CINdetails");
        }
        s.close(2, "Child");
        self.line = s.line;
        for m in s.marks.iter_mut() {
            if m.element_line == 0 {
                m.element_line = m.line;
            }
        }
        self.out.write_all(&self.buf)?;
        Ok(lines)
    }

    /// End the document and hand back the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"  </Children>\n</Message>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

//! Writing one table's CSV file as the council's system exports it (a UTF-8 BOM, CRLF line
//! ends, Windows-1252), counting the physical line each record starts on.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::render::{V, render};
use crate::tables::{HEADERS, TABLE_COUNT, TABLE_NAMES};

/// How a table's source system exports it.
struct Export {
    bom: bool,
    crlf: bool,
    cp1252: bool,
}

const fn export(bom: bool, crlf: bool, cp1252: bool) -> Export {
    Export { bom, crlf, cp1252 }
}

/// By table (in `TABLE_NAMES` order): children plain; contacts with a UTF-8 BOM; early help
/// with a BOM; referrals in Windows-1252 with CRLF; assessments with CRLF; section 47 enquiries
/// with CRLF; children in need plain; plans plain (their quirk is in the headers); children in
/// care with CRLF; care leavers with a BOM; adoptions plain; adopters with a BOM and CRLF.
const EXPORTS: [Export; TABLE_COUNT] = [
    export(false, false, false),
    export(true, false, false),
    export(true, false, false),
    export(false, true, true),
    export(false, true, false),
    export(false, true, false),
    export(false, false, false),
    export(false, false, false),
    export(false, true, false),
    export(true, false, false),
    export(false, false, false),
    export(true, true, false),
];

/// One table's CSV file being written: each row rendered into a reused buffer, encoded as the
/// table's system does, and counted by the physical line it starts on (for the ground truth).
pub(crate) struct ExportWriter {
    pub(crate) index: usize,
    pub(crate) out: BufWriter<Box<dyn Write>>,
    /// The row being written, as UTF-8.
    buf: Vec<u8>,
    /// Windows-1252 encoder and its output buffer.
    cp1252: Option<(encoding_rs::Encoder, Vec<u8>)>,
    eol: &'static [u8],
    /// Physical line on which the next record starts.
    line: usize,
    /// Line breaks inside the last record's fields.
    inner_breaks: usize,
    pub(crate) rows: usize,
}

impl ExportWriter {
    pub(crate) fn create(dir: &Path, index: usize) -> io::Result<Self> {
        let file = File::create(dir.join(format!("{}.csv", TABLE_NAMES[index])))?;
        Self::to(Box::new(file), index)
    }

    /// A table made only for what it plants (another table needs to know), its rows thrown
    /// away.
    pub(crate) fn sink(index: usize) -> io::Result<Self> {
        Self::to(Box::new(io::sink()), index)
    }

    fn to(file: Box<dyn Write>, index: usize) -> io::Result<Self> {
        let export = &EXPORTS[index];
        let mut out = BufWriter::with_capacity(1 << 18, file);
        if export.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut table = ExportWriter {
            index,
            out,
            buf: Vec::with_capacity(512),
            cp1252: export
                .cp1252
                .then(|| (encoding_rs::WINDOWS_1252.new_encoder(), Vec::with_capacity(512))),
            eol: if export.crlf { b"\r\n" } else { b"\n" },
            line: 1,
            inner_breaks: 0,
            rows: 0,
        };
        let header: Vec<V> = HEADERS[index].iter().map(|h| V::Text(h)).collect();
        table.write_row(&header)?;
        table.rows = 0;
        Ok(table)
    }

    /// Write one record; returns the line it starts on.
    pub(crate) fn write_row(&mut self, values: &[V]) -> io::Result<usize> {
        self.buf.clear();
        self.inner_breaks = 0;
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            match *v {
                V::Text(s) if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) => {
                    self.buf.push(b'"');
                    for b in s.bytes() {
                        if b == b'"' {
                            self.buf.push(b'"');
                        }
                        self.inner_breaks += usize::from(b == b'\n');
                        self.buf.push(b);
                    }
                    self.buf.push(b'"');
                }
                _ => render(&mut self.buf, v),
            }
        }
        self.buf.extend_from_slice(self.eol);
        self.flush_row()
    }

    /// The physical line the next record starts on.
    pub(crate) fn next_line(&self) -> usize {
        self.line
    }

    /// Write the last record again (an exact duplicate row).
    pub(crate) fn repeat_row(&mut self) -> io::Result<usize> {
        self.flush_row()
    }

    fn flush_row(&mut self) -> io::Result<usize> {
        match &mut self.cp1252 {
            Some((encoder, encoded)) => {
                let text = std::str::from_utf8(&self.buf).map_err(io::Error::other)?;
                encoded.clear();
                encoded.reserve(text.len());
                let (result, _) = encoder.encode_from_utf8_to_vec_without_replacement(text, encoded, true);
                if result != encoding_rs::EncoderResult::InputEmpty {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("cannot encode {text:?} in Windows-1252: {result:?}"),
                    ));
                }
                self.out.write_all(encoded)?;
            }
            None => self.out.write_all(&self.buf)?,
        }
        let start = self.line;
        self.line += 1 + self.inner_breaks;
        self.rows += 1;
        Ok(start)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::testing::checker::pack;
    use crate::testing::{Sheet, file, gen_in, normalise, opts};

    #[test]
    fn exports_carry_their_quirks() {
        let (dir, summary, _) = gen_in(&opts(42, 1000), "quirks");
        let children = file(&dir, "children.csv");
        let contacts = file(&dir, "contacts.csv");
        let referrals = file(&dir, "referrals.csv");
        let assessments = file(&dir, "assessments.csv");
        let plans = file(&dir, "cp_plans.csv");
        // BOM only on contacts.
        assert!(contacts.starts_with(b"\xEF\xBB\xBFChild Unique ID,"));
        assert!(
            [&children, &referrals, &assessments, &plans]
                .iter()
                .all(|f| f.starts_with(b"Child") || f.starts_with(b"  CHILD"))
        );
        // LF-only files have no CR at all; CRLF files end every record with CRLF.
        for f in [&children, &contacts, &plans] {
            assert!(!f.contains(&b'\r'));
        }
        let lf = |f: &[u8]| f.iter().filter(|&&b| b == b'\n').count();
        let crlf = |f: &[u8]| f.windows(2).filter(|w| w == b"\r\n").count();
        let rows: HashMap<_, _> = summary.rows.iter().cloned().collect();
        assert_eq!(crlf(&referrals), lf(&referrals));
        assert_eq!(crlf(&referrals), rows["referrals"] + 1);
        assert_eq!(crlf(&assessments), rows["assessments"] + 1);
        assert_eq!(lf(&assessments), rows["assessments"] + 2, "one embedded newline");
        assert!(String::from_utf8_lossy(&assessments).contains("\"Northfield Assessment\nTeam 2\""));
        // Windows-1252: é and ë as single bytes, so not UTF-8; the extra LA Code column.
        assert!(std::str::from_utf8(&referrals).is_err());
        assert!(referrals.contains(&0xE9) && referrals.contains(&0xEB));
        let (text, _, errors) = encoding_rs::WINDOWS_1252.decode(&referrals);
        assert!(!errors && text.contains("Chloé Martin") && !text.contains("&#"));
        assert!(text.starts_with("Child Unique ID,") && text.lines().next().unwrap().ends_with(",LA Code"));
        assert!(text.lines().skip(1).take(50).all(|l| l.ends_with(",NFD")));
        // Names outside Windows-1252 live in the UTF-8 children file.
        assert!(String::from_utf8(children.clone()).unwrap().contains("Łukasz"));
        // CP plan headers are messy but normalise to the pack's.
        let pack = pack();
        let sheet = Sheet::read(&dir, "cp_plans");
        let want: Vec<String> = pack.tables["cp_plans"].1.iter().map(|c| normalise(&c.header)).collect();
        let got: Vec<String> = sheet.header.iter().map(|h| normalise(h)).collect();
        assert_eq!(got, want);
        assert!(
            sheet
                .header
                .iter()
                .zip(&pack.tables["cp_plans"].1)
                .filter(|(h, c)| **h != c.header)
                .count()
                >= 10
        );
        // Quoting: the team with a comma.
        assert!(String::from_utf8_lossy(&plans).contains(",\"Northfield Safeguarding, Court and Review Team\","));
    }
}

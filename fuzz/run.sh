#!/usr/bin/env bash
# Build the AFL++ targets and fuzz each in turn for SECONDS (default 600), at low priority.
#
#   fuzz/run.sh [seconds-per-target] [target...]     # targets: csv values rules sql (default: all)
#
# Needs cargo-afl (`cargo install cargo-afl`, which builds AFL++ from the sources it ships, offline);
# see fuzz/README.md. Output goes to fuzz/out/<target>/ (queue, crashes/, hangs/); a target's
# second run resumes its queue. AFL++'s figures are printed at the end, with the CPU time of each
# target's processes (fuzzer, fork server and persistent-mode children, sampled from /proc by
# cpu.py, as /usr/bin/time cannot see the children afl-fuzz kills), kept in out/<target>/cpu.json.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv values rules sql)

# Optimise the instrumented build at -O1 with 16 codegen units: DataFusion is large, and
# cargo-afl's default (-O3, one codegen unit for every crate) takes hours on two cores.
export AFL_OPT_LEVEL=${AFL_OPT_LEVEL:-1}
export RUSTFLAGS="${RUSTFLAGS:--C codegen-units=16}"
nice -n 19 cargo afl build --release

# Containers rarely let us set core_pattern or CPU frequency; AFL++ works without them.
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export AFL_AUTORESUME=1 AFL_NO_UI=1
# Do not set AFL_FUZZER_LOOPCOUNT: with it, AFL++ 4.40c and afl.rs 0.18 record a "crash" (SIGSEGV)
# each time a persistent-mode process ends its loop, which no input reproduces.

for t in "${targets[@]}"; do
    # The loader and SQL targets start a DataFusion session per input: allow them longer.
    case $t in rules | sql) timeout_ms=10000 ;; *) timeout_ms=1000 ;; esac
    mkdir -p "out/$t"
    echo "== $t: ${secs}s"
    python3 cpu.py "$t" > "out/$t/cpu.json" &
    sampler=$!
    nice -n 19 cargo afl fuzz -i "corpus/$t" -o "out/$t" -x "dict/$t.dict" \
        -t "$timeout_ms" -V "$secs" -- "target/release/$t" > "out/$t/afl.log" 2>&1 || true
    kill "$sampler"
    wait "$sampler" 2> /dev/null || true
done

echo
printf '%-8s %8s %12s %8s %8s %8s\n' target cpu-min execs paths crashes hangs
for t in "${targets[@]}"; do
    s=out/$t/default/fuzzer_stats
    [ -f "$s" ] || { echo "$t: no fuzzer_stats (see out/$t/afl.log)"; continue; }
    get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$s"; }
    cpu=$(python3 -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["cpu_seconds"] / 60))' "out/$t/cpu.json")
    printf '%-8s %8s %12s %8s %8s %8s\n' "$t" "$cpu" "$(get execs_done)" "$(get corpus_count)" \
        "$(get saved_crashes)" "$(get saved_hangs)"
done

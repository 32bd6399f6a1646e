#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default 1,000,000) on the nightly
# toolchain with cargo-fuzz, and prints each target's execution count and result.
# The committed seeds in corpus/<target>/ are read; what the fuzzer finds new goes to
# target/corpus/<target>/ (not committed); crashes to artifacts/<target>/.
# Usage: fuzz/run-all.sh [RUNS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
runs="${1:-1000000}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build --release >/dev/null || exit 1
mkdir -p logs
printf '%-20s %12s %10s %s\n' target execs seconds result
for t in "${targets[@]}"; do
  start=$(date +%s)
  mkdir -p "target/corpus/$t"
  cargo +nightly fuzz run --release "$t" "target/corpus/$t" "corpus/$t" -- -runs="$runs" -max_len=4096 -rss_limit_mb=2048 \
    >"logs/$t.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(grep -oE 'Done [0-9]+ runs' "logs/$t.log" | grep -oE '[0-9]+' | tail -1)
  result=ok
  [ $rc -eq 0 ] || result="FINDING (exit $rc, see logs/$t.log)"
  printf '%-20s %12s %10s %s\n' "$t" "${execs:-?}" "$secs" "$result"
done

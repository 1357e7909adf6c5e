#!/usr/bin/env bash
# Runs the rt-tests suite N times in a row (default 10) and stops at the first
# failure: the evidence that the timing tests hold on a noisy machine.
# Logs go to target/soak/run-<i>.log; each run's precise_sleep reports are kept.
#
#   ci/soak.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
mkdir -p target/soak
# The controls run upstream's CLI built from the pristine crates.
[ -x target/upstream/wasmer ] || cargo xtask upstream build
cargo build --release --locked -p rt-tests --tests --bins
for i in $(seq 1 "$runs"); do
    start=$(date +%s)
    if cargo test --release --locked -p rt-tests -- --nocapture >"target/soak/run-$i.log" 2>&1; then
        echo "run $i/$runs: green ($(( $(date +%s) - start )) s)"
    else
        echo "run $i/$runs: RED, see target/soak/run-$i.log"
        grep -E "^test .* FAILED|panicked" "target/soak/run-$i.log" | head -20
        exit 1
    fi
done
echo "$runs consecutive green runs"

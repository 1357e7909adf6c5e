#!/usr/bin/env bash
# Runs the CI jitter gate locally, exactly as CI does (`cargo xtask ci` runs it
# too): rt-report's periodic loop, the patched guest against the native loop of
# the same run, bounds from ci/jitter-bounds.toml [gate]. The report, its JSON
# and the plot land in target/rt-report/jitter-gate.{hist.txt,json,svg}.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo xtask jitter-gate

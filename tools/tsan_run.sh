#!/usr/bin/env bash
# Runs a test under ThreadSanitizer with the project's suppressions (tools/tsan.supp);
# --config=tsan runs every test through it (--run_under in .bazelrc).
self="${BASH_SOURCE[0]}"
supp="$self.runfiles/cachelab/tools/tsan.supp"
[ -f "$supp" ] || supp="$(dirname "$self")/tsan.supp"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}suppressions=$supp"
exec "$@"

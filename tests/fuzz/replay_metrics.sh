#!/bin/sh
# make check: run fuzz_metrics's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_metrics "$srcdir/tests/fuzz/corpus/fuzz_metrics" \
    "$srcdir/tests/fuzz/crashes/fuzz_metrics"

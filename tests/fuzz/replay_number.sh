#!/bin/sh
# make check: run fuzz_number's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_number "$srcdir/tests/fuzz/corpus/fuzz_number" \
    "$srcdir/tests/fuzz/crashes/fuzz_number"

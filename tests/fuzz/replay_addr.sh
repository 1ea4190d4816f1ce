#!/bin/sh
# make check: run fuzz_addr's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_addr "$srcdir/tests/fuzz/corpus/fuzz_addr" \
    "$srcdir/tests/fuzz/crashes/fuzz_addr"

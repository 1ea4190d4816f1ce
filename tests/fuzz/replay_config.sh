#!/bin/sh
# make check: run fuzz_config's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_config "$srcdir/tests/fuzz/corpus/fuzz_config" \
    "$srcdir/tests/fuzz/crashes/fuzz_config"

#!/bin/sh
# make check: run fuzz_proxy's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_proxy "$srcdir/tests/fuzz/corpus/fuzz_proxy" \
    "$srcdir/tests/fuzz/crashes/fuzz_proxy"

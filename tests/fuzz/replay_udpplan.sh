#!/bin/sh
# make check: run fuzz_udpplan's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_udpplan "$srcdir/tests/fuzz/corpus/fuzz_udpplan" \
    "$srcdir/tests/fuzz/crashes/fuzz_udpplan"

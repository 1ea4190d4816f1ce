#!/bin/sh
# make check: run fuzz_udpguard's seed corpus and every crash it ever found
# through the target, built without libFuzzer (tests/fuzz/README).
exec tests/fuzz/replay_udpguard "$srcdir/tests/fuzz/corpus/fuzz_udpguard" \
    "$srcdir/tests/fuzz/crashes/fuzz_udpguard"

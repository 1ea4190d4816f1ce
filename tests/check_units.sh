#!/bin/sh
# make check: systemd-analyze verify accepts contrib/evecho.service (as
# make built it, ExecStart naming the installed binary) and
# contrib/evecho.socket, with no error and no warning.  verify wants
# ExecStart's program to exist, so it reads a copy of the service whose
# ExecStart runs the evecho just built; and it runs man for
# Documentation=, so that finds man/evecho.1.  Skipped (77) where
# systemd-analyze is not installed; CI installs systemd, so not there.
set -u

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "check_units: skipped: systemd-analyze not found (apt-get install systemd)"
	exit 77
fi
for v in EVECHO EVECHO_SERVICE EVECHO_SOCKET EVECHO_BINDIR; do
	eval "val=\${$v:-}"
	if [ -z "$val" ]; then
		echo "check_units: $v is not set; run me through make check"
		exit 99
	fi
done

want="ExecStart=$EVECHO_BINDIR/evecho"
if ! grep -qx "$want" "$EVECHO_SERVICE"; then
	echo "FAIL: $EVECHO_SERVICE has no line $want:"
	grep -n 'ExecStart' "$EVECHO_SERVICE"
	exit 1
fi
if grep -n '@[a-z_]*@' "$EVECHO_SERVICE"; then
	echo "FAIL: $EVECHO_SERVICE has a variable left unsubstituted"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evecho-units.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
sed "s|^$want\$|ExecStart=$EVECHO|" "$EVECHO_SERVICE" >"$tmp/evecho.service" &&
    cp "$EVECHO_SOCKET" "$tmp/evecho.socket" || exit 99
if command -v man >/dev/null 2>&1; then
	mkdir -p "$tmp/man/man1" &&
	    cp "$srcdir/man/evecho.1" "$tmp/man/man1/evecho.1" || exit 99
	man=--man=yes
	MANPATH=$tmp/man
	export MANPATH
else
	echo "check_units: man not found: not checking Documentation="
	man=--man=no
fi

# verify exits 0 on unknown keys and bad values, which it only prints:
# anything it prints fails the test.
systemd-analyze verify $man "$tmp/evecho.socket" "$tmp/evecho.service" \
    >"$tmp/out" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ -s "$tmp/out" ]; then
	echo "FAIL: systemd-analyze verify exited $rc:"
	cat "$tmp/out"
	exit 1
fi
echo "PASS: systemd-analyze verify accepts evecho.service and evecho.socket"
exit 0

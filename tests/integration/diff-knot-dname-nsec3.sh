#!/bin/sh
# diff-knot-dname.sh with both zones signed by both servers from the same
# keys, denial by NSEC3 (NSEC3 owners are no names below the apex DNAME).
DIFF_DNSSEC=nsec3
export DIFF_DNSSEC
exec bash "$top_srcdir/tests/integration/diff-knot-dname.sh" "$@"

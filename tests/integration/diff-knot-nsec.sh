#!/bin/sh
# diff-knot.sh with example.org signed by both servers from the same keys,
# denial by NSEC: the DO=1 answers must agree.
DIFF_DNSSEC=nsec
export DIFF_DNSSEC
exec bash "$top_srcdir/tests/integration/diff-knot.sh" "$@"

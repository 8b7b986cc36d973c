#!/bin/sh
# diff-knot-dname.sh with both zones signed by both servers from the same
# keys, denial by NSEC: the DNAME's RRSIG goes with it, the synthesised
# CNAME is unsigned.
DIFF_DNSSEC=nsec
export DIFF_DNSSEC
exec bash "$top_srcdir/tests/integration/diff-knot-dname.sh" "$@"

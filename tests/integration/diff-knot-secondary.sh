#!/bin/sh
# diff-knot.sh with gslbd as Knot's secondary: the zone gslbd took by AXFR
# must answer every query as Knot, which loads it from the file, does.
DIFF_SECONDARY=1
export DIFF_SECONDARY
exec bash "$top_srcdir/tests/integration/diff-knot.sh" "$@"

#!/bin/sh
# diff-knot.sh on DNAME (RFC 6672): a DNAME below the apex of example.com
# (dname.zone) and at the apex of example. (dname-apex.zone), with their
# chains, loops, wildcards, delegations, targets out of the zone and
# substitutions too long; also glue under a sibling delegation and a CNAME
# loop through a wildcard. DIFF_DNSSEC as in diff-knot.sh
# (diff-knot-dname-nsec.sh).
DIFF_ZONES="example.com:dname.zone example:dname-apex.zone"
DIFF_QUERIES=dname-queries.txt
export DIFF_ZONES DIFF_QUERIES
exec bash "$top_srcdir/tests/integration/diff-knot.sh" "$@"

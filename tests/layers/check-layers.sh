#!/bin/sh
# Dependencies point one way. Every project include ("dir/file.h") in a
# source file must name a layer at or below the file's own (see
# gslbd/ARCHITECTURE.md). Layers, lowest first:
#   common                 log, allocation, errors, addresses, YAML tree
#   geo, zones             GeoIP lookups and compiled maps; zone files
#   gslbd/conf             gslbd.conf into a struct config
#   gslbd/dns              wire, answers, policies, snapshots
#   gslbd/control          health, reports, admin, explain, metrics, status
#   gslbd/net, gslbd/main  listeners, workers, HTTP API, startup
# ctl/ (gslbctl) and probes/ (gslb-probe) are programs of their own that may
# use common/ only. geo/ and zones/ never include each other.
# Fails (exit 1) naming every include that points up or across.
set -eu
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"

# rank DIR: the layer of a folder; allowed FROM TO: may FROM include TO?
rank() {
	case "$1" in
	common) echo 0 ;;
	geo | zones) echo 1 ;;
	gslbd/conf) echo 2 ;;
	gslbd/dns) echo 3 ;;
	gslbd/control) echo 4 ;;
	gslbd/net | gslbd) echo 5 ;;
	ctl | probes) echo P ;;
	*) echo X ;;
	esac
}
allowed() {
	from=$1 to=$2
	[ "$from" = "$to" ] && return 0
	rf=$(rank "$from") rt=$(rank "$to")
	[ "$rf" = X ] || [ "$rt" = X ] && return 1
	if [ "$rf" = P ]; then [ "$rt" = 0 ]; return; fi
	[ "$rt" = P ] && return 1
	[ "$rf" = 1 ] && [ "$rt" = 1 ] && return 1 # geo and zones are siblings
	[ "$rt" -le "$rf" ]
}

bad=0
files=$(find common geo zones gslbd ctl probes -name '*.[ch]' | sort)
for f in $files; do
	from=$(dirname "$f")
	for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		to=$(dirname "$inc")
		if [ "$to" = . ]; then
			echo "$f: includes \"$inc\" without its folder" >&2
			bad=1
		elif ! allowed "$from" "$to"; then
			echo "$f: includes \"$inc\": $from may not depend on $to" >&2
			bad=1
		fi
	done
	if grep -q '^#[[:space:]]*include[[:space:]]*"config\.h"' "$f"; then
		echo "$f: includes \"config.h\"; autoconf's header is <config.h>" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "layers: $(echo "$files" | wc -l) files, every include points down"
exit "$bad"

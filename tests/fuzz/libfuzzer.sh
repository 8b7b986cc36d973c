#!/bin/sh
# Build the fuzz targets with clang's libFuzzer (+ASan/UBSan) and run one.
#   tests/fuzz/libfuzzer.sh answer|zone|report|http|xfr|journal [SECONDS]
# Builds out of tree in ./build-fuzz; new inputs that find bugs are written
# to the current directory as crash-*.
set -eu
target=${1:-answer}
secs=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p build-fuzz
cd build-fuzz
if [ ! -f Makefile ]; then
	"$src/configure" -q CC=clang --enable-debug --enable-sanitizers \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link"
fi
# fuzz_http.c includes the server's own file; it needs the accept guard.
extra=
[ "$target" = http ] && extra="$src/gslbd/net/accept_guard.c"
make -j"$(nproc)" gslbd/control/libcontrol.a gslbd/dns/libdns.a gslbd/conf/libconf.a zones/libzones.a geo/libgeo.a common/libcommon.a >/dev/null
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -I"$src" -I. \
	-DFUZZ_DATA_DIR="\"$src/tests/fuzz\"" "$src/tests/fuzz/fuzz_$target.c" $extra \
	gslbd/control/libcontrol.a gslbd/dns/libdns.a gslbd/conf/libconf.a zones/libzones.a geo/libgeo.a common/libcommon.a \
	$(pkg-config --libs ldns libevent libevent_pthreads yaml-0.1 jansson libmaxminddb libcrypto) -lm -lpthread \
	-o "fuzz_$target"
mkdir -p "corpus-$target"
cp "$src/tests/fuzz/corpus/$target/"* "corpus-$target/"
"./fuzz_$target" -max_total_time="$secs" "corpus-$target"

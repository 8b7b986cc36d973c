#!/bin/sh
# Replay the stored fuzz corpora through the fuzz targets (no fuzzer needed).
set -e
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_answer" "$top_srcdir/tests/fuzz/corpus/answer"
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_zone" "$top_srcdir/tests/fuzz/corpus/zone"
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_report" "$top_srcdir/tests/fuzz/corpus/report"
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_http" "$top_srcdir/tests/fuzz/corpus/http"
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_xfr" "$top_srcdir/tests/fuzz/corpus/xfr"
$TEST_WRAPPER "$top_builddir/tests/fuzz/replay_journal" "$top_srcdir/tests/fuzz/corpus/journal"

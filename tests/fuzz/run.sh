#!/bin/sh
# run.sh - build and run every libFuzzer harness in tests/fuzz/ for a while.
#
#   tests/fuzz/run.sh BUILD_DIR          (make fuzz; FUZZ_SECONDS=60 each)
#
# Each tests/fuzz/fuzz_NAME.c is built with clang (-fsanitize=fuzzer,address,
# undefined) against the project's pure sources and run with a corpus kept in
# BUILD_DIR/fuzz/NAME/, so later runs start from what earlier ones found.
# A crash leaves its input in BUILD_DIR/fuzz/ and fails the run.
set -eu

build=$(realpath -m "${1:?usage: run.sh BUILD_DIR}")
seconds=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)" >&2; exit 1; }

# Pure sources a harness may need; the linker keeps only what is used.
srcs="$top/util/util.c $top/stack/packet_parse.c $top/stack/packet_build.c"
for f in "$top"/policy/*.c "$top"/dns/*.c "$top"/peek/*.c; do [ -f "$f" ] && srcs="$srcs $f"; done

mkdir -p "$build/fuzz"
status=0
for h in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	bin="$build/fuzz/$name"
	corpus="$build/fuzz/$name.corpus"
	mkdir -p "$corpus"
	echo "== $name: building"
	# shellcheck disable=SC2086
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-I"$top" -I"$top/stack" "$h" $srcs $(pkg-config --libs json-c ldns) -o "$bin"
	echo "== $name: running ${seconds}s"
	if (cd "$build/fuzz" && "$bin" -max_total_time="$seconds" -max_len=20000 \
			-print_final_stats=1 "$corpus" >"$bin.log" 2>&1); then
		tail -n 6 "$bin.log"
	else
		tail -n 40 "$bin.log"
		status=1
	fi
done
[ $status -eq 0 ] && echo "fuzz: no crashes" || echo "fuzz: crashes found (inputs in $build/fuzz/)"
exit $status

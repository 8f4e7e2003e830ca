#!/usr/bin/env bash
# The binding tests: builds libenlace_mobile once (debug, with the `test-hooks` feature, as part of
# the workspace build `scripts/test` has just made, so nothing is compiled twice), generates
# the bindings into target/bindings, runs the Python tests (pytest) and then the Kotlin test
# program on the JVM through JNA. Installs what is missing (pytest, the pinned Kotlin compiler,
# JNA) and fails loudly rather than skipping. Swift is generated but only compiled where a Swift
# toolchain exists (scripts/bindings says which).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

fail() { echo "mobile-bindings/tests/run.sh: $*" >&2; exit 1; }
step() { echo "==> $*"; }

for tool in cargo python3 java npm; do
    command -v "$tool" >/dev/null || fail "$tool is required"
done

step "build the library and the server, and generate bindings"
scripts/bindings --workspace --features enlace-mobile/test-hooks
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bindings="$target_dir/bindings"
libdir="$target_dir/debug"

# The server the sync tests run against, built by the same workspace build.
export ENLACE_SERVER_BIN="$target_dir/debug/enlace-server"
[ -x "$ENLACE_SERVER_BIN" ] || fail "no server binary at $ENLACE_SERVER_BIN"

step "python tests"
if ! python3 -c 'import pytest' 2>/dev/null; then
    python3 -m pip install --quiet pytest || fail "could not install pytest"
fi
ENLACE_BINDINGS_PYTHON="$bindings/python" python3 -m pytest -q -p no:cacheprovider \
    mobile-bindings/tests/python

step "kotlin tests"
kotlin_dir="$root/mobile-bindings/tests/kotlin"
kc="$kotlin_dir/node_modules/kotlin-compiler"
if [ ! -x "$kc/bin/kotlinc" ]; then
    (cd "$kotlin_dir" && npm install --no-save --no-audit --no-fund) || fail "could not install kotlin-compiler"
fi
[ -x "$kc/bin/kotlinc" ] || fail "no kotlinc in $kc"
jna=/usr/share/java/jna.jar
if [ ! -f "$jna" ]; then
    (apt-get update && apt-get install -y libjna-java) >/dev/null || fail "could not install libjna-java"
fi
[ -f "$jna" ] || fail "no JNA at $jna"
coroutines="$kc/lib/kotlinx-coroutines-core-jvm.jar"
stdlib="$kc/lib/kotlin-stdlib.jar"
jar="$target_dir/kotlin-tests/bindings-test.jar"
mkdir -p "$(dirname "$jar")"
# kotlinc is the slow step (~1 min): one compile of the bindings and the test program together.
# Every generated file: enlace_mobile.kt and core's enlace_core.kt (its types and errors).
mapfile -t generated < <(find "$bindings/kotlin" -name '*.kt' | sort)
[ "${#generated[@]}" -ge 2 ] || fail "expected the Kotlin bindings of enlace_mobile and enlace_core"
"$kc/bin/kotlinc" -nowarn -classpath "$jna:$coroutines" -d "$jar" \
    "${generated[@]}" "$kotlin_dir/BindingsTest.kt"
RUST_BACKTRACE=0 java -Djna.library.path="$libdir" -cp "$jar:$jna:$stdlib:$coroutines" BindingsTestKt

step "binding tests passed"

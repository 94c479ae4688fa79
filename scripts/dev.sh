#!/usr/bin/env bash
# The one entry script for developers and CI.
#
#   scripts/dev.sh demo            set up, build, and run the main job
#   scripts/dev.sh test            set up, build, and run every test through ctest
#   scripts/dev.sh test --sanitize the same in an ASan+UBSan build (build-asan/)
#   scripts/dev.sh build [--sanitize]
#   scripts/dev.sh format-check    clang-format over the C++ sources, no changes
#   scripts/dev.sh format          clang-format in place
#   scripts/dev.sh ci              what .ci/run does: test, sanitizer test, format check
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)

configure_and_build() {
  local dir=build type=Release extra=()
  if [ "${1:-}" = "--sanitize" ]; then
    dir=build-asan type=RelWithDebInfo extra=(-DVMLAB_SANITIZE=ON)
  fi
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null
  fi
  cmake --build "$dir" -j "$jobs"
  BUILD_DIR=$dir
}

cpp_sources() {
  git ls-files -- '*.cpp' '*.h' '*.hpp' 2>/dev/null | grep -v '^guest/' || true
}

# The main job: boot the smoke kernel, then compare every implemented mode on every
# workload of the guest OS (cycles, ratio to native and events per operation) under the
# Pentium 4 cost profile of Adams & Agesen 2006, so that monitor entries cost what the
# paper measured. Each command is echoed so a reader can run it again by hand.
demo() {
  local vmlab=$BUILD_DIR/cli/vmlab
  local smoke=$BUILD_DIR/tests/kernels/smoke/smoke_kernel.elf
  local guest=$BUILD_DIR/guest/vmlab_guest.elf
  echo "+ $vmlab run --mode native $smoke"
  "$vmlab" run --mode native "$smoke"
  if [ -f "$guest" ]; then
    echo
    echo "+ $vmlab compare --modes all --profile pentium4 --kernel $guest"
    "$vmlab" compare --modes all --profile pentium4 --kernel "$guest"
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  setup)
    scripts/setup.sh
    ;;
  build)
    scripts/setup.sh
    configure_and_build "$@"
    ;;
  test)
    scripts/setup.sh
    configure_and_build "$@"
    # stdin from /dev/null: `vmlab run` without --input reads its stdin as the guest's
    # console (docs/cli.md, "The console"), and a test must never wait on the terminal.
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$jobs" </dev/null
    ;;
  demo)
    scripts/setup.sh
    configure_and_build
    demo
    ;;
  format-check)
    cpp_sources | xargs -r clang-format --dry-run --Werror
    echo "format-check: clean"
    ;;
  format)
    cpp_sources | xargs -r clang-format -i
    ;;
  ci)
    "$0" test
    "$0" test --sanitize
    "$0" format-check
    ;;
  help | -h | --help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "dev.sh: unknown command '$cmd' (try: scripts/dev.sh help)" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Installs the Debian 12 packages vmlab needs, and nothing when they are all present.
# Idempotent: it asks dpkg first and calls apt-get only for what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libcapstone-dev libasmjit-dev
  zlib1g-dev libtoml11-dev libcli11-dev
  gcc-multilib
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev fonts-dejavu-core
  qt6-svg-dev qt6-l10n-tools qt6-tools-dev
  qemu-system-x86
  gdb
  clang-format
  python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
fi

# The real kernels that tests/outside boots (docs/outside-kernels.md), downloaded with
# apt-get download into build/outside-kernels/; without them those tests skip.
"$(dirname "$0")/fetch-outside-kernels.sh" ||
  echo "setup: could not fetch the outside kernels; the tests in tests/outside will skip"

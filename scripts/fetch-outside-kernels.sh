#!/usr/bin/env bash
# Fetches the real kernels written elsewhere that tests/outside/ boots in every mode, with
# apt-get download (no system configuration changes), into DIR (default build/outside-kernels):
#   memtest86+ia32.bin   memtest86+ 6.10 (Debian 12 package memtest86+), 32-bit bzImage
#   vmlinuz-686          Debian 12's i386 Linux kernel (linux-image-*-686-unsigned:i386)
#   invaders.exec        GRUB Invaders 1.0.0 (Debian 12 package grub-invaders), a Multiboot
#                        game kernel (its sha256 is checked: the package is in the machine's
#                        own architecture, so no private apt state is needed)
# The i386 package lists go to a private apt state under DIR (APT::Architectures adds i386
# there only), so the machine's dpkg architectures and apt lists are untouched. Nothing is
# committed: the files are third-party binaries. Idempotent: present files are kept.
#   scripts/fetch-outside-kernels.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-build/outside-kernels}")
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -s "$dir/memtest86+ia32.bin" ]; then
  (cd "$work" && apt-get download -q memtest86+ >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/memtest86+_*.deb |
    tar -x -O ./boot/memtest86+ia32.bin >"$dir/memtest86+ia32.bin.tmp"
  mv "$dir/memtest86+ia32.bin.tmp" "$dir/memtest86+ia32.bin"
  echo "fetch-outside-kernels: $dir/memtest86+ia32.bin ($(dpkg-deb -f "$work"/memtest86+_*.deb Version))"
fi

if [ ! -s "$dir/invaders.exec" ]; then
  (cd "$work" && apt-get download -q grub-invaders >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/grub-invaders_*.deb |
    tar -x -O ./boot/invaders.exec >"$dir/invaders.exec.tmp"
  # The build tests/outside recorded its screens with (Debian's 1.0.0-15); another is kept,
  # and the invaders tests then skip, saying the build differs.
  want=c6be3ee3e1d8b1f6935ea15b27f98d6973dd886d6cb9ed24af55cadcea24f94c
  have=$(sha256sum "$dir/invaders.exec.tmp" | cut -d' ' -f1)
  [ "$have" = "$want" ] ||
    echo "fetch-outside-kernels: invaders.exec has sha256 $have, not the recorded $want" >&2
  mv "$dir/invaders.exec.tmp" "$dir/invaders.exec"
  echo "fetch-outside-kernels: $dir/invaders.exec ($(dpkg-deb -f "$work"/grub-invaders_*.deb Version))"
fi

if [ ! -s "$dir/vmlinuz-686" ]; then
  apt=(-o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
       -o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root"
       -o "APT::Architectures::=$(dpkg --print-architecture)" -o "APT::Architectures::=i386")
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
  apt-get "${apt[@]}" update -qq 2>/dev/null || true  # a missing optional index is not fatal
  # The build tests/outside recorded its consoles with (its sha256 is checked there); if the
  # archive no longer has it, the newest 686 kernel the lists name, as the linux-image-686
  # metapackage depends on it (the Linux tests then skip, saying the build differs).
  pkg=linux-image-6.1.0-50-686
  if ! apt-cache "${apt[@]}" show "$pkg-unsigned:i386" >/dev/null 2>&1; then
    pkg=$(apt-cache "${apt[@]}" depends linux-image-686:i386 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-[0-9.-]*-686\).*/\1/p' | head -1)
  fi
  [ -n "$pkg" ] || { echo "fetch-outside-kernels: no linux-image-686:i386 in the apt lists" >&2; exit 1; }
  (cd "$work" && apt-get "${apt[@]}" download -q "$pkg-unsigned:i386" >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/linux-image-*.deb | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
  mv "$work"/boot/vmlinuz-* "$dir/vmlinuz-686"
  echo "fetch-outside-kernels: $dir/vmlinuz-686 ($pkg-unsigned:i386)"
fi

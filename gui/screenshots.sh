#!/usr/bin/env bash
# Renders every view of vmlab-gui into OUTDIR (default docs/images), headless, from runs
# made here with the built vmlab: the pictures of docs/gui.md. Run from the repository
# root after building:  gui/screenshots.sh [OUTDIR]
set -euo pipefail
out=${1:-docs/images}
build=${VMLAB_BUILD:-build}
vmlab="$build/cli/vmlab"
gui="$build/gui/vmlab-gui"
kernel="$build/guest/vmlab_guest.elf"
export QT_QPA_PLATFORM=offscreen
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
mkdir -p "$out"

# A page-fault workload under trap on the VT CPU (shadow paging) with a Prescott's costs:
# VM exits, hidden and true faults, guest page-table writes.
"$vmlab" run --quiet --mode trap --profile vtx-prescott --out "$runs/trap" --trace \
    --append "run=pagefault iters=50" "$kernel" < /dev/null > /dev/null
# System calls under pv: hypercalls, direct-paging updates.
"$vmlab" run --quiet --mode pv --profile pentium4 --out "$runs/pv" --trace \
    --append "run=syscall iters=50" "$kernel" < /dev/null > /dev/null
# The same under bt: translations, callouts, chaining.
"$vmlab" run --quiet --mode bt --profile pentium4 --out "$runs/bt" --trace \
    --append "run=syscall iters=50" "$kernel" < /dev/null > /dev/null
# The same syscalls under trap on the VT CPU, to align with bt's.
"$vmlab" run --quiet --mode trap --profile pentium4 --out "$runs/trap-syscall" --trace \
    --append "run=syscall iters=50" "$kernel" < /dev/null > /dev/null
# A live migration (docs/migration.md): forkwait writing the same pages each round.
"$vmlab" migrate-listen 0 --out "$runs/mig-dst" > /dev/null 2> "$runs/mig-dst.log" &
listener=$!
port=
until [ -n "$port" ]; do
  kill -0 "$listener" 2> /dev/null || { cat "$runs/mig-dst.log" >&2; exit 1; }
  sleep 0.1
  port=$(sed -n 's/^migrate: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$runs/mig-dst.log")
done
"$vmlab" run --quiet --memory 32 --append "run=forkwait parent_touch=100 iters=300" \
    --out "$runs/mig-src" --migrate-to "127.0.0.1:$port" --migrate-at 2000000 \
    --migrate-threshold 4 "$kernel" < /dev/null > /dev/null 2> /dev/null
wait "$listener"
# A small sweep (docs/sweep.md): four modes, a port read and a disk workload on a disk with
# no vmlabfs (so the guest skips it), with a Pentium 4's costs as they are and with a
# costlier VM exit.
head -c 1048576 /dev/zero > "$runs/raw.img"
cat > "$runs/grid.json" << EOF
{"modes": ["native", "trap", "bt", "pv"],
 "workloads": [{"name": "in", "iters": 100}, {"name": "filecreate0", "iters": 2}],
 "profiles": ["pentium4"], "costs": [{}, {"trap": 5000}], "disk": "$runs/raw.img"}
EOF
"$vmlab" sweep -q --kernel "$kernel" --out "$runs/sweep" "$runs/grid.json" < /dev/null 2> /dev/null
"$vmlab" compare --quiet --modes all --workloads syscall,in,pgfault,ptemod,ctxsw \
    --profile pentium4 --format json --kernel "$kernel" > "$runs/compare.json"

"$gui" --open "$runs/trap" --view timeline --screenshot "$out/gui-timeline.png"
"$gui" --open "$runs/pv" --view events --select 9 --size 1100x640 --screenshot "$out/gui-events.png"
"$gui" --open "$runs/trap" --view events --select 9 --size 1100x640 \
    --screenshot "$out/gui-events-instruction.png"
# A bt run opened from its directory: a callout's fragment from translations.jsonl.
"$gui" --open "$runs/bt" --view events --select 651 --size 1300x900 \
    --screenshot "$out/gui-events-bt.png"
# An event in a fragment the run replaced later (adaptive retranslation): the fragment as
# it was then, from translations.jsonl's dropped fragments.
"$gui" --open "$runs/bt" --view events --select 894 --size 1300x900 \
    --screenshot "$out/gui-events-bt-dropped.png"
"$gui" --open "$runs/bt" --view counters --size 1200x560 --screenshot "$out/gui-counters.png"
"$gui" --compare "$runs/compare.json" --view compare --size 1200x820 \
    --screenshot "$out/gui-compare.png"
"$gui" --open "$runs/sweep" --sweep-set 1 --view compare --size 1300x900 \
    --screenshot "$out/gui-compare-sweep.png"
"$gui" --run --kernel "$kernel" --mode pv --profile pentium4 --append "run=syscall iters=200" --view run \
    --size 1200x700 --screenshot "$out/gui-run.png"
"$gui" --run --kernel "$kernel" --mode bt --profile pentium4 --append "run=syscall iters=200" --instructions 3000000 \
    --view code --size 1400x760 --screenshot "$out/gui-code.png"
"$gui" --run --kernel "$kernel" --mode trap --profile vtx-prescott --append "run=pagefault iters=50" \
    --instructions 1500000 --view memory --size 1200x620 --screenshot "$out/gui-memory.png"
# The Screen tab: tests/kernels/textmode's cells, colours and cursor; GRUB Invaders' game
# when the outside kernels are fetched (scripts/fetch-outside-kernels.sh).
"$gui" --run --mode native --kernel "$build/tests/kernels/textmode/textmode_kernel.elf" \
    --view screen --size 1000x640 --screenshot "$out/gui-screen.png"
if [ -f "$build/outside-kernels/invaders.exec" ]; then
  "$gui" --run --mode native --kernel "$build/outside-kernels/invaders.exec" --cpu-mhz 1 \
      --instructions 400000000 --view screen --size 1000x640 \
      --screenshot "$out/gui-screen-invaders.png"
fi
"$gui" --open "$runs/trap-syscall" --align "$runs/bt" --view aligned --size 1300x930 \
    --select 1062 --screenshot "$out/gui-aligned.png"
"$gui" --open "$runs/mig-src" --view migration --size 1000x560 --screenshot "$out/gui-migration.png"
"$gui" --lang sv --open "$runs/trap" --view timeline --size 1200x500 \
    --screenshot "$out/gui-timeline-sv.png"
echo "screenshots: $(ls "$out"/gui-*.png | wc -l) views in $out"

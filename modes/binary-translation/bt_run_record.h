// bt_run_record: the translations a bt run made, written into its run directory
// (`vmlab run --mode bt --out DIR` writes DIR/translations.jsonl) so that a run opened
// later (vmlab-gui --open DIR) shows an event's translated code as a live run's code view
// does. Each line after the header is one fragment of the translation cache as it stands
// when the run ends: its guest and TC ranges and the text `vmlab bt-dump` prints for it
// (guest code beside TC code). docs/trace-format.md, "translations.jsonl".
#pragma once

#include <cstddef>
#include <string>

#include "engine/machine/result.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::modes::bt {

// The file's bound: the newest fragments whose lines fit in it are written (a longer run's
// early boot code is what goes), and the header says how many of how many.
inline constexpr size_t kRunRecordLimitBytes = size_t{4} << 20;

// The file's contents for `vm`'s translation cache: empty when the mode has none (every
// mode but bt). Reads the cache only: it translates nothing and records no event.
std::string run_record(vmm::Vm& vm, size_t limit_bytes = kRunRecordLimitBytes);

// Writes run_record(vm) to `path`; under a mode without a translation cache, removes a
// `path` an earlier run left instead (it would not belong to this run).
machine::Result<void> write_run_record(vmm::Vm& vm, const std::string& path);

}  // namespace vmlab::modes::bt

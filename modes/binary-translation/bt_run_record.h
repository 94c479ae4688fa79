// bt_run_record: the translations a bt run made, written into its run directory
// (`vmlab run --mode bt --out DIR` writes DIR/translations.jsonl) so that a run opened
// later (vmlab-gui --open DIR) shows an event's translated code as a live run's code view
// does. Each line after the header is one fragment of the translation cache: those live
// when the run ends, and, once start_run_record() has been called, those the cache dropped
// on the way (a flush of the full cache, an invalidation by a guest write to their code, a
// replacement by adaptive retranslation), each as it stood just before it went, with the
// cycle and instruction count of its drop and why. Each line carries its guest and TC
// ranges and the text `vmlab bt-dump` prints for it (guest code beside TC code).
// docs/trace-format.md, "translations.jsonl".
#pragma once

#include <cstddef>
#include <string>

#include "engine/machine/result.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::modes::bt {

// The file's bound on its fragment lines: the live fragments' newest lines first, then the
// dropped fragments' newest (a longer run's early boot code is what goes); the header says
// how many of how many.
inline constexpr size_t kRunRecordLimitBytes = size_t{4} << 20;

// Keeps, from now on, the fragments `vm`'s translation cache drops (within `limit_bytes`:
// the newest), for run_record. Call once after the kernel is loaded and before the run;
// false (and nothing done) under a mode without a translation cache. It formats each
// dropped fragment as it goes, which costs host time only: the guest, its events and its
// modeled cycles are those of a run without it.
bool start_run_record(vmm::Vm& vm, size_t limit_bytes = kRunRecordLimitBytes);

// The file's contents for `vm`'s translation cache: empty when the mode has none (every
// mode but bt). Reads the cache only: it translates nothing and records no event.
std::string run_record(vmm::Vm& vm, size_t limit_bytes = kRunRecordLimitBytes);

// Writes run_record(vm) to `path`; under a mode without a translation cache, removes a
// `path` an earlier run left instead (it would not belong to this run).
machine::Result<void> write_run_record(vmm::Vm& vm, const std::string& path);

}  // namespace vmlab::modes::bt

// The names `vmlab run --trace` adds to trace.json for a run's mode: VT-x exit reasons under
// the VT CPU, exception vectors elsewhere, and hypercalls by their Xen names (the numbers
// of modes/paravirt/pv_abi.h).
#pragma once

#include "cli/options.h"
#include "engine/vmm/trace/chrome_trace_writer.h"

namespace vmlab::cli {

vmm::EventNamer trace_namer(const RunOptions& o);

}  // namespace vmlab::cli

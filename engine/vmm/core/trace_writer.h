// TraceWriter: where recorded events go besides the counters (a JSON Lines file, a Chrome
// trace-event file, later the GUI's binary stream). The Recorder calls write() for every
// event while recording is on, and finish() once at the end of the run.
#pragma once

#include "engine/machine/result.h"
#include "engine/vmm/core/event.h"

namespace vmlab::vmm {

class TraceWriter {
 public:
  virtual ~TraceWriter() = default;
  virtual void write(const Event& event) = 0;
  // Completes the file (closing brackets) and reports any write error.
  virtual machine::Result<void> finish() = 0;
};

}  // namespace vmlab::vmm

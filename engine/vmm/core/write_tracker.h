// WriteTracker: a monitor's own tracking of the guest's writes, for live migration's pre-copy
// rounds (docs/migration.md, "Write tracking"). Each mode tracks the way its monitor can:
// shadow paging maps every guest frame read-only in the shadow tables and logs the first
// write to each in a round (the log-dirty mode of VMware's and Xen's shadow monitors; Clark
// et al., NSDI 2005, section 3.3); a mode without one (native) leaves migration on the
// engine's dirty log (cpu::Cpu::dirty_log). The faults it takes are the mode's own events,
// recorded and charged as any other: tracking slows the guest, as it does on a real monitor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vmlab::vmm {

class WriteTracker {
 public:
  virtual ~WriteTracker() = default;
  // How, in a few words (stats.json's "tracking"), e.g. "shadow write protection".
  virtual std::string mechanism() const = 0;
  // Starts tracking: the set is emptied and every guest frame is protected again.
  virtual void start_tracking() = 0;
  // Sets `dirty[mfn]` (indexed by machine frame; frames past its end are ignored) for each
  // guest frame written since start_tracking or the last take_dirty, empties the set and
  // protects those frames again for the next round.
  virtual void take_dirty(std::vector<uint8_t>& dirty) = 0;
  // The same set as take_dirty would give now, changing nothing: neither the set nor any
  // table (an incremental snapshot reads memory as it is, then calls take_dirty).
  virtual void peek_dirty(std::vector<uint8_t>& dirty) const = 0;
  // Stops tracking. Frames protected stay so until their next write faults them writable,
  // as on the source of a migration that failed and the destination alike.
  virtual void stop_tracking() = 0;
  // Write faults the tracking took since start_tracking, and the modeled cycles charged
  // for them (the exit and the monitor's handling).
  virtual uint64_t tracking_faults() const = 0;
  virtual uint64_t tracking_cycles() const = 0;
};

}  // namespace vmlab::vmm

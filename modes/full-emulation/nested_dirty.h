// NestedWriteTracker: live migration's write tracking under nested paging
// (docs/migration.md, "Write tracking"). The simulated nested table has no dirty bits
// (engine/cpu/vmx.h), so the monitor write-protects the nested entries of the guest's
// frames, as KVM did before Page Modification Logging: the guest's first write to a frame
// in a round exits (reason 48, EPT violation; recorded and charged as any exit), the
// monitor logs the frame, makes its nested entry writable and resumes the guest. Reading the
// set protects the logged frames again and flushes the TLB, which caches the nested rights.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/write_tracker.h"

namespace vmlab::modes {

class NestedWriteTracker : public vmm::WriteTracker {
 public:
  NestedWriteTracker(cpu::Cpu& cpu, vmm::Recorder& recorder, const vmm::P2m& p2m)
      : cpu_(cpu), recorder_(recorder), p2m_(p2m) {}

  std::string mechanism() const override { return "nested write protection"; }
  void start_tracking() override;
  void take_dirty(std::vector<uint8_t>& dirty) override;
  void peek_dirty(std::vector<uint8_t>& dirty) const override;
  void stop_tracking() override;
  uint64_t tracking_faults() const override { return faults_; }
  uint64_t tracking_cycles() const override { return cycles_; }

  // An EPT violation exit that cost `exit_cycles` beyond the trap event's own cost: true
  // when the tracking caused it (a write to a protected frame), which is then logged and
  // writable; false for any other, which the monitor handles as before.
  bool on_violation(const cpu::VmExit& exit, uint64_t exit_cycles);

 private:
  enum State : uint8_t { kUnprotected = 0, kProtected = 1, kWritten = 2 };
  // The machine address of the nested PTE of guest frame `gfn` (guest RAM is mapped on
  // 4 KiB nested pages: vt_setup.cpp).
  uint32_t entry_address(uint32_t gfn);
  void set_writable(uint32_t gfn, bool writable);
  void flush_tlb();

  cpu::Cpu& cpu_;
  vmm::Recorder& recorder_;
  const vmm::P2m& p2m_;
  bool tracking_ = false;
  std::vector<uint8_t> state_;  // State per guest frame
  uint64_t faults_ = 0;
  uint64_t cycles_ = 0;
};

}  // namespace vmlab::modes

// HardwareObserver: the monitor's view of the simulated hardware. It attaches to the
// processor (cpu::CpuObserver) and to the port-I/O bus (machine::IoObserver) and turns
// their hook calls into events of the one taxonomy (event.h).
//
// In native mode this is all there is to watch: exceptions, interrupts, CR3 switches,
// TLB flushes and port I/O as the hardware performs them. The virtualization modes add
// their own events (traps, emulation, shadow fills, hypercalls) on top.
#pragma once

#include <array>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_observer.h"
#include "engine/machine/io_observer.h"
#include "engine/vmm/core/recorder.h"

namespace vmlab::vmm {

class HardwareObserver : public cpu::CpuObserver, public machine::IoObserver {
 public:
  HardwareObserver(cpu::Cpu& cpu, Recorder& recorder) : cpu_(cpu), recorder_(recorder) {}

  // cpu::CpuObserver
  void on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code, uint32_t eip, uint8_t cpl) override;
  void on_cr_write(uint8_t cr, uint32_t old_value, uint32_t new_value) override;
  void on_tlb_flush(bool including_global) override;
  void on_invlpg(uint32_t linear) override;
  void on_page_fault(uint32_t linear, uint32_t error_code) override;
  // Recorded as sensitive_no_trap only while a monitor is attached (cpu::Cpu::monitor()):
  // without one nothing is deprivileged, so nothing is hidden from anybody.
  void on_sensitive(uint16_t opcode, uint8_t reg) override;

  // The last sensitive_no_trap instructions (oldest first), so that the stop message can
  // name them when the guest stops making progress (a Popek-Goldberg hole;
  // sensitive_stop_note.h).
  struct Sensitive {
    uint16_t opcode;
    uint8_t reg;
    uint32_t eip;
    uint8_t cpl;  // the ring it ran in (1 for a deprivileged kernel, 3 for user code)
  };
  std::vector<Sensitive> recent_sensitive() const;
  // How many sensitive instructions ran without a trap under a monitor in this run (the
  // observer's own tally, not the event counters).
  uint64_t sensitive_seen() const { return sensitive_seen_; }
  // Saved state (vm_saved_state.cpp): the recent sensitive instructions and their tally.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

  // machine::IoObserver
  void on_io(const machine::IoAccess& access) override;
  void on_mmio(const machine::MmioAccess& access) override;
  void on_block_request(const machine::BlockRequest& request) override;

 private:
  cpu::Cpu& cpu_;
  Recorder& recorder_;
  std::array<Sensitive, 4> sensitive_{};
  uint64_t sensitive_seen_ = 0;
};

}  // namespace vmlab::vmm

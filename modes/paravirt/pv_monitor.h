// PvMonitor: the monitor of a paravirtualized guest, attached to the processor as its
// cpu::Monitor (the hardware hands it every exception and interrupt first).
//
// What enters the monitor, and what it does (docs/modes/paravirt.md):
//   INT 0x82 from ring 1      a hypercall (hypercalls.cpp); result in EAX
//   a page fault              the faulting address goes to the shared-info page and the
//                             fault is bounced to the guest's registered handler
//   other exceptions, INT n   bounced to the guest's trap-table handler
//   the timer interrupt       the set_timer_op deadline: the timer event channel
// What does not: INT 0x80, the guest's system call, which the monitor delegated to the
// real IDT (a DPL-3 trap gate to the guest's handler, Xen's fast system-call path), and
// the guest's interrupt disabling and enabling, which are stores to the shared-info page.
//
// A "bounce" is what hardware does for an interrupt gate, done by the monitor on the
// guest's behalf (Xen's create_bounce_frame): push EFLAGS, CS, EIP (and SS, ESP when
// coming from ring 3, on the ring-1 stack the guest named with stack_switch) and an error
// code, and continue at the handler in ring 1. The saved EFLAGS carries the guest's
// virtual interrupt flag (the inverse of the upcall mask), as Xen does. A bounce that
// cannot be written (the guest's kernel stack is not mapped writable) kills the domain:
// the processor is shut down with a message, and nothing on the host is harmed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/cpu/monitor.h"
#include "engine/cpu/state_codec.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/p2m.h"
#include "modes/paravirt/blk_back.h"
#include "modes/paravirt/console_ring.h"
#include "modes/paravirt/direct_paging.h"
#include "modes/paravirt/event_channels.h"
#include "modes/paravirt/machine_memory.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::cpu {
class Cpu;
struct SegmentCache;
}  // namespace vmlab::cpu
namespace vmlab::vmm {
class Vm;
class Recorder;
}  // namespace vmlab::vmm

namespace vmlab::modes::paravirt {

class Hypercalls;

class PvMonitor : public cpu::Monitor {
 public:
  // One entry of the guest's trap table (set_trap_table).
  struct TrapEntry {
    bool set = false;
    uint8_t flags = 0;
    uint16_t cs = 0;
    uint32_t eip = 0;
    bool operator==(const TrapEntry&) const = default;
  };
  // Where the domain builder put the monitor's own structures (machine frames) and the
  // guest's shared pages (machine addresses).
  struct Layout {
    uint32_t gdt_mfn = 0, idt_mfn = 0, tss_mfn = 0, hole_l1_mfn = 0;
    uint32_t shared_info_ma = 0;
    uint32_t console_ring_ma = 0;
    // The block ring and the grant table (0: the domain has no disk).
    uint32_t blk_ring_ma = 0, grant_table_ma = 0;
    // The second disk's block ring (0: fewer than two disks; the same grant table).
    uint32_t blk1_ring_ma = 0;
  };
  // The guest's virtual address where the monitor maps its GDT, IDT and TSS (in the hole,
  // engine/vmm/core/hypervisor_hole.h).
  static constexpr uint32_t kGdtLinear = vmm::hole::kPvGdt;
  static constexpr uint32_t kIdtLinear = vmm::hole::kPvIdt;
  static constexpr uint32_t kTssLinear = vmm::hole::kPvTss;
  // The vector base the monitor gives the 8259A (its timer is IRQ 0).
  static constexpr uint8_t kPicBase = 0x20;

  PvMonitor(vmm::Vm& vm, const vmm::P2m& p2m);
  ~PvMonitor() override;

  void set_layout(const Layout& layout);
  const Layout& layout() const { return layout_; }

  // cpu::Monitor
  bool on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code) override;

  // --- Services the hypercalls use (pv_monitor.cpp) ------------------------------------
  MachineMemory& memory() { return memory_; }
  DirectPaging& paging() { return paging_; }
  EventChannels& events() { return *events_; }
  ConsoleRing& console() { return *console_; }
  // The block back end of virtual disk `vbd` (0 or 1), or null when the domain has no
  // such disk (blk_back.h).
  BlkBack* blk(uint32_t vbd = 0) { return vbd < blk_.size() ? blk_[vbd].get() : nullptr; }
  const BlkBack* blk(uint32_t vbd = 0) const {
    return vbd < blk_.size() ? blk_[vbd].get() : nullptr;
  }
  // Every request a back end takes is the disk's work: a blk_request event. The back end
  // serves the virtual disk it names (BlkBack::vbd()).
  void set_blk(std::unique_ptr<BlkBack> blk);
  // The back ends run when the domain gives up the processor or the monitor is entered
  // for an interrupt (blk_back.h): the block back end's responses and its notification,
  // and the console's input (console_input).
  void run_backends();
  // What the serial line received goes into the console ring's `in`, with a notification
  // on the console port (the UART is the monitor's: its receive interrupt is IRQ 4).
  void console_input();
  cpu::Cpu& cpu();
  vmm::Vm& vm() { return vm_; }
  vmm::Recorder& recorder();
  const vmm::P2m& p2m() const { return p2m_; }
  uint32_t cr3() const;
  // What the guest registered (the hostile-guest tests compare them before and after).
  const std::array<TrapEntry, 256>& traps() const { return traps_; }
  uint16_t callback_cs() const { return callback_cs_; }
  uint32_t callback_eip() const { return callback_eip_; }
  // The trap table: vector -> handler. 0x80 with DPL 3 also goes into the real IDT, and
  // leaves it when it is registered again without DPL 3. check_trap() is the whole check
  // (0 or -errno); set_trap() checks, then changes the table only when the check passed.
  static int32_t check_trap(uint8_t flags, uint16_t cs, uint32_t eip);
  int32_t set_trap(uint8_t vector, uint8_t flags, uint16_t cs, uint32_t eip);
  void clear_traps();
  // Selectors arrive as the 32-bit hypercall arguments they are: one above 0xFFFF is
  // refused (-EINVAL), never truncated into a valid one.
  int32_t set_kernel_stack(uint32_t ss, uint32_t esp);
  int32_t set_callback(uint32_t cs, uint32_t eip);
  void set_timer(uint64_t deadline_tsc);
  // sched_op block: enable events and wait for one.
  void block();
  // sched_op shutdown: the machine stops with `status` (written to the exit port).
  void shutdown(uint32_t status);
  // Loads CR3 with the page directory in machine frame `mfn`.
  void load_baseptr(uint32_t mfn);
  void flush_tlb();
  void invlpg(uint32_t linear);
  // After page-table changes: flushes the TLB if the validator asked for it.
  void settle_paging();
  // Ends the domain with a message (a guest that broke the ABI beyond recovery).
  void kill(const std::string& why);

  // Saved state (pv_state.cpp, docs/snapshots.md); load() fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  void external_interrupt(uint8_t vector);
  // A #GP that CPUID faulting raised at a CPUID: answered for the virtual CPU.
  bool emulate_cpuid();
  void reflect(uint8_t vector, bool has_error_code, uint32_t error_code);
  bool bounce(uint16_t cs, uint32_t eip, bool has_error_code, uint32_t error_code,
              bool mask_events);
  // Delivers the event upcall if one is pending and events are enabled.
  void deliver_upcall_if_pending();
  void arm_hardware_timer();
  void write_idt_gate(uint8_t vector, uint16_t cs, uint32_t eip, unsigned dpl, bool present);
  cpu::SegmentCache descriptor_cache(uint16_t selector) const;

  vmm::Vm& vm_;
  const vmm::P2m& p2m_;
  MachineMemory memory_;
  DirectPaging paging_;
  std::unique_ptr<EventChannels> events_;
  std::unique_ptr<ConsoleRing> console_;
  std::array<std::unique_ptr<BlkBack>, abi::kMaxBlkDevices> blk_;
  std::unique_ptr<Hypercalls> hypercalls_;
  Layout layout_;
  std::array<TrapEntry, 256> traps_{};
  uint16_t callback_cs_ = 0;
  uint32_t callback_eip_ = 0;
  bool blocked_ = false;
  bool dead_ = false;
};

}  // namespace vmlab::modes::paravirt

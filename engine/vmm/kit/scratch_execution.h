// ScratchExecution: runs one guest instruction on a second instance of the simulated
// processor, over a scratch view of the guest's memory, and hands back what it wrote.
//
// A monitor that write-protects guest pages (the traced page tables of shadow paging)
// must perform every store that hits them. Rather than re-implement the semantics of each
// instruction that can write memory (a second copy of the processor that would drift from
// the first), the emulator executes the trapped instruction with the processor model
// itself: the scratch processor gets the real processor's state (registers, segment
// caches, CPL, descriptor-table registers) and its own page tables, which map the guest's
// linear pages on demand to a window of bus addresses that this class answers. Reads come
// from guest-physical memory; writes are logged, in program order and with their sizes,
// and seen by later reads of the same instruction. The caller then commits the log
// through the shadow MMU (write_traced for page-table pages), so the monitor's invariants
// hold, and copies the resulting registers back.
//
// Each demand mapping follows the guest's own page tables with the access's rights
// (GuestMemory::walk, which sets the guest's accessed and dirty bits as the hardware
// would); a walk that fails is the guest's page fault, with the guest's error code. The
// hypervisor hole (the monitor's GDT, IDT and TSS, which the processor reads implicitly
// while it executes the instruction) is mapped read-only from the real address space.
//
// With `guest_hole` (issue 12, item 12) the hole is the guest's instead: an instruction
// that faulted only because ring compression cut the guest's segments below 0xFC000000
// runs here with the guest's own limits, and its accesses to linear addresses in the top
// 64 MiB walk the guest's page tables like any other, on every page (the linear addresses
// of the monitor's GDT, TSS, IDT and shadow LDT too: the guest's own mapping there). The
// monitor's structures are then never mapped: an implicit access to the hole (a
// descriptor or TSS read, which the processor makes at the addresses in the real GDTR,
// IDTR, TR and LDTR) stops the instruction as unsupported before it is translated
// (cpu::Cpu::fence_system_accesses), so that no guest instruction reads or writes the
// monitor's memory, nor has its own page read as the monitor's table.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/cpu/bus.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_observer.h"
#include "engine/cpu/monitor.h"
#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::vmm {

class DeprivilegedSegments;

class ScratchExecution final : private cpu::Bus, private cpu::Monitor, private cpu::CpuObserver {
 public:
  // `devices`: the machine's bus, which port I/O of the instruction reaches (INS, OUTS).
  ScratchExecution(cpu::Cpu& real, cpu::Bus& devices, GuestMemory& memory);
  // Ring compression's tables (null under VT): the processor's accessed-bit writes to the
  // shadow GDT and LDT, read-only in the hole, are the guest's (map()).
  void set_descriptor_tables(const DeprivilegedSegments* tables) { tables_ = tables; }
  ~ScratchExecution() override;
  ScratchExecution(const ScratchExecution&) = delete;
  ScratchExecution& operator=(const ScratchExecution&) = delete;

  // One store the instruction made: `size` bytes (1, 2 or 4, within one page) of `value`
  // at guest-linear `linear`, guest-physical `gpa`; or, `machine`, at machine address `gpa`
  // in the hypervisor hole (the accessed bit a segment load sets in the shadow GDT).
  struct Write {
    uint32_t linear;
    uint32_t gpa;
    uint32_t value;
    uint8_t size;
    bool machine;
  };
  struct Effects {
    // The instruction retired, or a REP instruction made progress and stays at its EIP.
    bool retired = false;
    // Otherwise the guest's exception: vector, error code and, for #PF, the linear address.
    uint8_t vector = 0;
    bool has_error_code = false;
    uint32_t error_code = 0;
    uint32_t fault_linear = 0;
    bool guest_page_fault = false;  // the guest's own page tables refused the access
    // Why the instruction cannot run here (it writes the monitor's structures); empty when
    // it ran.
    std::string unsupported;
    // The processor state after the instruction (or at the fault: a REP instruction keeps
    // the iterations it completed). Control registers are the real processor's.
    cpu::CpuState state;
    std::vector<Write> writes;  // in program order, including those before a fault
    // With `guest_hole`: whether the instruction reached a linear address in the hole
    // (mapped through the guest's tables, or refused by them), the first such address,
    // and whether any such access was a write.
    bool touched_hole = false;
    uint32_t hole_linear = 0;
    bool hole_write = false;
    // With `guest_hole`: the same for the last page below the hole, which holds the gap
    // between a page-granular cut (rounded down, up to 4095 bytes short) and the hole.
    bool touched_gap = false;
    uint32_t gap_linear = 0;
    bool gap_write = false;
  };

  // Executes the instruction at the real processor's CS:EIP, in the real processor's
  // state (`view`, when given, adjusts the scratch copy first), without changing it or
  // any memory. `guest_hole`: the hypervisor hole maps the guest's memory, not the
  // monitor's (above).
  Effects execute(const std::function<void(cpu::CpuState&)>& view = {}, bool guest_hole = false);
  // The same for an operation of the processor in place of an instruction fetched at
  // CS:EIP: a far transfer (JMP, CALL, RET, IRET) the monitor has the processor make for the
  // guest (emulate_far_transfer.cpp), whose pushes land on a page the monitor traces. `op`
  // runs on the scratch processor (engine/cpu/far_transfer.cpp, with its checks), must read
  // everything before it stores (it is restarted after each demand mapping, from the same
  // state) and is retired when it returns. The hole is the monitor's, as in execute().
  // `guest_hole`: the hole is the guest's, as in execute() (a task switch, whose TSSes and
  // tables the guest names: any of them in the hole stops it, never reads the monitor's).
  Effects perform(const std::function<void(cpu::Cpu&)>& op,
                  const std::function<void(cpu::CpuState&)>& view = {}, bool guest_hole = false);
  // The scratch processor: a monitor that has it perform a guest's task switch sets its
  // cpu::TaskSwitching for the operation (it stops after the checks otherwise) and reads
  // the commit point and the new task's CR3 from it after (emulate_guest_task_switch.cpp).
  cpu::Cpu& processor() { return *cpu_; }

 private:
  // cpu::Bus: the window; port I/O goes to the machine's devices. (The processor checks
  // INS's destination before it reads the port, and OUTS reads its source before it
  // writes one, so the restart after a demand mapping never repeats a device access.)
  uint32_t io_read(uint16_t port, unsigned size) override { return devices_.io_read(port, size); }
  void io_write(uint16_t port, unsigned size, uint32_t value) override {
    devices_.io_write(port, size, value);
  }
  uint32_t mmio_read(uint32_t paddr, unsigned size) override;
  void mmio_write(uint32_t paddr, unsigned size, uint32_t value) override;
  bool intr_pending() override { return false; }
  uint8_t intr_acknowledge() override { return 0; }
  // cpu::Monitor: every exception of the scratch processor comes here, none reaches an IDT.
  bool on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code) override;

  // cpu::CpuObserver: a sensitive instruction executed here (PUSHF onto a traced page) is
  // the guest's, reported to the real processor's observer as if it had run there.
  void on_sensitive(uint16_t opcode, uint8_t reg) override {
    if (real_.observer() != nullptr) real_.observer()->on_sensitive(opcode, reg);
  }

  // execute() and perform(): the scratch processor in the real one's state (then `view`),
  // and the effects' final state.
  void begin(Effects& result, const std::function<void(cpu::CpuState&)>& view, bool guest_hole);
  void finish(Effects& result);
  // A #PF of the scratch processor: maps the page when the guest allows the access, else
  // records the guest's fault. False when the fault is the guest's.
  bool map(uint32_t linear, uint32_t error_code);
  // Maps the page of the instruction's first byte before the step, as the fetch's fault
  // would (execute()).
  void premap_code(const cpu::CpuState& s);
  bool install(uint32_t linear, uint32_t frame, bool machine, bool writable);
  uint8_t read_byte(uint32_t window_pa);

  struct Slot {
    uint32_t linear_page;
    uint32_t frame;  // guest-physical frame, or machine frame when `machine`
    bool machine;
    int32_t overlay = -1;  // this frame's page of overlay_, once written
  };
  // The bytes this instruction wrote to one frame (later reads see them), shared by the
  // slots that map the frame.
  struct OverlayPage {
    uint32_t frame;
    bool machine;
    std::bitset<4096> written;
    std::array<uint8_t, 4096> bytes;
  };
  // The overlay page of `s`'s frame, made when none is.
  OverlayPage& overlay_for(Slot& s);
  static constexpr uint32_t kTables = 16;           // page tables the scratch can hold
  static constexpr uint32_t kWindow = 0x80000000u;  // bus address of slot 0
  static constexpr uint32_t kMaxSlots = 64;         // pages one instruction may touch
  static constexpr uint32_t kRamBytes = (1 + kTables) * 4096;
  // Stores one execution may log: a REP string instruction stops after this many, with
  // its registers at the iterations it completed (EIP stays on it).
  static constexpr size_t kMaxWrites = 16384;

  cpu::Cpu& real_;
  cpu::Bus& devices_;
  GuestMemory& memory_;
  std::vector<uint8_t> ram_;
  std::unique_ptr<cpu::Cpu> cpu_;
  uint32_t tables_used_ = 0;
  std::vector<Slot> slots_;
  // Bytes written so far, a page per frame written (at most one per slot): pages kept
  // from one instruction to the next, the first overlay_used_ of them in use. (A hash map
  // by byte address allocated a node per byte stored: a REP STOS over a traced page
  // table spent most of its time in the allocator.)
  std::vector<std::unique_ptr<OverlayPage>> overlay_;
  uint32_t overlay_used_ = 0;
  // Reads of guest-physical addresses outside the guest's RAM (the local APIC), by
  // address and size + 2^32 * size: a device is read once per access of the instruction.
  std::unordered_map<uint64_t, uint32_t> device_reads_;
  // Demand mappings made for this instruction: a bound, so that no access pattern can
  // keep the scratch processor faulting.
  uint32_t mappings_ = 0;
  Effects* result_ = nullptr;
  bool stopping_ = false;  // kMaxWrites reached: the next exception ends the execution
  const DeprivilegedSegments* tables_ = nullptr;  // set_descriptor_tables()
  bool guest_hole_ = false;  // this execution maps the hole through the guest's tables
};

}  // namespace vmlab::vmm

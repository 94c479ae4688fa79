// The scaffolding of the hostile tests that hand-assemble a guest kernel and run it natively
// and under each monitor that compresses rings (trap on the classic CPU, bt): a machine in
// one of those modes with the guest's memory written through the monitor when there is one,
// the real processor's view of the hypervisor hole (the monitor's own pages, which the
// guest's page tables never show), and a snapshot of the monitor's descriptor tables to
// compare before and after the guest ran (docs/isolation.md: a hostile guest leaves the
// monitor's state as it found it).
//
// Used by modes/full-emulation/tests/{far_gates_hostile,hole_far,hole_access,hole_stack_hostile,
// gates16_hostile}_test.cpp and
// modes/binary-translation/tests/monitor_selectors_hostile_test.cpp.
#ifndef VMLAB_MODES_TESTS_HOSTILE_HARNESS_H
#define VMLAB_MODES_TESTS_HOSTILE_HARNESS_H

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/deprivileged_monitor.h"

namespace vmlab::modes::hostile {

// Where the guest runs: on the machine itself, or under a monitor that compresses rings.
enum class Where { kNative, kClassic, kBt };
inline constexpr Where kMonitors[] = {Where::kClassic, Where::kBt};
// "native", "trap classic" or "bt", for a failure's message.
const char* name(Where where);

// A 4 MiB machine in `where`, its monitor attached (not yet started).
class Run {
 public:
  Run(Where where, uint64_t max_instructions);

  // The guest's physical memory: the machine's natively, the monitor's guest memory under one.
  void write32(uint32_t gpa, uint32_t value);
  void write8(uint32_t gpa, uint8_t value);
  void write(uint32_t gpa, const std::vector<uint8_t>& bytes);
  uint32_t read32(uint32_t gpa);

  // Starts the guest at `entry` in protected mode (the multiboot entry state).
  void start(uint32_t entry);
  machine::RunResult run() { return vm_->run(); }

  bool monitored() const { return monitor_ != nullptr; }
  vmm::Vm& vm() { return *vm_; }
  cpu::Cpu& cpu() { return vm_->machine().cpu(); }

 private:
  std::unique_ptr<vmm::Vm> vm_;
  vmm::DeprivilegedMonitor* monitor_ = nullptr;
};

// A 16 MiB machine in `where` with the Multiboot kernel `kernel` loaded (the test kernels
// of tests/kernels/), run up to its first console line: its tables are loaded and paging is
// on, and it has done nothing hostile yet. Null (with a test failure) when it cannot start.
std::unique_ptr<vmm::Vm> boot_to_first_line(Where where, const char* kernel,
                                            uint64_t max_instructions);

// The real processor's mapping of `linear` (a page of the hole, the monitor's): its machine
// address, or nothing when the page is not mapped.
std::optional<uint32_t> real_frame(cpu::Cpu& cpu, uint32_t linear);
// `pages` pages from `linear` through the real mapping; an unmapped page reads as zeros.
std::vector<uint8_t> real_bytes(cpu::Cpu& cpu, uint32_t linear, uint32_t pages = 1);
// The linear addresses in the hole (at every byte offset of every mapped page) whose dword
// is `value`.
std::vector<uint32_t> hole_holding(cpu::Cpu& cpu, uint32_t value);

// The monitor's own descriptor tables as the real processor sees them: the last page of the
// shadow GDT (the monitor's slots) without the accessed bits, which are the processor's; its
// IDT; its TSS without SS1:ESP1, the ring-1 stack it keeps equal to the guest's ring-0 stack.
struct MonitorTables {
  std::vector<uint8_t> gdt_slots, idt, tss;
  static MonitorTables of(cpu::Cpu& cpu);
};

// The guest's descriptor tables, for a program that loads them with LGDT [gdtr] and
// LIDT [idtr]: `gdt` at `gdt_at` and its GDTR image (limit, base) at `gdtr`; an IDT of 256
// empty (not-present) gates at `idt_at` and its IDTR image at `idtr`.
void write_tables(Run& guest, uint32_t gdt_at, const std::vector<uint64_t>& gdt, uint32_t gdtr,
                  uint32_t idt_at, uint32_t idtr);
// A 32-bit interrupt gate, DPL 0, for `vector` in the IDT at `idt_at`.
void write_interrupt_gate(Run& guest, uint32_t idt_at, uint8_t vector, uint16_t selector,
                          uint32_t offset);
// The #GP handler of the programs that make one attempt after another, at `handler`, and
// the IDT's #GP gate to it: it stores each error code at log[EDI] and counts EDI up, then
// resumes at ESI, where each attempt leaves the address of the next (pop eax;
// mov [edi*4 + log], eax; inc edi; mov [esp], esi; iret). The `entries` log slots start
// as 0xFFFFFFFF.
void write_gp_logger(Run& guest, uint32_t idt_at, uint32_t handler, uint32_t log, uint32_t entries);

// Appends one attempt to such a program, whose code starts at `code_at`: mov esi, <the
// address after the attempt>; `insn`.
void append_attempt(std::vector<uint8_t>& code, uint32_t code_at, const std::vector<uint8_t>& insn);

// Descriptor and code images for the hand-assembled guests (SDM Vol. 3A 3.4.5, 5.8.3).
uint64_t segment_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
uint64_t call_gate(uint16_t target, uint32_t offset, uint8_t access);
void emit32(std::vector<uint8_t>& code, uint32_t value);

}  // namespace vmlab::modes::hostile

#endif  // VMLAB_MODES_TESTS_HOSTILE_HARNESS_H

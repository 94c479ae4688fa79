// The one event taxonomy of vmlab: what every mode reports, what the counters count, what
// the trace files hold and what the GUI will draw (DESIGN.md, "Events and traces").
//
// EventKind and ModeId values are stable: they end up in trace files, stats files and lab
// checkers. Append new values; never renumber or reuse one. docs/trace-format.md lists
// every kind with the meaning of its payload, and a test checks that list against
// kEventKindInfo below.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vmlab::vmm {

enum class ModeId : uint8_t { native = 0, trap = 1, bt = 2, pv = 3, kvm = 4 };
inline constexpr unsigned kNumModes = 5;

// The CLI name of a mode ("native", "trap", ...), and back.
std::string_view mode_name(ModeId mode);
std::optional<ModeId> mode_from_name(std::string_view name);

enum class EventKind : uint16_t {
  // A trap or VM exit hands control to the monitor: a = vector or exit reason,
  // b = error code or exit qualification.
  trap = 1,
  // The monitor emulated a privileged instruction: a = opcode (0x0F-prefixed as 0x1nn),
  // b = ModRM.reg extension, c = guest-linear address of the instruction.
  emulated_insn = 2,
  // A sensitive instruction ran without a trap (POPF, PUSHF, SGDT, ... in ring 1): real
  // hardware cannot tell, the simulated CPU can. a = opcode, b = ModRM.reg extension.
  sensitive_no_trap = 3,
  // The binary translator translated a unit: a = guest-linear start, b = instructions,
  // c = bytes of translated code, d = bytes of guest code.
  bt_translate = 4,
  // Translated code called out into the monitor: a = callout reason, b = guest opcode.
  bt_callout = 5,
  // A paravirtual hypercall: a = number, b = first argument, c = second, d = result.
  hypercall = 6,
  // A hidden page fault: a shadow page-table miss the monitor filled without the guest
  // seeing it. a = linear address, b = error code, c = shadow PTE written.
  hidden_fault = 7,
  // A true page fault the monitor reflected to the guest: a = linear, b = error code.
  true_fault = 8,
  // The guest wrote one of its page-table entries and the monitor saw it (trace, fault
  // or mmu_update): a = guest-physical address of the entry, b = new value, c = old.
  guest_pt_write = 9,
  // The monitor changed a shadow entry because of a guest page-table write or CR3 switch:
  // a = linear address covered, b = new shadow entry.
  shadow_update = 10,
  // CR3 was loaded: a = old value, b = new value.
  cr3_switch = 11,
  // The TLB was flushed as a whole: a = 1 when global entries went too.
  tlb_flush = 12,
  // INVLPG: one page dropped from the TLB. a = linear address.
  invlpg = 13,
  // Port I/O: a = port, b = size in bytes, c = value (written, or returned by the read),
  // d = flags (bit 0: write, bit 1: a device is behind the port).
  port_io = 14,
  // Memory-mapped I/O: a = physical address, b = size, c = value, d = bit 0: write.
  mmio = 15,
  // An exception delivered by the processor: a = vector, b = error code,
  // c = 1 when the exception pushes an error code.
  exception = 16,
  // An external interrupt (INTR from the 8259A) delivered: a = vector.
  external_interrupt = 17,
  // A software interrupt (INT n, INT3, INTO) delivered: a = vector,
  // c = 0 INT n, 1 INT3, 2 INTO.
  software_interrupt = 18,
  // The monitor injected a virtual interrupt or exception into the guest: a = vector,
  // b = error code, c = 1 when it has one.
  virq_inject = 19,
  // A PV front end or back end notified the other side of a shared ring: a = ring (the
  // event-channel port), b = requests or responses in the batch, c = 1 when the back end
  // notified the front end.
  ring_notify = 20,
  // The machine stopped: a = reason (machine::StopReason value), b = exit value,
  // c = 1 when the guest wrote the exit port.
  machine_stop = 21,
  // The processor raised a page fault (before delivery): a = linear (CR2), b = error code.
  page_fault = 22,
  // CR0 or CR4 was written (CR3 is cr3_switch): a = register number, b = old, c = new.
  cr_write = 23,
  // A TLB miss under nested paging walked both dimensions (guest tables and the nested
  // table): a = linear address, b = paging-structure references (8 for a 4 KiB guest page
  // on the 2-level nested table; Bhargava et al. 2008, nm + n + m).
  nested_walk = 24,
  // Binary translation (modes/binary-translation, docs/modes/binary-translation.md).
  // A continuation was patched into a direct jump between two translations (chaining):
  // a = TC address patched, b = guest-linear target, c = the target's TC address.
  bt_chain = 25,
  // An indirect jmp/call or a ret found its guest target in the in-TC hash table:
  // a = guest-linear target (0 when counted in bulk), b = how many (recorded at the next
  // monitor entry, since translated code does not call the monitor on a hit).
  bt_lookup_hit = 26,
  // The in-TC hash lookup missed and called out: a = guest-linear target.
  bt_lookup_miss = 27,
  // A sensitive instruction was emulated by an in-TC sequence (no monitor entry):
  // a = kind (docs/modes/binary-translation.md), b = how many (recorded in bulk).
  bt_in_tc = 28,
  // Adaptive BT retranslated an instruction: a = guest-linear EIP, b = 1 when it became a
  // callout (guilty), 0 when it went back to IDENT (innocent), c = faults or callouts seen.
  bt_adapt = 29,
  // The translation cache was flushed: a = translations dropped, b = bytes in use.
  bt_flush = 30,
  // A guest write hit a page holding translated code (self-modifying code):
  // a = guest-physical page address, b = translations invalidated.
  bt_invalidate = 31,
  // Ring compression (trap on the classic CPU, bt): a guest instruction that reached a
  // linear address in the monitor's hypervisor hole (0xFC000000 and up) was executed by
  // the monitor, its accesses there through the guest's own page tables (issue 12, item
  // 12): a = the first such linear address, b = 1 when it wrote there.
  hole_access = 32,
  // A disk took a request: an ATA command the controller executes (native, trap, bt) or a
  // request the PV block back end takes from its ring (pv). The disk's own work, charged
  // alike in every mode (docs/disk.md, "Cost in each mode"). a = operation (0 read, 1
  // write, 3 flush, 4 other), b = first sector, c = sectors, d = the ATA command byte, or
  // 0x100 + the ring request's segments.
  blk_request = 33,
};
inline constexpr unsigned kNumEventKinds = 34;  // one past the largest value

// The name used in trace files, stats and --cost (e.g. "port_io"), and the names of the
// payload fields a..d (nullptr for a field the kind does not use).
struct EventKindInfo {
  const char* name;
  std::array<const char*, 4> fields;
};
// Indexed by the kind's value; entry 0 is unused ({nullptr}).
extern const std::array<EventKindInfo, kNumEventKinds> kEventKindInfo;

inline constexpr unsigned index_of(EventKind kind) {
  return static_cast<unsigned>(kind);
}
std::string_view event_kind_name(EventKind kind);
std::optional<EventKind> event_kind_from_name(std::string_view name);
// Every defined kind, in value order.
const std::array<EventKind, kNumEventKinds - 1>& all_event_kinds();

// One event. Kept small: it goes into a ring buffer and into trace files in bulk.
struct Event {
  uint64_t seq;      // 0, 1, 2, ... per run, across all kinds
  uint64_t cycle;    // modeled cycle at which it happened (before its own charge)
  uint64_t charged;  // modeled cycles charged for it
  uint32_t eip;      // the guest instruction it belongs to (see docs/trace-format.md)
  std::array<uint32_t, 4> payload;
  EventKind kind;
  uint8_t cpl;
  ModeId mode;
};

}  // namespace vmlab::vmm

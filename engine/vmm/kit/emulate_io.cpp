// IN, OUT, INS, OUTS: port I/O of the deprivileged kernel, which faults because the real
// IOPL is 0 and the monitor's TSS has no I/O bitmap (SDM Vol. 1, 19.5), performed on the
// machine's I/O bus: the device model answers as it would natively, and the bus records
// the port_io event.
#include <capstone/capstone.h>

#include <algorithm>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/guest_stack.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/string_io.h"

namespace vmlab::vmm {

PrivilegedEmulator::Outcome PrivilegedEmulator::port_io(const GuestInsn& insn) {
  // IN acc, imm8/DX and OUT imm8/DX, acc: Capstone lists the destination first.
  const bool in = insn.id == X86_INS_IN;
  const GuestOperand& port_op = in ? insn.ops[1] : insn.ops[0];
  const GuestOperand& acc = in ? insn.ops[0] : insn.ops[1];
  const uint16_t port = port_op.kind == GuestOperand::Kind::kImm
                            ? static_cast<uint16_t>(port_op.imm & 0xFF)
                            : c_.cpu.r16(cpu::EDX);
  const unsigned size = acc.size;
  if (in) {
    write_gpr(cpu::EAX, static_cast<uint8_t>(size), c_.machine.io_read(port, size));
  } else {
    c_.machine.io_write(port, size, read_gpr(cpu::EAX, static_cast<uint8_t>(size)));
  }
  // The device access itself costs what it costs natively (insn.port_io), on top of the trap.
  return done(insn, c_.cpu.class_costs()[cpu::kCostPortIo]);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::string_io(const GuestInsn& insn) {
  // The kit's view for the shared element loop (string_io.h): segment checks with the
  // guest's own limits, the guest's page tables, stores through commit() so that one onto a
  // traced page keeps the shadows coherent.
  class View final : public StringIoView {
   public:
    explicit View(PrivilegedEmulator& e) : e_(e) {}
    bool segment_allows(uint8_t seg, uint32_t offset, unsigned size, bool write) const override {
      return e_.segment_allows(seg, offset, size, write);
    }
    GuestWalk walk_for_write(uint32_t lin) override {
      return e_.c_.memory.walk(lin, cpu::Access::kWrite, e_.user(), false);
    }
    bool read(uint32_t lin, uint32_t& value, unsigned size, GuestMemory::Fault& f) override {
      return e_.c_.memory.read(lin, &value, size, e_.user(), &f);
    }
    bool write(uint32_t lin, uint32_t value, unsigned size, GuestMemory::Fault& f) override {
      if (e_.write_mem(lin, &value, size, write_fault)) return true;
      f = {e_.c_.vcpu.cr2, write_fault.error_code};
      return false;
    }
    // write_mem's fault, already the guest's (page_fault() recorded it).
    std::optional<Outcome> write_fault_of(const StringIoBatch& b) const {
      if (b.end != StringIoBatch::End::kPageFault || write_fault.verdict != Verdict::kFault)
        return std::nullopt;
      return write_fault;
    }
    Outcome write_fault{};

   private:
    PrivilegedEmulator& e_;
  };
  const auto op = string_io_op(insn, c_.cpu.r16(cpu::EDX));
  if (!op) return {Verdict::kNotEmulated};
  View view(*this);
  const StringIoBatch b = string_io_batch(c_.cpu, c_.machine, view, *op);
  // The device's bus cycles: insn.port_io per element, as for IN and OUT (port_io()).
  const uint64_t cycles = b.elements * c_.cpu.class_costs()[cpu::kCostPortIo];
  switch (b.end) {
    case StringIoBatch::End::kSegmentFault: return {Verdict::kFault, b.vector, true, 0};
    case StringIoBatch::End::kPageFault:
      if (const auto recorded = view.write_fault_of(b)) return *recorded;
      return page_fault(b.page_fault);
    case StringIoBatch::End::kAgain: record(insn, cycles); return {};  // EIP stays
    case StringIoBatch::End::kComplete: break;
  }
  return done(insn, cycles);
}

bool PrivilegedEmulator::segment_allows(const cpu::SegmentCache& sc, uint32_t offset, unsigned size,
                                        bool write) {
  if (!sc.usable) return false;
  if (write ? !sc.writable() : !sc.readable()) return false;
  return cpu::segment_contains(sc, offset, size);
}

bool PrivilegedEmulator::segment_allows(uint8_t seg, uint32_t offset, unsigned size,
                                        bool write) const {
  const cpu::SegmentCache& sc = c_.cpu.state().seg[seg];
  // Under ring compression the real limit is the cut one: the guest's own descriptor, the
  // one the register was loaded from, decides (guest_stack.h).
  if (!c_.cpu.guest_mode() && c_.shadow.has_hole()) {
    return segment_allows(guest_segment_view(segments(), sc), offset, size, write);
  }
  return segment_allows(sc, offset, size, write);
}

}  // namespace vmlab::vmm

namespace vmlab::vmm {

// --- Port access from guest user mode (SDM Vol. 1, 19.5) ------------------------------------
//
// Natively a ring-3 IN, OUT, INS or OUTS runs when CPL <= IOPL, else when every bit of the
// accessed ports is clear in the I/O permission bitmap of the current TSS; otherwise it
// raises #GP(0). Under the monitor the real IOPL is 0 and the real TSS (the monitor's) has
// no bitmap, so every such access faults; the monitor then decides with the guest's
// virtual IOPL and the bitmap of the guest's own TSS (virtual TR), read through the
// guest's page tables at supervisor privilege as the processor's implicit accesses are.
// Xen decides a PV guest's port access the same way from its virtual IOPL and the bitmap
// the guest registered (xen/arch/x86/pv/emul-priv-op.c, guest_io_okay).

namespace {

// The 16-bit field at offset 0x66 of a 32-bit TSS holds the bitmap's offset (SDM Vol. 3A,
// figure 7-2).
constexpr uint32_t kIoMapBaseField = 0x66;

}  // namespace

bool PrivilegedEmulator::io_permitted(uint16_t port, unsigned size, Outcome& fault) {
  const VirtualCpu& v = c_.vcpu;
  if (c_.cpu.state().cpl <= v.iopl) return true;
  // A guest without a loaded 32-bit TSS (LTR checks the type) has no bitmap.
  if (v.tr == 0 || v.tss_limit < kIoMapBaseField + 1) return false;
  GuestMemory::Fault f;
  uint16_t map = 0;
  if (!c_.memory.read(v.tss_base + kIoMapBaseField, &map, 2, false, &f)) {
    fault = page_fault(f);
    return false;
  }
  // The processor reads the two bytes that hold the ports' bits; both must lie within the
  // TSS limit (which is why a bitmap ends with an extra 0xFF byte, 19.5.2).
  const uint32_t byte = uint32_t{map} + port / 8u;
  if (byte + 1 > v.tss_limit) return false;
  uint16_t bits = 0;
  if (!c_.memory.read(v.tss_base + byte, &bits, 2, false, &f)) {
    fault = page_fault(f);
    return false;
  }
  const uint32_t mask = ((1u << size) - 1) << (port & 7u);
  return (bits & mask) == 0;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_user_io() {
  Outcome fault;
  const auto decoded = fetch(fault);
  if (!decoded)
    return fault.verdict == Verdict::kNotEmulated ? Outcome{Verdict::kNotEmulated} : fault;
  const GuestInsn& insn = *decoded;
  unsigned size = 0;
  uint16_t port = c_.cpu.r16(cpu::EDX);
  switch (insn.id) {
    case X86_INS_IN:
    case X86_INS_OUT: {
      const bool in = insn.id == X86_INS_IN;
      const GuestOperand& port_op = in ? insn.ops[1] : insn.ops[0];
      size = (in ? insn.ops[0] : insn.ops[1]).size;
      if (port_op.kind == GuestOperand::Kind::kImm)
        port = static_cast<uint16_t>(port_op.imm & 0xFF);
      break;
    }
    case X86_INS_INSB:
    case X86_INS_OUTSB: size = 1; break;
    case X86_INS_INSW:
    case X86_INS_OUTSW: size = 2; break;
    case X86_INS_INSD:
    case X86_INS_OUTSD: size = 4; break;
    case X86_INS_CPUID: return cpuid(insn);  // CPUID faulting at CPL 3 (cpuid())
    case X86_INS_LJMP:
    case X86_INS_LCALL: {
      // A TSS or task gate of the guest's, or a call gate (to its kernel, as a system call).
      const Outcome task = far_task_switch(insn);
      return task.verdict != Verdict::kNotEmulated ? task : far_through_gate(insn);
    }
    default: return {Verdict::kNotEmulated};
  }
  if (!io_permitted(port, size, fault)) {
    return fault.verdict == Verdict::kFault ? fault : Outcome{Verdict::kNotEmulated};
  }
  return size != 0 && (insn.id == X86_INS_IN || insn.id == X86_INS_OUT) ? port_io(insn)
                                                                        : string_io(insn);
}

}  // namespace vmlab::vmm

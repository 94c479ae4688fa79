// Guest kernel code in a 16-bit code segment (CS.D = 0), interpreted.
//
// Real kernels reach 16-bit protected-mode code (APM and PnP BIOS thunks, 16-bit call
// gates). The translator decodes 32-bit code, and a fragment runs on linearly where a 16-bit
// IP wraps to 0, so such code is not translated: VMware's monitor ran it by interpretation
// (Adams & Agesen 2006), and so does this one. The guest waits at the re-entry trampoline
// (enter_tc), whose callout, recorded as `interpret16` (bt_callout reason 12, with the
// instruction's opcode as emulated_insn numbers it), interprets one instruction here, with
// the guest's state out of the TC: every round is an instruction of the processor, so the budget
// bounds a guest that loops there, and interrupts come in between, as between the
// processor's instructions.
//
// An instruction runs through the kit, as trap-and-emulate on the classic CPU runs the
// guest kernel in ring 1, with the holes of ring 1 closed as the TC closes them:
//   - anything else executes on the kit's scratch processor (emulate_write: the guest's
//     segments, its page tables, the hole's rules, stores to traced pages through the shadow
//     MMU), in ring 1; what faults there with #GP in ring 1 is a privileged instruction,
//     which the kit emulates (CLI, STI, HLT, IN, OUT, MOV CR, LGDT, an SS load, ...); the
//     sensitive reads see the guest's state (PUSHF the virtual IF and the guest's IOPL,
//     PUSH CS and SS RPL 0, SGDT, SIDT, SMSW, SLDT and STR the guest's registers);
//   - POPF gives the popped IF and IOPL to the virtual CPU (in ring 1 the processor drops
//     them);
//   - a segment load, LAR, LSL, VERR and VERW first meet the selector table the TC's loads
//     check (sync_selector_table): a selector of the monitor's (0xFFxx, its TC code, %gs data
//     and TSS), one past the guest's table, or an RPL-1 one of a DPL-0 descriptor is
//     #GP(selector), or ZF clear, as natively, and never reaches the scratch processor;
//   - far JMP, CALL and RET are the kit's far-transfer callout (its selector and hole
//     checks), IRET the IRET callout, INT n, INT3, INTO and INT1 go through the guest's IDT;
//   - RDTSC reads the machine's time.
#include <capstone/capstone.h>

#include <optional>

#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

using vmm::GuestOperand;
using vmm::PrivilegedEmulator;

namespace {

// The selector a segment load or LAR, LSL, VERR, VERW takes: a register's, or the span the
// kit names (a memory operand's first bytes, a far pointer, the stack's top).
std::optional<uint16_t> selector_of(const vmm::GuestInsn& insn, const cpu::CpuState& s,
                                    PrivilegedEmulator& emulator, vmm::GuestMemory& memory) {
  const GuestOperand* from = nullptr;
  unsigned skip = 0;  // bytes before the selector in the memory operand
  switch (insn.id) {
    case X86_INS_MOV:
    case X86_INS_LAR:
    case X86_INS_LSL: from = &insn.ops[1]; break;
    case X86_INS_VERR:
    case X86_INS_VERW: from = &insn.ops[0]; break;
    case X86_INS_LDS:
    case X86_INS_LES:
    case X86_INS_LFS:
    case X86_INS_LGS:
    case X86_INS_LSS: skip = insn.o16 ? 2 : 4; break;
    default: break;  // POP: the stack's top
  }
  if (from != nullptr && from->kind == GuestOperand::Kind::kGpr) {
    return static_cast<uint16_t>(s.gpr[from->reg]);
  }
  const auto span = emulator.selector_operand_span();
  uint16_t sel = 0;
  if (!span || !memory.read(span->first + skip, &sel, 2, false)) return std::nullopt;
  return sel;
}

bool loads_segment(const vmm::GuestInsn& insn) {
  switch (insn.id) {
    case X86_INS_MOV:
    case X86_INS_POP: return insn.ops[0].kind == GuestOperand::Kind::kSreg;
    case X86_INS_LDS:
    case X86_INS_LES:
    case X86_INS_LFS:
    case X86_INS_LGS:
    case X86_INS_LSS: return true;
    default: return false;
  }
}

bool checks_selector(const vmm::GuestInsn& insn) {
  return insn.id == X86_INS_LAR || insn.id == X86_INS_LSL || insn.id == X86_INS_VERR ||
         insn.id == X86_INS_VERW;
}

}  // namespace

void BtMonitor::interpret16() {
  cpu::CpuState& s = cpu_.state();
  PrivilegedEmulator::Outcome fault;
  const auto insn = emulator_->fetch(fault);
  vm_.recorder().record(vmm::EventKind::bt_callout,
                        {static_cast<uint32_t>(CalloutKind::kInterpret16), insn ? insn->opcode : 0u,
                         s.seg[cpu::CS].base + s.eip, 0});
  if (insn) {
    const uint32_t next = (s.eip + insn->length) & 0xFFFFu;  // IP wraps at 64 KiB
    switch (insn->id) {
      case X86_INS_INT:
      case X86_INS_INT3:
      case X86_INS_INTO:
      case X86_INS_INT1: {
        s.eip = next;
        if (insn->id == X86_INS_INTO && !(s.eflags & cpu::flags::OF)) return;
        const uint8_t vector = insn->id == X86_INS_INT    ? static_cast<uint8_t>(insn->ops[0].imm)
                               : insn->id == X86_INS_INT3 ? cpu::vec::BP
                               : insn->id == X86_INS_INTO ? cpu::vec::OF
                                                          : cpu::vec::DB;
        // INT1 is delivered as the processor delivers a debug exception: no DPL check.
        injector_.deliver(vector,
                          insn->id == X86_INS_INT1 ? vmm::GuestEventInjector::Kind::kException
                                                   : vmm::GuestEventInjector::Kind::kSoftware,
                          false, 0);
        return;
      }
      case X86_INS_IRET:
      case X86_INS_IRETD: iret_callout(insn->o16); return;
      case X86_INS_RDTSC:
        // The machine's time, not the scratch processor's (the guest kernel is at CPL 0,
        // where CR4.TSD does not apply).
        s.gpr[cpu::EAX] = static_cast<uint32_t>(cpu_.cycles());
        s.gpr[cpu::EDX] = static_cast<uint32_t>(cpu_.cycles() >> 32);
        s.eip = next;
        return;
      case X86_INS_LJMP:
      case X86_INS_LCALL:
      case X86_INS_RETF: {
        const auto outcome = emulator_->emulate_privileged();
        if (outcome.verdict == PrivilegedEmulator::Verdict::kNotEmulated && far_transfer()) return;
        vmm::settle(outcome, cpu::vec::GP, 0, injector_);
        return;
      }
      default: break;
    }
    if (loads_segment(*insn) || checks_selector(*insn)) {
      const auto sel = selector_of(*insn, s, *emulator_, memory_);
      if (const uint32_t refused = sel ? selector_refusal(*sel) : 0) {
        if (checks_selector(*insn)) {
          s.eflags &= ~cpu::flags::ZF;
          s.eip = next;
        } else {
          injector_.reflect_exception(cpu::vec::GP, true, refused);
        }
        return;
      }
    }
  }
  // POPF: the image's IF and IOPL are the virtual CPU's (read before the pop moves SP).
  std::optional<uint32_t> popped;
  if (insn && (insn->id == X86_INS_POPF || insn->id == X86_INS_POPFD)) {
    uint32_t v = 0;
    const uint32_t sp = s.seg[cpu::SS].base + s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]);
    if (memory_.read(sp, &v, insn->o16 ? 2 : 4, false)) popped = v;
  }
  auto outcome = emulator_->emulate_write();
  // A #GP or #SS that only the cut segments of ring compression give (an operand in the
  // hypervisor hole): executed as natively, through the guest's page tables (as the
  // SIMULATE callout does).
  if (outcome.verdict == PrivilegedEmulator::Verdict::kFault &&
      (outcome.vector == cpu::vec::GP || outcome.vector == cpu::vec::SS)) {
    const auto hole = emulator_->emulate_hole_access();
    if (hole.verdict != PrivilegedEmulator::Verdict::kNotEmulated) outcome = hole;
  }
  if (popped && outcome.verdict == PrivilegedEmulator::Verdict::kEmulated) {
    vcpu_.interrupts_enabled = (*popped & cpu::flags::IF) != 0;
    vcpu_.iopl = static_cast<uint8_t>((*popped & cpu::flags::IOPL) >> cpu::flags::IOPL_SHIFT);
  }
  vmm::settle(outcome, cpu::vec::PF, 0, injector_);
}

}  // namespace vmlab::modes::bt

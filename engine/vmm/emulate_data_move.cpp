// The data-move path: stores to pages the monitor write-protects.
//
// Every guest page-table page is read-only in the shadows, so the guest's PTE writes trap
// (a "trace", Adams & Agesen 2006 section 2; references/papers.md 1e): the monitor decodes
// the store, computes the value the instruction would write, performs it on the guest's
// page table and drops the shadow entries it makes stale (ShadowMmu::write_traced). The
// forms compilers emit for PTE updates are covered: MOV, the read-modify-write ALU forms
// (ADD SUB AND OR XOR INC DEC), XCHG, CMPXCHG, BTS/BTR, and STOS/MOVS (memset and
// memcpy of a page table), with the flags the processor would set (engine/cpu/flags.h).
// Anything else stops the run with a message naming the instruction.
#include <capstone/capstone.h>

#include "engine/cpu/flags.h"
#include "engine/vmm/privileged_emulator.h"

namespace vmlab::vmm {

namespace {

uint32_t mask_of(unsigned size) {
  return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

template <typename T>
uint32_t alu_status(unsigned id, uint32_t a, uint32_t b, uint32_t r, uint32_t eflags) {
  const T ta = static_cast<T>(a);
  const T tb = static_cast<T>(b);
  const T tr = static_cast<T>(r);
  switch (id) {
    case X86_INS_ADD: return cpu::with_status(eflags, cpu::flags_add<T>(ta, tb, tr, false));
    case X86_INS_SUB:
    case X86_INS_CMPXCHG: return cpu::with_status(eflags, cpu::flags_sub<T>(ta, tb, tr, false));
    case X86_INS_INC:
      return cpu::with_status(eflags, (cpu::flags_add<T>(ta, 1, tr, false) & ~cpu::flags::CF) |
                                          (eflags & cpu::flags::CF));
    case X86_INS_DEC:
      return cpu::with_status(eflags, (cpu::flags_sub<T>(ta, 1, tr, false) & ~cpu::flags::CF) |
                                          (eflags & cpu::flags::CF));
    default: return cpu::with_status(eflags, cpu::flags_logic<T>(tr));
  }
}

uint32_t status(unsigned size, unsigned id, uint32_t a, uint32_t b, uint32_t r, uint32_t eflags) {
  switch (size) {
    case 1: return alu_status<uint8_t>(id, a, b, r, eflags);
    case 2: return alu_status<uint16_t>(id, a, b, r, eflags);
    default: return alu_status<uint32_t>(id, a, b, r, eflags);
  }
}

}  // namespace

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_write() {
  Outcome fault;
  const auto decoded = fetch(fault);
  if (!decoded) {
    if (fault.result == Result::kNotEmulated) {
      c_.cpu.unsupported(
          "a write to a write-protected guest page table by bytes Capstone "
          "cannot decode");
    }
    return fault;
  }
  const GuestInsn& insn = *decoded;
  cpu::CpuState& s = c_.cpu.state();

  // One store of `size` bytes at guest-linear `lin`: to the traced page table through the
  // shadow MMU, or (a CR0.WP-clear supervisor write) straight to guest memory.
  auto store = [&](uint32_t lin, uint32_t value, unsigned size) -> bool {
    if ((lin & 0xFFFu) + size > 4096) {
      c_.cpu.unsupported("an emulated store that crosses a page (" + insn.text + ")");
    }
    const GuestWalk w = c_.memory.walk(lin, cpu::Access::kWrite, user());
    if (!w.ok && !(c_.vcpu.paging() && !c_.vcpu.write_protect() && !user())) {
      fault = page_fault({lin, w.error_code});
      return false;
    }
    uint32_t gpa = w.gpa;
    if (!w.ok) {
      // A supervisor write to a read-only page with the guest's CR0.WP clear succeeds.
      const GuestWalk r = c_.memory.walk(lin, cpu::Access::kRead, false);
      if (!r.ok) {
        fault = page_fault({lin, r.error_code});
        return false;
      }
      gpa = r.gpa;
    }
    if (c_.shadow.tracked(gpa >> 12)) {
      c_.shadow.write_traced(gpa, value, size);
    } else {
      for (unsigned b = 0; b < size; ++b) {
        c_.memory.write_phys8(gpa + b, static_cast<uint8_t>(value >> (8 * b)));
      }
    }
    return true;
  };
  auto load = [&](uint32_t lin, unsigned size, uint32_t& value) -> bool {
    value = 0;
    return read_mem(lin, &value, size, fault);
  };
  auto source = [&](const GuestOperand& op) -> uint32_t {
    if (op.kind == GuestOperand::Kind::kImm) return op.imm & mask_of(op.size ? op.size : 4);
    return read_gpr(op.reg, op.size);
  };

  const GuestOperand& dst = insn.ops[0];
  switch (insn.id) {
    case X86_INS_MOV: {
      if (dst.kind != GuestOperand::Kind::kMem) break;
      if (insn.ops[1].kind == GuestOperand::Kind::kSreg) {
        if (!store(linear_of(insn, dst), s.seg[insn.ops[1].reg].selector, 2)) return fault;
      } else if (!store(linear_of(insn, dst), source(insn.ops[1]) & mask_of(dst.size), dst.size)) {
        return fault;
      }
      return done(insn);
    }
    case X86_INS_ADD:
    case X86_INS_SUB:
    case X86_INS_AND:
    case X86_INS_OR:
    case X86_INS_XOR:
    case X86_INS_INC:
    case X86_INS_DEC: {
      if (dst.kind != GuestOperand::Kind::kMem) break;
      const uint32_t lin = linear_of(insn, dst);
      uint32_t a = 0;
      if (!load(lin, dst.size, a)) return fault;
      const uint32_t b = (insn.id == X86_INS_INC || insn.id == X86_INS_DEC)
                             ? 1
                             : source(insn.ops[1]) & mask_of(dst.size);
      uint32_t r = 0;
      switch (insn.id) {
        case X86_INS_ADD:
        case X86_INS_INC: r = a + b; break;
        case X86_INS_SUB:
        case X86_INS_DEC: r = a - b; break;
        case X86_INS_AND: r = a & b; break;
        case X86_INS_OR: r = a | b; break;
        default: r = a ^ b; break;
      }
      r &= mask_of(dst.size);
      if (!store(lin, r, dst.size)) return fault;
      s.eflags = status(dst.size, insn.id, a, b, r, s.eflags);
      return done(insn);
    }
    case X86_INS_XCHG: {
      // XCHG m, r or XCHG r, m.
      const bool mem_first = dst.kind == GuestOperand::Kind::kMem;
      const GuestOperand& m = mem_first ? dst : insn.ops[1];
      const GuestOperand& r = mem_first ? insn.ops[1] : dst;
      const uint32_t lin = linear_of(insn, m);
      uint32_t old = 0;
      if (!load(lin, m.size, old)) return fault;
      if (!store(lin, read_gpr(r.reg, r.size), m.size)) return fault;
      write_gpr(r.reg, r.size, old);
      return done(insn);
    }
    case X86_INS_CMPXCHG: {
      const uint32_t lin = linear_of(insn, dst);
      uint32_t old = 0;
      if (!load(lin, dst.size, old)) return fault;
      const uint32_t acc = read_gpr(cpu::EAX, dst.size);
      if (old == acc) {
        if (!store(lin, read_gpr(insn.ops[1].reg, dst.size), dst.size)) return fault;
      } else {
        write_gpr(cpu::EAX, dst.size, old);
      }
      s.eflags =
          status(dst.size, X86_INS_CMPXCHG, acc, old, (acc - old) & mask_of(dst.size), s.eflags);
      return done(insn);
    }
    case X86_INS_BTS:
    case X86_INS_BTR: {
      if (insn.ops[1].kind != GuestOperand::Kind::kImm) break;
      const uint32_t lin = linear_of(insn, dst);
      uint32_t old = 0;
      if (!load(lin, dst.size, old)) return fault;
      const uint32_t bit = 1u << (insn.ops[1].imm % (8 * dst.size));
      const uint32_t r = insn.id == X86_INS_BTS ? old | bit : old & ~bit;
      if (!store(lin, r, dst.size)) return fault;
      s.eflags = (s.eflags & ~cpu::flags::CF) | ((old & bit) ? cpu::flags::CF : 0);
      return done(insn);
    }
    case X86_INS_STOSB:
    case X86_INS_STOSW:
    case X86_INS_STOSD:
    case X86_INS_MOVSB:
    case X86_INS_MOVSW:
    case X86_INS_MOVSD: {
      const bool movs =
          insn.id == X86_INS_MOVSB || insn.id == X86_INS_MOVSW || insn.id == X86_INS_MOVSD;
      const unsigned size = (insn.id == X86_INS_STOSB || insn.id == X86_INS_MOVSB)   ? 1
                            : (insn.id == X86_INS_STOSW || insn.id == X86_INS_MOVSW) ? 2
                                                                                     : 4;
      const int32_t step = (s.eflags & cpu::flags::DF) ? -static_cast<int32_t>(size) : size;
      uint8_t src_seg = cpu::DS;
      for (unsigned i = 0; i < insn.op_count; ++i) {
        if (insn.ops[i].kind == GuestOperand::Kind::kMem && insn.ops[i].base == cpu::ESI) {
          src_seg = insn.ops[i].seg;
        }
      }
      // With REP, iterate while the destination stays on the faulting page; the rest runs
      // natively (or traps again) when the instruction restarts with the updated ECX.
      const uint32_t page = (s.seg[cpu::ES].base + s.gpr[cpu::EDI]) & ~0xFFFu;
      bool any = false;
      while (!insn.rep || s.gpr[cpu::ECX] != 0) {
        const uint32_t to = s.seg[cpu::ES].base + s.gpr[cpu::EDI];
        if (any && (to & ~0xFFFu) != page) break;
        uint32_t value = read_gpr(cpu::EAX, static_cast<uint8_t>(size));
        if (movs && !load(s.seg[src_seg].base + s.gpr[cpu::ESI], size, value)) return fault;
        if (!store(to, value, size)) return fault;
        s.gpr[cpu::EDI] += static_cast<uint32_t>(step);
        if (movs) s.gpr[cpu::ESI] += static_cast<uint32_t>(step);
        any = true;
        if (!insn.rep) break;
        --s.gpr[cpu::ECX];
      }
      if (insn.rep && s.gpr[cpu::ECX] != 0) {
        record(insn);  // EIP stays: the REP continues from here
        return {};
      }
      return done(insn);
    }
    default: break;
  }
  c_.cpu.unsupported("a write to a write-protected guest page table by '" + insn.text +
                     "', which the monitor's data-move emulator does not implement");
}

}  // namespace vmlab::vmm

// IN and OUT with an immediate or DX port (SDM Vol. 2, IN and OUT). The permission check
// (CPL vs IOPL, then the TSS I/O bitmap) is in Cpu::io_in / io_out (io.cpp); INS and
// OUTS (exec_string.cpp) go through the same calls.
#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/vmx_exits.h"

namespace vmlab::cpu {

namespace {

unsigned io_size(const Insn& insn) {
  if (!(insn.op & 1)) return 1;  // even opcodes: AL
  return insn.o16() ? 2 : 4;
}

uint16_t io_port(const Cpu& cpu, const Insn& insn) {
  // E4-E7: imm8 port; EC-EF: DX.
  return (insn.op & 0x08) ? cpu.r16(EDX) : static_cast<uint16_t>(insn.imm & 0xFF);
}

// The #GP of a denied port and the VM exit are posted, not thrown (Cpu::post_vm_exit):
// these are a monitor's commonest events.
void in(Cpu& cpu, const Insn& insn) {
  const unsigned size = io_size(insn);
  if (cpu.guest_mode()) [[unlikely]] {
    if (vmx_io_posting(cpu, insn, io_port(cpu, insn), size, true, !(insn.op & 0x08))) return;
  }
  uint32_t v = 0;
  if (!cpu.io_in_posting(io_port(cpu, insn), size, v)) return;
  if (size == 1) {
    cpu.set_r8(0, static_cast<uint8_t>(v));
  } else if (size == 2) {
    cpu.set_r16(EAX, static_cast<uint16_t>(v));
  } else {
    cpu.set_r32(EAX, v);
  }
}

void out(Cpu& cpu, const Insn& insn) {
  const unsigned size = io_size(insn);
  if (cpu.guest_mode()) [[unlikely]] {
    if (vmx_io_posting(cpu, insn, io_port(cpu, insn), size, false, !(insn.op & 0x08))) return;
  }
  const uint32_t v = cpu.r32(EAX);
  cpu.io_out_posting(io_port(cpu, insn), size,
                     size == 1   ? (v & 0xFFu)
                     : size == 2 ? (v & 0xFFFFu)
                                 : v);
}

}  // namespace

void register_io(HandlerTable& t) {
  t.set(0xE4, in);
  t.set(0xE5, in);
  t.set(0xE6, out);
  t.set(0xE7, out);
  t.set(0xEC, in);
  t.set(0xED, in);
  t.set(0xEE, out);
  t.set(0xEF, out);
}

}  // namespace vmlab::cpu

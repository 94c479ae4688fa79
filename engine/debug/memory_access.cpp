// AccessDecoder (memory_access.h).
#include "engine/debug/memory_access.h"

#include <capstone/capstone.h>

#include <optional>

namespace vmlab::debug {

namespace {

// A 32-bit general register as the processor numbers it (EAX ECX EDX EBX ESP EBP ESI EDI).
std::optional<unsigned> gpr_index(unsigned reg) {
  switch (reg) {
    case X86_REG_EAX: return 0;
    case X86_REG_ECX: return 1;
    case X86_REG_EDX: return 2;
    case X86_REG_EBX: return 3;
    case X86_REG_ESP: return 4;
    case X86_REG_EBP: return 5;
    case X86_REG_ESI: return 6;
    case X86_REG_EDI: return 7;
    default: return std::nullopt;
  }
}

std::optional<cpu::SegReg> segment(unsigned reg) {
  switch (reg) {
    case X86_REG_ES: return cpu::ES;
    case X86_REG_CS: return cpu::CS;
    case X86_REG_SS: return cpu::SS;
    case X86_REG_DS: return cpu::DS;
    case X86_REG_FS: return cpu::FS;
    case X86_REG_GS: return cpu::GS;
    default: return std::nullopt;
  }
}

}  // namespace

AccessDecoder::AccessDecoder() {
  csh h = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK) {
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    handle_ = h;
  }
}

AccessDecoder::~AccessDecoder() {
  if (handle_) {
    csh h = handle_;
    cs_close(&h);
  }
}

std::vector<MemoryAccess> AccessDecoder::accesses(std::span<const uint8_t> code, uint32_t eip,
                                                  const cpu::CpuState& state) const {
  std::vector<MemoryAccess> out;
  if (!handle_ || code.empty()) return out;
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(handle_, code.data(), code.size(), eip, 1, &insn);
  if (n == 0) return out;
  const cs_x86& x86 = insn[0].detail->x86;
  for (uint8_t i = 0; i < x86.op_count; ++i) {
    const cs_x86_op& op = x86.operands[i];
    if (op.type != X86_OP_MEM) continue;
    if (insn[0].id == X86_INS_LEA || insn[0].id == X86_INS_NOP) continue;  // no access
    uint32_t address = static_cast<uint32_t>(op.mem.disp);
    const auto base = gpr_index(op.mem.base);
    const auto index = gpr_index(op.mem.index);
    if (base) address += state.gpr[*base];
    if (index) address += state.gpr[*index] * static_cast<uint32_t>(op.mem.scale);
    // The default segment: SS with an ESP or EBP base, DS otherwise.
    cpu::SegReg seg =
        (op.mem.base == X86_REG_ESP || op.mem.base == X86_REG_EBP) ? cpu::SS : cpu::DS;
    if (const auto s = segment(op.mem.segment)) seg = *s;
    address += state.seg[seg].base;
    MemoryAccess a;
    a.linear = address;
    a.size = op.size;
    a.read = (op.access & CS_AC_READ) != 0;
    a.write = (op.access & CS_AC_WRITE) != 0;
    // Capstone leaves `access` empty for a few instructions: count them as both.
    if (!a.read && !a.write) a.read = a.write = true;
    out.push_back(a);
  }
  cs_free(insn, n);
  return out;
}

}  // namespace vmlab::debug

// The decoder: bootstrap version, replaced by the table-driven decoder.
#include "engine/cpu/decoder.h"

namespace vmlab::cpu {

DecodeStatus decode(const uint8_t* bytes, size_t avail, bool, Insn& out) {
  if (avail < 1) return DecodeStatus::kNeedMore;
  out = Insn{};
  out.op = bytes[0];
  out.len = 1;
  out.exec = handler_table().get(out.op, 0);
  return DecodeStatus::kOk;
}

bool opcode_has_modrm(uint16_t) { return false; }

}  // namespace vmlab::cpu

// The opcode maps of the decoder: for every opcode of the one-byte and two-byte maps, the
// shape of its encoding (ModRM, immediates) and the facts that make a form undefined
// (reserved group slots, register forms of memory-only operands, LOCK). Transcribed
// from SDM Vol. 2D, appendix A (tables) and Vol. 2A, 2.1.1 (LOCK).
#pragma once

#include <cstdint>

namespace vmlab::cpu::decoder_tables {

// The immediate (or immediate-like) bytes that follow the ModRM/SIB/displacement bytes,
// named after the operand codes of SDM Vol. 2D, A.2.2.
enum class Imm : uint8_t {
  kNone,
  kIb,      // 8 bits, zero-extended
  kIbs,     // 8 bits, sign-extended to the operand size (83 group, 6A, 6B)
  kIw,      // 16 bits, zero-extended (RET Iw)
  kIz,      // 16 or 32 bits by operand size
  kRel8,    // 8-bit branch displacement, sign-extended
  kRelz,    // 16- or 32-bit branch displacement by operand size, sign-extended
  kFarPtr,  // Ap: offset (16 or 32 bits by operand size) then a 16-bit selector
  kMoffs,   // Ob/Ov: an offset of 16 or 32 bits by *address* size, stored as disp
  kEnter,   // ENTER: Iw then Ib
  kGroup3,  // F6/F7: TEST (/0, /1) has Ib or Iz, the other slots have none
};

struct OpcodeForm {
  bool modrm = false;  // a ModRM byte follows the opcode
  Imm imm = Imm::kNone;
  // Part of the i686 integer and system instruction set. Everything else (x87, MMX,
  // SSE, 3DNow!, the three-byte maps, later extensions) decodes for its length only and
  // raises #UD.
  bool supported = false;
  // MOV to/from control and debug registers: the r/m operand is always a register, and
  // mod is ignored (SDM Vol. 2B, MOV—Move to/from Control Registers, "the 2 bits in the
  // mod field are ignored").
  bool register_form = false;
  // Group slots (ModRM.reg values, one bit each) that the SDM defines. A reserved slot
  // raises #UD whatever the handler table holds.
  uint8_t defined_regs = 0xFF;
  // Slots whose r/m operand must be memory: the register form raises #UD.
  uint8_t memory_only_regs = 0;
  // Slots that accept a LOCK prefix (with a memory destination); SDM Vol. 2A, 2.1.1.
  uint8_t lockable_regs = 0;
};

// The form of opcode `op` (0x000-0x0FF one-byte map, 0x100-0x1FF two-byte map).
const OpcodeForm& opcode_form(uint16_t op);

}  // namespace vmlab::cpu::decoder_tables

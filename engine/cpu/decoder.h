// The instruction decoder: bytes to Insn, table-driven (SDM Vol. 2A, chapter 2 and
// appendix A, the opcode maps). It resolves prefixes, ModRM and SIB into the parts of
// the effective address, reads displacement and immediates, and binds the semantic
// routine from handler_table(). It never touches processor state, so the same decoder
// serves the run loop, the tests and the cross-check against Capstone.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/cpu/insn.h"

namespace vmlab::cpu {

enum class DecodeStatus : uint8_t {
  kOk,        // `out` holds the instruction
  kNeedMore,  // the instruction runs past `avail` bytes; call again with more
  kTooLong,   // longer than 15 bytes: #GP(0) (SDM Vol. 2A, 2.3.11)
};

// Decodes the instruction at `bytes`. `default32` is the D bit of the code segment.
// An opcode the table does not know still decodes (its length as far as the maps define
// it) and is bound to handler_undefined, which raises #UD.
DecodeStatus decode(const uint8_t* bytes, size_t avail, bool default32, Insn& out);

// Operand-shape facts the decoder knows per opcode, exported for the Capstone
// cross-check and the disassembly views.
bool opcode_has_modrm(uint16_t op);

// False when the decoded encoding raises #UD on this processor whatever the handler
// table holds: opcodes outside the i686 integer and system set (x87, MMX, SSE, the
// three-byte maps), reserved group slots, register forms of memory-only operands, and
// a LOCK prefix on anything but a read-modify-write of memory. decode() binds such
// encodings to handler_undefined.
bool encoding_defined(const Insn& insn);

}  // namespace vmlab::cpu

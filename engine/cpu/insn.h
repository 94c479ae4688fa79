// A decoded IA-32 instruction and the table that binds opcodes to their semantics.
//
// The decoder (decoder.cpp) turns bytes into an Insn: prefixes, opcode, ModRM/SIB
// resolved into effective-address parts, displacement and immediates, length. It knows
// the *form* of every opcode but nothing of its meaning. The meaning lives in one
// semantic routine per opcode form, in files split by instruction family
// (exec_alu.cpp, exec_string.cpp, exec_system.cpp, ...), each of which registers its
// routines in the HandlerTable. This is the split of SerenityOS LibX86 and of ares.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

class Cpu;
struct Insn;

// A semantic routine. On entry cpu.state().eip already points past the instruction
// (Cpu::insn_eip() gives its start); a routine that faults throws CpuFault before it
// changes any architectural state, so the instruction can restart.
using Handler = void (*)(Cpu&, const Insn&);

// Opcode numbering: 0x000-0x0FF the one-byte map, 0x100-0x1FF the two-byte map (0F xx).
inline constexpr uint16_t kTwoByte = 0x100;
inline constexpr uint16_t kNumOpcodes = 0x200;

inline constexpr uint8_t kNoReg = 0xFF;

// Insn::flags bits.
namespace insn_flags {
inline constexpr uint8_t kModrm = 1u << 0;     // a ModRM byte is present
inline constexpr uint8_t kOpsize16 = 1u << 1;  // operand size is 16 bits (0x66 in a 32-bit segment)
inline constexpr uint8_t kAddr16 = 1u << 2;    // address size is 16 bits (0x67 in a 32-bit segment)
inline constexpr uint8_t kLock = 1u << 3;      // LOCK prefix (accepted, no other effect on one CPU)
inline constexpr uint8_t kRep = 1u << 4;       // F3: REP / REPE
inline constexpr uint8_t kRepne = 1u << 5;     // F2: REPNE
inline constexpr uint8_t kSegOverride = 1u << 6;  // a segment-override prefix was present
}  // namespace insn_flags

struct Insn {
  Handler exec = nullptr;
  uint16_t op = 0;  // see "Opcode numbering"
  uint8_t len = 0;  // total length in bytes, prefixes included (1..15)
  uint8_t flags = 0;
  uint8_t mod = 0;  // ModRM fields, valid when kModrm is set
  uint8_t reg = 0;  // also the opcode extension of group instructions
  uint8_t rm = 0;
  // Segment of the memory operand: the override, else the default (DS, or SS for EBP/ESP bases).
  uint8_t seg = 3;
  uint8_t base = kNoReg;   // effective-address base register, or kNoReg
  uint8_t index = kNoReg;  // effective-address index register, or kNoReg
  uint8_t scale = 0;       // log2 of the SIB scale
  uint8_t cost_class = 0;  // instruction class for the cost model (see cost_class.h when it exists)
  uint32_t disp = 0;
  uint32_t imm = 0;   // first immediate, sign- or zero-extended as the opcode defines
  uint32_t imm2 = 0;  // second immediate: ENTER's nesting level, a far pointer's selector

  bool has_modrm() const { return flags & insn_flags::kModrm; }
  bool mem() const { return has_modrm() && mod != 3; }  // the r/m operand is memory
  bool o16() const { return flags & insn_flags::kOpsize16; }
  bool a16() const { return flags & insn_flags::kAddr16; }
  bool rep() const { return flags & insn_flags::kRep; }
  bool repne() const { return flags & insn_flags::kRepne; }
  bool lock() const { return flags & insn_flags::kLock; }
  uint16_t opcode() const { return op; }
};

// Binds (opcode, ModRM.reg) to a Handler. Opcodes without an extension fill all eight
// slots. Anything left unbound raises #UD, so an unimplemented instruction is a clean
// guest-visible fault, never a host crash.
class HandlerTable {
 public:
  HandlerTable();
  void set(uint16_t op, Handler h);
  void set_group(uint16_t op, uint8_t reg, Handler h);
  Handler get(uint16_t op, uint8_t reg) const { return table_[op][reg & 7]; }
  bool bound(uint16_t op, uint8_t reg) const;

 private:
  Handler table_[kNumOpcodes][8];
};

// The one table, built on first use from every family's register_* function
// (exec_families.h).
const HandlerTable& handler_table();

// Raises #UD. The default of every slot.
void handler_undefined(Cpu& cpu, const Insn& insn);

}  // namespace vmlab::cpu

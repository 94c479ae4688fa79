// GuestInsn: one guest instruction as the monitor sees it, decoded by Capstone.
//
// The simulated processor has its own table-driven decoder (it is the hardware); the
// monitor, like a real VMM, decodes the instruction that trapped with a disassembler
// library: Capstone 4 in 32-bit mode with operand details. This file turns Capstone's
// operands into the processor's terms (register numbers in ModRM order, segment
// numbers, effective-address parts) so that the emulator never sees Capstone's types.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace vmlab::vmm {

struct GuestOperand {
  enum class Kind : uint8_t { kNone, kGpr, kSreg, kCr, kDr, kImm, kMem, kOther };
  Kind kind = Kind::kNone;
  uint8_t size = 0;  // bytes
  // kGpr: the register number as ModRM encodes it at this size (8-bit: AL CL DL BL AH CH
  // DH BH); kSreg: ES CS SS DS FS GS = 0..5; kCr, kDr: the register number.
  uint8_t reg = 0;
  uint32_t imm = 0;
  // kMem: segment (0..5), base and index (GPR numbers or -1), scale (1, 2, 4, 8), disp.
  uint8_t seg = 3;
  int8_t base = -1;
  int8_t index = -1;
  uint8_t scale = 1;
  uint32_t disp = 0;
};

struct GuestInsn {
  unsigned id = 0;  // Capstone's x86_insn
  uint8_t length = 0;
  // The opcode as engine/vmm/core/event.h numbers it for emulated_insn (0x0F-prefixed: 0x1nn)
  // and the ModRM.reg extension (0 without ModRM).
  uint16_t opcode = 0;
  uint8_t modrm_reg = 0;
  // The operand and address sizes are 16 bits: the 66 and 67 prefixes in a 32-bit code
  // segment, their absence in a 16-bit one (CS.D = 0; SDM Vol. 1, 3.6).
  bool o16 = false;
  bool a16 = false;
  bool rep = false;    // F3
  bool repne = false;  // F2
  bool lock = false;
  uint8_t op_count = 0;
  std::array<GuestOperand, 4> ops{};
  std::string text;  // "mnemonic operands", for messages
};

// One Capstone handle (CS_ARCH_X86, CS_MODE_32, details on) for the monitor's lifetime.
class GuestInsnDecoder {
 public:
  GuestInsnDecoder();
  ~GuestInsnDecoder();
  GuestInsnDecoder(const GuestInsnDecoder&) = delete;
  GuestInsnDecoder& operator=(const GuestInsnDecoder&) = delete;

  // Decodes the instruction at the start of `bytes`, as a 32-bit code segment (`code32`)
  // or a 16-bit one executes it; nothing when Capstone cannot.
  std::optional<GuestInsn> decode(const uint8_t* bytes, size_t size, uint32_t address,
                                  bool code32 = true) const;

 private:
  size_t handle_ = 0;    // Capstone's csh, CS_MODE_32
  size_t handle16_ = 0;  // CS_MODE_16
};

}  // namespace vmlab::vmm

// The opcode maps, built once at compile time. Each block below follows one row range
// of SDM Vol. 2D, tables A-2 (one-byte map) and A-3 (two-byte map); group slots follow
// table A-6.
#include "engine/cpu/decoder_tables.h"

#include <array>

namespace vmlab::cpu::decoder_tables {
namespace {

using Table = std::array<OpcodeForm, 0x200>;

constexpr void set(Table& t, unsigned op, bool modrm, Imm imm = Imm::kNone) {
  t[op].modrm = modrm;
  t[op].imm = imm;
  t[op].supported = true;
}

// Decodes for length only; binds #UD.
constexpr void set_unsupported(Table& t, unsigned op, bool modrm, Imm imm = Imm::kNone) {
  t[op].modrm = modrm;
  t[op].imm = imm;
  t[op].supported = false;
}

constexpr void fill_one_byte_map(Table& t) {
  // 00-3F: the eight ALU operations, each as Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib /
  // eAX,Iz. CMP (38-3D) writes nothing, so it takes no LOCK.
  for (unsigned alu = 0; alu < 8; ++alu) {
    const unsigned b = alu * 8;
    for (unsigned k = 0; k < 4; ++k) set(t, b + k, true);
    set(t, b + 4, false, Imm::kIb);
    set(t, b + 5, false, Imm::kIz);
    if (alu != 7) {
      t[b + 0].lockable_regs = 0xFF;
      t[b + 1].lockable_regs = 0xFF;
    }
  }
  // The sixth and seventh column of rows 0-3: PUSH/POP ES CS SS DS; of rows 2-3: the
  // segment prefixes (handled before the map) and the BCD adjusts DAA DAS AAA AAS.
  for (unsigned op :
       {0x06u, 0x07u, 0x0Eu, 0x16u, 0x17u, 0x1Eu, 0x1Fu, 0x27u, 0x2Fu, 0x37u, 0x3Fu}) {
    set(t, op, false);
  }
  // 40-5F: INC, DEC, PUSH, POP of a register.
  for (unsigned op = 0x40; op <= 0x5F; ++op) set(t, op, false);
  set(t, 0x60, false);  // PUSHA
  set(t, 0x61, false);  // POPA
  set(t, 0x62, true);   // BOUND Gv,Ma
  t[0x62].memory_only_regs = 0xFF;
  set(t, 0x63, true);  // ARPL Ew,Gw
  set(t, 0x68, false, Imm::kIz);
  set(t, 0x69, true, Imm::kIz);
  set(t, 0x6A, false, Imm::kIbs);
  set(t, 0x6B, true, Imm::kIbs);
  for (unsigned op = 0x6C; op <= 0x6F; ++op) set(t, op, false);  // INS, OUTS
  for (unsigned op = 0x70; op <= 0x7F; ++op) set(t, op, false, Imm::kRel8);
  // 80-83: group 1. 82 is an alias of 80 in 32-bit code (table A-2, note i64 means only
  // that 64-bit mode drops it). The SDM sign-extends the Ib of 83 only.
  set(t, 0x80, true, Imm::kIb);
  set(t, 0x81, true, Imm::kIz);
  set(t, 0x82, true, Imm::kIb);
  set(t, 0x83, true, Imm::kIbs);
  for (unsigned op = 0x80; op <= 0x83; ++op) t[op].lockable_regs = 0x7F;  // not /7 CMP
  for (unsigned op = 0x84; op <= 0x8E; ++op) set(t, op, true);  // TEST XCHG MOV LEA MOV Sreg
  t[0x86].lockable_regs = 0xFF;
  t[0x87].lockable_regs = 0xFF;
  t[0x8D].memory_only_regs = 0xFF;  // LEA of a register: #UD
  // MOV Sreg: ModRM.reg names ES CS SS DS FS GS; 6 and 7 are #UD, and so is loading CS
  // (SDM Vol. 2B, MOV: "attempting to do so results in an invalid opcode exception").
  t[0x8C].defined_regs = 0x3F;
  t[0x8E].defined_regs = 0x3D;
  set(t, 0x8F, true);  // group 1A: POP Ev
  t[0x8F].defined_regs = 0x01;
  for (unsigned op = 0x90; op <= 0x99; ++op) set(t, op, false);  // XCHG eAX, CBW, CWD
  set(t, 0x9A, false, Imm::kFarPtr);
  for (unsigned op = 0x9B; op <= 0x9F; ++op) set(t, op, false);  // WAIT PUSHF POPF SAHF LAHF
  for (unsigned op = 0xA0; op <= 0xA3; ++op) set(t, op, false, Imm::kMoffs);
  for (unsigned op = 0xA4; op <= 0xAF; ++op) set(t, op, false);  // string operations
  set(t, 0xA8, false, Imm::kIb);
  set(t, 0xA9, false, Imm::kIz);
  for (unsigned op = 0xB0; op <= 0xB7; ++op) set(t, op, false, Imm::kIb);
  for (unsigned op = 0xB8; op <= 0xBF; ++op) set(t, op, false, Imm::kIz);
  set(t, 0xC0, true, Imm::kIb);  // group 2 by Ib
  set(t, 0xC1, true, Imm::kIb);
  set(t, 0xC2, false, Imm::kIw);
  set(t, 0xC3, false);
  set(t, 0xC4, true);  // LES; C4/C5 with mod=11 are VEX prefixes on AVX processors,
  set(t, 0xC5, true);  // on an i686 they are LES/LDS of a register, which is #UD.
  t[0xC4].memory_only_regs = 0xFF;
  t[0xC5].memory_only_regs = 0xFF;
  // Group 11: MOV only in slot /0; C6 F8 and C7 F8 are XABORT/XBEGIN on later processors.
  set(t, 0xC6, true, Imm::kIb);
  set(t, 0xC7, true, Imm::kIz);
  t[0xC6].defined_regs = 0x01;
  t[0xC7].defined_regs = 0x01;
  set(t, 0xC8, false, Imm::kEnter);
  set(t, 0xC9, false);
  set(t, 0xCA, false, Imm::kIw);
  set(t, 0xCB, false);
  set(t, 0xCC, false);
  set(t, 0xCD, false, Imm::kIb);
  set(t, 0xCE, false);
  set(t, 0xCF, false);
  for (unsigned op = 0xD0; op <= 0xD3; ++op) set(t, op, true);  // group 2 by 1 or CL
  set(t, 0xD4, false, Imm::kIb);                                // AAM
  set(t, 0xD5, false, Imm::kIb);                                // AAD
  // D6 is SALC, undocumented in the SDM (table A-2 leaves it blank).
  set_unsupported(t, 0xD6, false);
  set(t, 0xD7, false);  // XLAT
  // D8-DF: x87 escapes. Every one has a ModRM byte (tables ), no immediate;
  // exec_x87.cpp gives #UD for the reserved forms.
  for (unsigned op = 0xD8; op <= 0xDF; ++op) set(t, op, true);
  for (unsigned op = 0xE0; op <= 0xE3; ++op) set(t, op, false, Imm::kRel8);  // LOOPcc JECXZ
  set(t, 0xE4, false, Imm::kIb);  // IN/OUT with a port number
  set(t, 0xE5, false, Imm::kIb);
  set(t, 0xE6, false, Imm::kIb);
  set(t, 0xE7, false, Imm::kIb);
  set(t, 0xE8, false, Imm::kRelz);
  set(t, 0xE9, false, Imm::kRelz);
  set(t, 0xEA, false, Imm::kFarPtr);
  set(t, 0xEB, false, Imm::kRel8);
  for (unsigned op = 0xEC; op <= 0xEF; ++op) set(t, op, false);  // IN/OUT with DX
  set(t, 0xF1, false);                                           // INT1 (ICEBP)
  set(t, 0xF4, false);                                           // HLT
  set(t, 0xF5, false);                                           // CMC
  // Group 3. Slot /1 is blank in table A-6, but every Intel processor executes it as
  // TEST with an immediate, so it decodes as TEST does and the handler table decides.
  set(t, 0xF6, true, Imm::kGroup3);
  set(t, 0xF7, true, Imm::kGroup3);
  t[0xF6].lockable_regs = 0x0C;  // NOT, NEG
  t[0xF7].lockable_regs = 0x0C;
  for (unsigned op = 0xF8; op <= 0xFD; ++op) set(t, op, false);  // CLC STC CLI STI CLD STD
  set(t, 0xFE, true);                                            // group 4: INC/DEC Eb
  t[0xFE].defined_regs = 0x03;
  t[0xFE].lockable_regs = 0x03;
  set(t, 0xFF, true);  // group 5; far CALL/JMP (/3, /5) take an m16:32, never a register
  t[0xFF].defined_regs = 0x7F;
  t[0xFF].memory_only_regs = 0x28;
  t[0xFF].lockable_regs = 0x03;
}

constexpr void fill_two_byte_map(Table& t) {
  constexpr unsigned k = 0x100;
  // Opcodes the map leaves blank are one byte after 0F and raise #UD: that is the
  // default of every entry not set below.
  set(t, k + 0x00, true);  // group 6: SLDT STR LLDT LTR VERR VERW
  t[k + 0x00].defined_regs = 0x3F;
  // Group 7. With mod=11 slots /0-/3 and /7 encode later extensions (VMCALL, MONITOR,
  // SWAPGS, ...) that an i686 does not have; only SMSW and LMSW take a register.
  set(t, k + 0x01, true);
  t[k + 0x01].defined_regs = 0xDF;
  t[k + 0x01].memory_only_regs = 0x8F;
  set(t, k + 0x02, true);               // LAR
  set(t, k + 0x03, true);               // LSL
  set_unsupported(t, k + 0x05, false);  // SYSCALL (AMD K6 and later)
  set(t, k + 0x06, false);              // CLTS
  set_unsupported(t, k + 0x07, false);  // SYSRET
  set(t, k + 0x08, false);              // INVD
  set(t, k + 0x09, false);              // WBINVD
  set(t, k + 0x0B, false);              // UD2
  set(t, k + 0x0D, true);               // hint NOP (PREFETCHW on later processors)
  set_unsupported(t, k + 0x0E, false);  // FEMMS (3DNow!)
  // 3DNow!: ModRM, then the real opcode as a trailing byte in the immediate position.
  set_unsupported(t, k + 0x0F, true, Imm::kIb);
  for (unsigned op = 0x10; op <= 0x17; ++op) set_unsupported(t, k + op, true);  // SSE moves
  for (unsigned op = 0x18; op <= 0x1F; ++op) set(t, k + op, true);  // prefetch, hint NOPs
  for (unsigned op = 0x20; op <= 0x23; ++op) {                      // MOV to/from CRn, DRn
    set(t, k + op, true);
    t[k + op].register_form = true;
  }
  // MOV to/from test registers: 386 and 486 only, #UD on the P6 family.
  for (unsigned op : {0x24u, 0x26u}) {
    set_unsupported(t, k + op, true);
    t[k + op].register_form = true;
  }
  for (unsigned op = 0x28; op <= 0x2F; ++op) set_unsupported(t, k + op, true);  // SSE
  set(t, k + 0x30, false);                                                      // WRMSR
  set(t, k + 0x31, false);                                                      // RDTSC
  set(t, k + 0x32, false);                                                      // RDMSR
  set(t, k + 0x33, false);                                                      // RDPMC
  set(t, k + 0x34, false);                                                      // SYSENTER
  set(t, k + 0x35, false);                                                      // SYSEXIT
  set_unsupported(t, k + 0x37, false);                                          // GETSEC (SMX)
  // 0F 38 and 0F 3A escape to the three-byte maps (SSSE3 and later). Every entry there
  // has a ModRM byte, and those of 0F 3A an Ib too (SDM Vol. 2D, tables ); the
  // decoder reads the third opcode byte and then uses these forms.
  set_unsupported(t, k + 0x38, true);
  set_unsupported(t, k + 0x3A, true, Imm::kIb);
  for (unsigned op = 0x40; op <= 0x4F; ++op) set(t, k + op, true);  // CMOVcc
  // 50-7F: SSE and MMX, all with ModRM; 70-73 add an Ib (shuffles, shifts by imm8);
  // 77 is EMMS; 78/79 are VMREAD/VMWRITE.
  for (unsigned op = 0x50; op <= 0x7F; ++op) set_unsupported(t, k + op, true);
  for (unsigned op = 0x70; op <= 0x73; ++op) t[k + op].imm = Imm::kIb;
  t[k + 0x77].modrm = false;
  for (unsigned op = 0x80; op <= 0x8F; ++op) set(t, k + op, false, Imm::kRelz);  // Jcc
  for (unsigned op = 0x90; op <= 0x9F; ++op) set(t, k + op, true);               // SETcc
  set(t, k + 0xA0, false);                                                       // PUSH FS
  set(t, k + 0xA1, false);                                                       // POP FS
  set(t, k + 0xA2, false);                                                       // CPUID
  set(t, k + 0xA3, true);                                                        // BT
  set(t, k + 0xA4, true, Imm::kIb);                                              // SHLD Ib
  set(t, k + 0xA5, true);                                                        // SHLD CL
  set(t, k + 0xA8, false);                                                       // PUSH GS
  set(t, k + 0xA9, false);                                                       // POP GS
  set(t, k + 0xAA, false);                                                       // RSM
  set(t, k + 0xAB, true);                                                        // BTS
  set(t, k + 0xAC, true, Imm::kIb);                                              // SHRD Ib
  set(t, k + 0xAD, true);                                                        // SHRD CL
  set_unsupported(t, k + 0xAE, true);  // group 15: FXSAVE, LDMXCSR, fences
  set(t, k + 0xAF, true);              // IMUL Gv,Ev
  set(t, k + 0xB0, true);              // CMPXCHG
  set(t, k + 0xB1, true);
  set(t, k + 0xB2, true);  // LSS
  set(t, k + 0xB3, true);  // BTR
  set(t, k + 0xB4, true);  // LFS
  set(t, k + 0xB5, true);  // LGS
  for (unsigned op : {0xB2u, 0xB4u, 0xB5u}) t[k + op].memory_only_regs = 0xFF;
  set(t, k + 0xB6, true);  // MOVZX
  set(t, k + 0xB7, true);
  set_unsupported(t, k + 0xB8, true);  // POPCNT (F3) / JMPE
  set_unsupported(t, k + 0xB9, true);  // UD1: #UD by definition
  set(t, k + 0xBA, true, Imm::kIb);    // group 8: BT BTS BTR BTC by Ib
  t[k + 0xBA].defined_regs = 0xF0;
  t[k + 0xBA].lockable_regs = 0xE0;
  set(t, k + 0xBB, true);  // BTC
  set(t, k + 0xBC, true);  // BSF
  set(t, k + 0xBD, true);  // BSR
  set(t, k + 0xBE, true);  // MOVSX
  set(t, k + 0xBF, true);
  for (unsigned op : {0xA3u, 0xABu, 0xB3u, 0xBBu, 0xB0u, 0xB1u}) {
    // BT takes no LOCK: it only reads its destination.
    if (op != 0xA3) t[k + op].lockable_regs = 0xFF;
  }
  set(t, k + 0xC0, true);  // XADD
  set(t, k + 0xC1, true);
  t[k + 0xC0].lockable_regs = 0xFF;
  t[k + 0xC1].lockable_regs = 0xFF;
  set_unsupported(t, k + 0xC2, true, Imm::kIb);  // CMPPS
  set_unsupported(t, k + 0xC3, true);            // MOVNTI
  for (unsigned op = 0xC4; op <= 0xC6; ++op) set_unsupported(t, k + op, true, Imm::kIb);
  set(t, k + 0xC7, true);  // group 9: CMPXCHG8B m64 in slot /1 only
  t[k + 0xC7].defined_regs = 0x02;
  t[k + 0xC7].memory_only_regs = 0x02;
  t[k + 0xC7].lockable_regs = 0x02;
  for (unsigned op = 0xC8; op <= 0xCF; ++op) set(t, k + op, false);  // BSWAP
  // D0-FF: MMX and SSE, all with ModRM (FF is UD0, which takes one too).
  for (unsigned op = 0xD0; op <= 0xFF; ++op) set_unsupported(t, k + op, true);
}

constexpr Table build() {
  Table t{};
  fill_one_byte_map(t);
  fill_two_byte_map(t);
  return t;
}

constexpr Table kForms = build();

}  // namespace

const OpcodeForm& opcode_form(uint16_t op) {
  return kForms[op & 0x1FF];
}

}  // namespace vmlab::cpu::decoder_tables

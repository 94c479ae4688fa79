// CLI, STI, PUSHF, POPF, IRET, INT n, INT3, INTO, INT1, HLT.
//
// The interpreter's twin is engine/cpu/exec_interrupt.cpp. In ring 1 the real CLI and STI
// fault and the real PUSHF and POPF silently show or ignore the real IF (the Popek-
// Goldberg hole): here they become in-TC sequences on the virtual IF in the %gs data
// ("vcpu.flags.IF := 0", Adams & Agesen 2006, section 3.2). IRET, INT n and HLT change
// privilege or wait, and call out to the monitor.
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;
using FE = FragmentEmitter;

bool classify_interrupt(ClassifiedInsn& insn) {
  switch (insn.id) {
    case X86_INS_CLI:
    case X86_INS_STI:
      // LAB 04 BEGIN solution: classify_cli_sti
      insn.how = Translation::kInTc;
      return true;
      // LAB 04 END
    case X86_INS_PUSHF:
    case X86_INS_PUSHFD:
    case X86_INS_POPF:
    case X86_INS_POPFD:
      insn.how = Translation::kInTc;  // (the 16-bit forms too: IF is bit 9 of the word)
      return true;
    case X86_INS_IRET:
    case X86_INS_IRETD:
    case X86_INS_INT:
    case X86_INS_INT3:
    case X86_INS_INTO:
    case X86_INS_INT1:
    case X86_INS_HLT:
      insn.how = Translation::kCallout;
      insn.terminates = true;
      return true;
    default: return false;
  }
}

void emit_interrupt(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  switch (insn.id) {
    case X86_INS_CLI:
    case X86_INS_STI: {
      // LAB 04 BEGIN solution: emit_cli_sti
      const bool sti = insn.id == X86_INS_STI;
      e.begin(insn, Translation::kInTc, kRestoreEax);
      a.mov(FE::gs(gsdata::kSaveEax), x86::eax);
      e.count(sti ? InTcKind::kSti : InTcKind::kCli, x86::eax);
      a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
      // Last, so that the interrupt window opens (or the shadow starts) right after it.
      a.mov(FE::gs(gsdata::kVif), asmjit::Imm(sti ? 0x200 : 0));
      if (sti) e.mark_sti();
      e.end();
      return;
      // LAB 04 END
    }
    case X86_INS_PUSHF:
    case X86_INS_PUSHFD: {
      // The image the real PUSHF pushes has IF = 1 and IOPL = 0 (the real flags while the
      // guest kernel runs); replace them by the virtual IF and IOPL without touching the
      // flags (LEA adds: the real bits are known). NT, AC and the status flags are real:
      // the translated POPF loads them, as ring 0's does. The 16-bit form pushes the low
      // word, which holds IF (bit 9) and IOPL (bits 12-13).
      const bool w = insn.o16;
      e.begin(insn, Translation::kInTc, kRestoreEax | kRestoreEcx);
      if (w) {
        a.pushf();
      } else {
        a.pushfd();
      }
      a.mov(FE::gs(gsdata::kSaveEax), x86::eax);
      a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
      if (w) {
        a.movzx(x86::eax, x86::word_ptr(x86::esp));
      } else {
        a.mov(x86::eax, x86::dword_ptr(x86::esp));
      }
      a.mov(x86::ecx, FE::gs(gsdata::kVif));
      a.lea(x86::eax, x86::ptr(x86::eax, x86::ecx, 0, -0x200));
      a.mov(x86::ecx, FE::gs(gsdata::kViopl));
      a.lea(x86::eax, x86::ptr(x86::eax, x86::ecx));
      if (w) {
        a.mov(x86::word_ptr(x86::esp), x86::ax);
      } else {
        a.mov(x86::dword_ptr(x86::esp), x86::eax);
      }
      e.count(InTcKind::kPushf, x86::ecx);
      a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
      a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
      e.end();
      return;
    }
    case X86_INS_POPF:
    case X86_INS_POPFD: {
      // The popped IF and IOPL go to the virtual IF and IOPL (the guest kernel is at CPL 0,
      // where POPF loads both); POPF itself (ring 1, IOPL 0) loads the status flags, NT and
      // AC and leaves the real IF and IOPL alone.
      const bool w = insn.o16;
      e.begin(insn, Translation::kInTc, kRestoreEax);
      a.mov(FE::gs(gsdata::kSaveEax), x86::eax);
      for (const uint32_t bits : {uint32_t{0x200}, uint32_t{0x3000}}) {
        if (w) {
          a.movzx(x86::eax, x86::word_ptr(x86::esp));
        } else {
          a.mov(x86::eax, x86::dword_ptr(x86::esp));
        }
        a.and_(x86::eax, bits);
        a.mov(FE::gs(bits == 0x200 ? gsdata::kVif : gsdata::kViopl), x86::eax);
      }
      if (w) {
        a.popf();
      } else {
        a.popfd();
      }
      e.count(InTcKind::kPopf, x86::eax);
      a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
      e.end();
      return;
    }
    case X86_INS_IRET:
    case X86_INS_IRETD:
      e.begin(insn, Translation::kCallout);
      e.callout(CalloutKind::kIret, insn,
                guest_opcode(insn) | (insn.o16 ? TranslationCache::kIret16 : 0));
      e.end();
      return;
    case X86_INS_INT:
    case X86_INS_INT3:
    case X86_INS_INTO:
    case X86_INS_INT1: {
      const uint32_t vector = insn.id == X86_INS_INT    ? (insn.ops[0].imm & 0xFF)
                              : insn.id == X86_INS_INT3 ? 3
                              : insn.id == X86_INS_INTO ? 4 | TranslationCache::kIntInto
                                                        : 1 | TranslationCache::kIntIcebp;
      e.begin(insn, Translation::kCallout);
      e.callout(CalloutKind::kInt, insn, vector);
      e.end();
      return;
    }
    case X86_INS_HLT:
      e.begin(insn, Translation::kCallout);
      e.callout(CalloutKind::kEmulate, insn, guest_opcode(insn));
      e.end();
      return;
    default: break;
  }
  e.begin(insn, Translation::kCallout);
  e.callout(CalloutKind::kUnsupported, insn, guest_opcode(insn));
  e.end();
}

}  // namespace vmlab::modes::bt

// IN, OUT, INS, OUTS: callouts into the monitor's device model.
//
// The interpreter's twin is engine/cpu/exec_io.cpp. Natively in ring 1 with IOPL 0 every
// port access faults (trap-and-emulate pays an exception for each); translated, it is a
// deliberate callout that the PrivilegedEmulator completes on the machine's I/O bus
// (DESIGN.md, "The modes": "IN/OUT become callouts").
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

bool classify_io(ClassifiedInsn& insn) {
  switch (insn.id) {
    case X86_INS_IN:
    case X86_INS_OUT:
    case X86_INS_INSB:
    case X86_INS_INSW:
    case X86_INS_INSD:
    case X86_INS_OUTSB:
    case X86_INS_OUTSW:
    case X86_INS_OUTSD:
      insn.how = Translation::kCallout;
      insn.terminates = true;
      return true;
    default: return false;
  }
}

void emit_io(FragmentEmitter& e, const ClassifiedInsn& insn) {
  e.begin(insn, Translation::kCallout);
  e.callout(CalloutKind::kEmulate, insn, guest_opcode(insn));
  e.end();
}

}  // namespace vmlab::modes::bt

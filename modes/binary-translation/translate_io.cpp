// IN, OUT, INS, OUTS: callouts into the monitor's device model, except the POST port read,
// which is emulated in the translation cache.
//
// The interpreter's twin is engine/cpu/exec_io.cpp. Natively in ring 1 with IOPL 0 every
// port access faults (trap-and-emulate pays an exception for each); translated, it is a
// deliberate callout that the PrivilegedEmulator completes on the machine's I/O bus
// (DESIGN.md, "The modes": "IN/OUT become callouts").
//
// A byte read of the POST port, `in al, 0x80` (E4 80) or `in al, dx` (EC) with DX = 0x80,
// no prefix, is the one exception: Adams & Agesen's software VMM
// emulates "simple in" from the POST port inside the TC, with no callout (2006, Sec. 6.3 on
// Fig. 4: 216 cycles, fifteen times faster than native). It is sound for that port, read,
// byte-wide, and no other, because
//   - the translated code is the guest kernel's (virtual CPL 0), which may always use a
//     port: no IOPL or I/O-bitmap check is skipped;
//   - the port's device (engine/machine/post_code_port.h) answers a read without side
//     effects and raises no interrupt, and the monitor keeps no state about it: nothing
//     the monitor does at a callout (virtual interrupts, the PIC's or the exit port's
//     consequences) is owed after the read;
//   - the immediate form names the port at translation time; IN AL, DX compares DX with
//     0x80 in the TC, without touching a flag (LEA and JECXZ), and calls out for any other
//     port, so that only the POST port is read this way.
// The read itself still happens, on the machine's I/O bus as the callout's would, at the
// same point of the instruction stream and with the same result (the port_io event is the
// bus's): the sequence stores its request to the device doorbell, a monitor page the
// processor watches, and loads the value the device model left in the %gs data
// (in_tc_port.cpp). Two instructions, no register but AL changed, no flag touched.
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace {

constexpr uint8_t kPostPort = 0x80;

bool is_post_port_read(const ClassifiedInsn& insn) {
  return insn.id == X86_INS_IN && insn.length == 2 && insn.bytes[0] == 0xE4 &&
         insn.bytes[1] == kPostPort;
}

// IN AL, DX without a prefix: the POST port when DX holds 0x80.
bool is_dx_byte_read(const ClassifiedInsn& insn) {
  return insn.id == X86_INS_IN && insn.length == 1 && insn.bytes[0] == 0xEC;
}

// The read itself: ring the doorbell, load what the device answered.
void emit_post_read(FragmentEmitter& e) {
  namespace x86 = asmjit::x86;
  auto& a = e.a();
  a.mov(FragmentEmitter::gs(gsdata::kDoorbell),
        asmjit::Imm(gsdata::kPortRequest | 1u << 16 | kPostPort));
  a.mov(x86::al, FragmentEmitter::gs(gsdata::kPortValue, 1));
}

}  // namespace

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
      if (is_post_port_read(insn)) {
        insn.how = Translation::kInTc;
        insn.terminates = false;
        return true;
      }
      if (is_dx_byte_read(insn)) {
        // In the TC for the POST port, a callout for any other (which returns to the
        // translation of the next instruction, as every callout does).
        insn.how = Translation::kInTc;
        insn.terminates = false;
        return true;
      }
      insn.how = Translation::kCallout;
      insn.terminates = true;
      return true;
    default: return false;
  }
}

void emit_io(FragmentEmitter& e, const ClassifiedInsn& insn) {
  if (insn.how == Translation::kInTc && !is_dx_byte_read(insn)) {
    e.begin(insn, Translation::kInTc);
    emit_post_read(e);
    e.end();
    return;
  }
  if (insn.how == Translation::kInTc) {
    //     mov gs:[kSaveEcx], ecx
    //     movzx ecx, dx
    //     lea ecx, [ecx - 0x80]    ; ECX = 0 iff DX = 0x80 (no flag changes)
    //     jecxz post
    //     mov ecx, gs:[kSaveEcx]
    //     int 0xBD                 ; any other port: the callout
    // post:
    //     mov ecx, gs:[kSaveEcx]
    //     (the read)
    namespace x86 = asmjit::x86;
    auto& a = e.a();
    e.begin(insn, Translation::kInTc, kRestoreEcx);
    asmjit::Label post = a.newLabel();
    a.mov(FragmentEmitter::gs(gsdata::kSaveEcx), x86::ecx);
    a.movzx(x86::ecx, x86::dx);
    a.lea(x86::ecx, x86::ptr(x86::ecx, -static_cast<int32_t>(kPostPort)));
    a.jecxz(x86::ecx, post);
    a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kSaveEcx));
    e.callout(CalloutKind::kEmulate, insn, guest_opcode(insn));
    a.bind(post);
    a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kSaveEcx));
    emit_post_read(e);
    e.end();
    return;
  }
  e.begin(insn, Translation::kCallout);
  e.callout(CalloutKind::kEmulate, insn, guest_opcode(insn));
  e.end();
}

}  // namespace vmlab::modes::bt

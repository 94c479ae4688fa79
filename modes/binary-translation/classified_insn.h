// The guest instructions as the translator classifies them: one ClassifiedInsn per guest
// instruction (the paper's IR objects, one per guest instruction, grouped into translation
// units of at most 12: Adams & Agesen 2006, section 3.2), with the kinds that classify it:
// how it reaches the TC (Translation), why translated code calls out (CalloutKind), which
// in-TC sequence emulates it (InTcKind).
//
// Capstone (detail mode) fills them (translator.cpp); each family file decides how the
// instruction is translated (translate_*.cpp) and emits it; bt_dump prints it.
#pragma once

#include <array>
#include <cstdint>

namespace vmlab::modes::bt {

// How a guest instruction reaches the translation cache (the columns of `vmlab bt-dump`).
enum class Translation : uint8_t {
  kIdent,     // copied byte for byte
  kRemapped,  // control flow: the target is a TC address (direct) or a hash lookup (indirect)
  kInTc,      // a short sequence on the virtual CPU state, in the TC, no monitor entry
  kCallout,   // a deliberate call into the monitor, which emulates the instruction
};
const char* translation_name(Translation t);

// Why translated code called out: the `reason` of the bt_callout event.
enum class CalloutKind : uint8_t {
  kContinue = 1,       // a continuation: translate the exit's target, then chain
  kLookupMiss = 2,     // the in-TC hash lookup of an indirect target missed
  kDeadEntry = 3,      // a chained jump reached an invalidated translation
  kEmulate = 4,        // a privileged instruction: PrivilegedEmulator (MOV CR, LGDT, IN, ...)
  kIret = 5,           // IRET: to the guest kernel (emulated) or to user mode (direct execution)
  kInt = 6,            // INT n, INT3, INTO in the guest kernel: through the guest's IDT
  kSimulateWrite = 7,  // adaptive BT: a store that kept hitting page tables, emulated
  kUnsupported = 8,    // something the translator does not handle: the run stops, with a message
  kReenter = 9,        // the re-entry trampoline: enter the TC at the guest EIP in kReentry
  // A guest kernel's segment load (or LAR, LSL, VERR, VERW) named one of the monitor's own
  // selectors (translate_segment.cpp): #GP(selector), or ZF clear, as its GDT limit gives.
  kMonitorSelector = 10,
  // A guest kernel instruction whose memory operand names CS (a CS override): the TC runs on
  // the monitor's code segment, so the kit executes it with the guest's CS (SIMULATE).
  kSimulate = 11,
  // Not a site's kind: the re-entry trampoline's callout when the guest kernel is in a
  // 16-bit code segment (CS.D = 0), which the translator does not translate: the monitor
  // interprets one instruction there with the kit (interpret16.cpp; Adams & Agesen 2006).
  kInterpret16 = 12,
};
const char* callout_name(CalloutKind k);

// The in-TC emulations (the `kind` of the bt_in_tc event), each counted in the TC.
enum class InTcKind : uint8_t {
  kCli = 0,
  kSti,
  kPushf,
  kPopf,
  kMovFromCs,
  kPushCs,
  kSgdt,
  kSidt,
  kSmsw,
  kStr,
  kSldt,
  kLoadGs,      // MOV GS / POP GS: the guest's %gs is virtual (the paper's %gs escape)
  kStoreGs,     // MOV from GS / PUSH GS
  kMovFromSs,   // MOV from SS / PUSH SS: the guest's SS with RPL 0
  kGsOverride,  // an instruction with a %gs-relative memory operand: run with the guest's %gs
  // IN AL, 0x80: the POST port read in the TC (translate_io.cpp). Recorded and charged as
  // it runs, through the device doorbell (in_tc_port.cpp), not counted in the %gs data.
  kInPort,
  // A guilty store to a traced guest page table (adaptive BT), performed with its shadow
  // update in the TC (translate_pte_write.cpp, in_tc_pte_write.cpp). Recorded and charged
  // as it runs, through the device doorbell, like kInPort.
  kPteWrite,
  // The same store onto a traced frame of the guest's GDT or LDT (not a page table): the
  // descriptors' bytes or the rest of their page (Linux's decompressor keeps its stack
  // there). Performed with ShadowMmu::write_traced, which brings the shadow descriptors
  // the store touches up to date; recorded and charged as kPteWrite.
  kTableWrite,
  kCount,
};
// The kinds counted in the %gs data and recorded at the next monitor entry (all before
// kInPort).
inline constexpr uint32_t kCountedInTcKinds = static_cast<uint32_t>(InTcKind::kInPort);
const char* in_tc_name(InTcKind k);

struct InsnOperand {
  enum class Kind : uint8_t { kNone, kReg, kImm, kMem };
  Kind kind = Kind::kNone;
  uint8_t size = 0;  // bytes
  uint16_t reg = 0;  // Capstone's x86_reg (kReg)
  uint32_t imm = 0;  // kImm (for relative branches: the absolute guest target)
  // kMem: Capstone registers (0 = none), scale, displacement, segment override (0 = none).
  uint16_t base = 0;
  uint16_t index = 0;
  uint8_t scale = 1;
  int32_t disp = 0;
  uint16_t segment = 0;
};

struct ClassifiedInsn {
  uint32_t eip = 0;  // guest-linear address
  uint8_t length = 0;
  std::array<uint8_t, 16> bytes{};
  unsigned id = 0;  // Capstone's x86_insn
  uint8_t op_count = 0;
  std::array<InsnOperand, 4> ops{};
  bool o16 = false;  // operand-size prefix: 16-bit operands (branches: EIP truncated to IP)
  bool a16 = false;  // address-size prefix: 16-bit addressing (LOOP and JCXZ count CX)
  bool rep = false;
  bool uses_gs = false;     // reads or writes %gs, or a memory operand with a %gs override
  bool cs_operand = false;  // a memory operand with a CS override (Family::kSimulate)
  bool cs_refused = false;  // ... in an instruction the TC would run: the run stops
  // ... in a segment load: cs_selector_check()'s detail bits
  uint32_t cs_selector = 0;
  // Decided by the family files (translator.cpp, classify).
  enum class Family : uint8_t {
    kNone,
    kControl,
    kInterrupt,
    kSystem,
    kIo,
    kSegment,
    kAdaptive,
    kSimulate,
  };
  Family family = Family::kNone;
  Translation how = Translation::kIdent;
  bool terminates = false;  // ends the translation unit
};

}  // namespace vmlab::modes::bt

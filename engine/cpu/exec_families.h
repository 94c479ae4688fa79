// Every instruction family registers its semantic routines here. One file per family,
// each headed by the SDM section it implements.
#pragma once

#include "engine/cpu/insn.h"

namespace vmlab::cpu {

// Integer instructions (SDM Vol. 1, chapter 7; Vol. 2 for each instruction).
void register_alu(
    HandlerTable& t);  // exec_alu.cpp: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT
void register_shift(HandlerTable& t);   // exec_shift.cpp: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD
void register_muldiv(HandlerTable& t);  // exec_muldiv.cpp: MUL IMUL DIV IDIV
void register_bit(HandlerTable& t);     // exec_bit.cpp: BT BTS BTR BTC BSF BSR SETcc
void register_move(HandlerTable& t);   // exec_move.cpp: MOV MOVZX MOVSX XCHG CMPXCHG CMPXCHG8B XADD
                                       // LEA BSWAP CMOVcc CBW CWDE CWD CDQ XLAT
void register_stack(HandlerTable& t);  // exec_stack.cpp: PUSH POP PUSHA POPA ENTER LEAVE
void register_control(HandlerTable& t);  // exec_control.cpp: JMP Jcc CALL RET (near) LOOP JECXZ
void register_string(
    HandlerTable& t);  // exec_string.cpp: MOVS STOS LODS CMPS SCAS INS OUTS with REP prefixes
void register_misc(HandlerTable& t);  // exec_misc.cpp: NOP PAUSE CPUID RDTSC flag ops LAHF SAHF BCD
                                      // adjusts BOUND WAIT UD2

// System instructions (SDM Vol. 3A).
void register_system(HandlerTable& t);  // exec_system.cpp: MOV CRn, LGDT LIDT SGDT SIDT SLDT STR
                                        // LTR LLDT SMSW LMSW CLTS INVLPG RDMSR WRMSR WBINVD INVD
void register_segment(
    HandlerTable& t);  // exec_segment.cpp: MOV Sreg, PUSH/POP Sreg, LDS LES LFS LGS LSS, far
                       // JMP/CALL/RET (far_transfer.cpp), LAR LSL VERR VERW ARPL
void register_interrupt(
    HandlerTable& t);  // exec_interrupt.cpp: INT n INT3 INTO IRET CLI STI PUSHF POPF HLT
void register_io(HandlerTable& t);   // exec_io.cpp: IN OUT (INS/OUTS are string instructions)
void register_x87(HandlerTable& t);  // exec_x87.cpp: the x87 FPU's escapes D8-DF

class Cpu;
void x87_wait(Cpu& cpu);  // exec_x87.cpp: WAIT/FWAIT's checks

}  // namespace vmlab::cpu

// Instruction classes for the cost model: modeled cycles = retired instructions x the
// cost of their class + the events' costs (DESIGN.md, "Time, determinism and the cost
// model"). The decoder tags every instruction with its class; a cost profile gives each
// class its cycles. The values are stable: profiles name them.
#pragma once

#include <array>
#include <cstdint>

namespace vmlab::cpu {

enum CostClass : uint8_t {
  kCostSimple = 0,     // ALU, moves, branches, stack: everything not listed below
  kCostMultiply = 1,   // MUL, IMUL
  kCostDivide = 2,     // DIV, IDIV, AAM
  kCostPortIo = 3,     // IN, OUT, INS, OUTS: a bus cycle to a device (slow on real PCs)
  kCostSystem = 4,     // MOV CRn/DRn, LGDT/LIDT/LTR/LLDT, INVLPG, WRMSR/RDMSR, CPUID, ...
  kCostInterrupt = 5,  // INT n, INT3, INTO, IRET, far CALL/JMP/RET: gate and segment work
  kCostSerialize = 6,  // HLT, CLI, STI, POPF, RDTSC
  kNumCostClasses = 7,
};

using ClassCosts = std::array<uint32_t, kNumCostClasses>;

// The class of an opcode (0x000-0x1FF, see insn.h) with its ModRM.reg extension.
uint8_t cost_class_of(uint16_t op, uint8_t reg);

// Names as cost profiles spell them ("insn.simple", ...), for parsing and printing.
const char* cost_class_name(uint8_t cls);

}  // namespace vmlab::cpu

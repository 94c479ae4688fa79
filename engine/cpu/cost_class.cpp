#include "engine/cpu/cost_class.h"

namespace vmlab::cpu {

uint8_t cost_class_of(uint16_t op, uint8_t reg) {
  switch (op) {
    case 0x69:
    case 0x6B:
    case 0x1AF: return kCostMultiply;
    case 0xF6:
    case 0xF7:
      if (reg == 4 || reg == 5) return kCostMultiply;
      if (reg == 6 || reg == 7) return kCostDivide;
      return kCostSimple;
    case 0xD4: return kCostDivide;
    case 0x6C:
    case 0x6D:
    case 0x6E:
    case 0x6F:
    case 0xE4:
    case 0xE5:
    case 0xE6:
    case 0xE7:
    case 0xEC:
    case 0xED:
    case 0xEE:
    case 0xEF: return kCostPortIo;
    case 0x100:
    case 0x101:
    case 0x102:
    case 0x103:
    case 0x106:
    case 0x108:
    case 0x109:
    case 0x120:
    case 0x121:
    case 0x122:
    case 0x123:
    case 0x130:
    case 0x132:
    case 0x1A2: return kCostSystem;
    case 0xCC:
    case 0xCD:
    case 0xCE:
    case 0xCF:
    case 0xF1:
    case 0x9A:
    case 0xEA:
    case 0xCA:
    case 0xCB: return kCostInterrupt;
    case 0xFF: return (reg == 3 || reg == 5) ? kCostInterrupt : kCostSimple;
    case 0xF4:
    case 0xFA:
    case 0xFB:
    case 0x9D:
    case 0x131: return kCostSerialize;
    default: return kCostSimple;
  }
}

const char* cost_class_name(uint8_t cls) {
  static const char* const kNames[kNumCostClasses] = {
      "insn.simple", "insn.multiply",  "insn.divide",   "insn.port_io",
      "insn.system", "insn.interrupt", "insn.serialize"};
  return cls < kNumCostClasses ? kNames[cls] : "insn.unknown";
}

}  // namespace vmlab::cpu

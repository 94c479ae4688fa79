// Interrupt delivery: bootstrap version, replaced by IDT delivery.
#include <string>

#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

void Cpu::deliver_interrupt(uint8_t vector, EventSource, bool, uint32_t) {
  unsupported("interrupt delivery is not implemented yet (vector " + std::to_string(vector) + ")");
}

}  // namespace vmlab::cpu

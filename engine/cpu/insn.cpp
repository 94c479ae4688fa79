#include "engine/cpu/insn.h"

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"

namespace vmlab::cpu {

HandlerTable::HandlerTable() {
  for (auto& row : table_) {
    for (auto& slot : row) slot = &handler_undefined;
  }
}

void HandlerTable::set(uint16_t op, Handler h) {
  for (auto& slot : table_[op]) slot = h;
}

void HandlerTable::set_group(uint16_t op, uint8_t reg, Handler h) {
  table_[op][reg & 7] = h;
}

bool HandlerTable::bound(uint16_t op, uint8_t reg) const {
  return table_[op][reg & 7] != &handler_undefined;
}

void handler_undefined(Cpu& cpu, const Insn&) {
  // Posted, not thrown: the run loop delivers it (Cpu::post_fault), cheaply in a storm.
  cpu.post_fault(vec::UD, false, 0);
}

const HandlerTable& handler_table() {
  static const HandlerTable table = [] {
    HandlerTable t;
    register_alu(t);
    register_shift(t);
    register_muldiv(t);
    register_bit(t);
    register_move(t);
    register_stack(t);
    register_control(t);
    register_string(t);
    register_misc(t);
    register_system(t);
    register_segment(t);
    register_interrupt(t);
    register_io(t);
    register_x87(t);
    return t;
  }();
  return table;
}

}  // namespace vmlab::cpu

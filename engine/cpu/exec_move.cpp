#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"

namespace vmlab::cpu {

void register_move(HandlerTable&) {}

}  // namespace vmlab::cpu

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"

namespace vmlab::cpu {

void register_segment(HandlerTable&) {}

}  // namespace vmlab::cpu

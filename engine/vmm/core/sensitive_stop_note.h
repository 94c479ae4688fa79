// The note a stop message gets when sensitive instructions ran deprivileged without a trap
// (cpu::CpuObserver::on_sensitive, recorded as sensitive_no_trap) and the guest then
// stopped making progress or failed: the Popek-Goldberg hole, named with the last such
// instructions, so that a student sees why the guest went wrong. The mode composes its
// stop message through Mode::explain_stop (mode.h), whose default adds this note; the
// classic trap monitor adds it with what closes its hole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/machine/run_result.h"

namespace vmlab::vmm {

class Vm;

// The mnemonic of a sensitive instruction the processor reports, by opcode (0x100 and up:
// 0F xx) and ModRM.reg: "pushf", "sgdt", ...
std::string sensitive_mnemonic(uint16_t opcode, uint8_t reg);

// Adds the note to `result` when the run ended stuck or failed (a halt nothing can wake, a
// triple fault, a non-zero status at the exit port, the no-progress guard) and the observer
// saw sensitive instructions run without a trap; `remedy` (may be empty) says what closes
// the hole.
void add_sensitive_stop_note(const Vm& vm, machine::RunResult& result, std::string_view remedy);

}  // namespace vmlab::vmm

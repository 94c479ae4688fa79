// bt_dump: a guest kernel block and its translation side by side (`vmlab bt-dump`, and the
// GUI's BT view). For each guest instruction of the fragment: its address, bytes and
// Capstone disassembly, how it was translated (IDENT, remapped, in-TC, callout), and the
// translated instructions with their TC addresses; then the fragment's exit stubs.
#pragma once

#include <cstdint>
#include <string>

#include "engine/vmm/core/inspection.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::modes::bt {

// A translation as text (the rows come from Vm::translation, engine/vmm/core/inspection.h).
std::string format_translation(const vmm::TranslationDetail& detail);
// The line printed for an address that cannot be translated.
std::string untranslatable(uint32_t guest);
// The translation of the guest-linear address `guest` in a Vm of any mode (translated now
// if needed, through the guest's current page tables), as text; the error line when the
// address cannot be translated (or the mode has no translation cache).
std::string bt_dump(vmm::Vm& vm, uint32_t guest);

}  // namespace vmlab::modes::bt

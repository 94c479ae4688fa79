// bt_dump: a guest kernel block and its translation side by side (`vmlab bt-dump`, and the
// GUI's BT view). For each guest instruction of the fragment: its address, bytes and
// Capstone disassembly, how it was translated (IDENT, remapped, in-TC, callout), and the
// translated instructions with their TC addresses; then the fragment's exit stubs.
#pragma once

#include <cstdint>
#include <string>

#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

// The translation of the guest-linear address `guest` (translated now if needed, through the
// guest's current page tables). An error line when the address cannot be translated.
std::string bt_dump(BtMonitor& monitor, uint32_t guest);

}  // namespace vmlab::modes::bt

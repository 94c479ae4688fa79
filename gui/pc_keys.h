// The PC keyboard key (engine/machine/scancodes.h) for a key the GUI's Screen tab receives:
// Qt's key code by the key's position on a US layout, so that Shift and the symbol's base
// key reach the guest as two keys, as on a real keyboard (Qt reports Shift+1 as Key_Exclam;
// the guest gets Shift and 1). Keys a PC keyboard has no key for: none.
#pragma once

#include <optional>

#include "engine/machine/scancodes.h"

namespace vmlab::gui {

// `keypad`: the event carried Qt::KeypadModifier (a key of the numeric keypad).
std::optional<machine::KeyId> pc_key_of(int qt_key, bool keypad);

}  // namespace vmlab::gui

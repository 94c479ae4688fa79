// Scancodes: the keys of the PC's MF II keyboard (IBM 101/102-key), their make codes in
// scancode sets 1 and 2, and the 8042's translation of set 2 to set 1.
//
// Set 2 is what an MF II keyboard sends after a reset; a break is F0 before the make
// code's last byte (E0 F0 75 for the released Up arrow). Set 1 is the PC/XT's set, which
// the 8042 produces from set 2 when the command byte's bit 6 (translate) is set, as a BIOS
// leaves it: each byte through a table, an F0 prefix dropped and bit 7 set on the byte
// after it. Figures: IBM Personal System/2 Hardware Interface Technical Reference,
// "Keyboard", the scan code tables of sets 1 and 2; the 8042's table is the one that maps
// each key's set 2 code to its set 1 code (IBM PC/AT Technical Reference, "Keyboard
// Controller": "the controller translates the keyboard's scan codes").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vmlab::machine {

struct KeyCode {
  std::string_view name;  // as a key script names it (key_script.h), lower case
  bool extended;          // E0-prefixed in both sets
  uint8_t set1;           // make code's last byte, set 1
  uint8_t set2;           // make code's last byte, set 2
};

// Every key vmlab can press, indexed by KeyId.
std::span<const KeyCode> key_table();
using KeyId = uint16_t;
std::optional<KeyId> find_key(std::string_view name);

// The bytes a keyboard in scancode set `set` (1 or 2) sends for `key` pressed (make) or
// released (break); at most 3 bytes. Returns the count.
size_t key_bytes(KeyId key, bool release, unsigned set, uint8_t out[3]);

// The 8042's translation of one byte from the keyboard (set 2) to set 1, without the F0
// handling: bytes that are a key's set 2 code become its set 1 code; 0x02 (the reply to
// "get scancode set" in set 2) becomes 0x41 and 0x03 becomes 0x3F, as in the 8042's table;
// every byte 0x80 and above but 0x83 (F7, 0x41) and 0x84 (SysRq, 0x54) passes unchanged.
uint8_t translate_set2_byte(uint8_t b);

}  // namespace vmlab::machine

#include "engine/machine/scancodes.h"

#include <array>

namespace vmlab::machine {

namespace {

// name, E0-prefixed, set 1, set 2 (IBM PS/2 Hardware Interface Technical Reference, the
// set 1 and set 2 tables, by key position).
constexpr KeyCode kKeys[] = {
    {"a", false, 0x1E, 0x1C},
    {"b", false, 0x30, 0x32},
    {"c", false, 0x2E, 0x21},
    {"d", false, 0x20, 0x23},
    {"e", false, 0x12, 0x24},
    {"f", false, 0x21, 0x2B},
    {"g", false, 0x22, 0x34},
    {"h", false, 0x23, 0x33},
    {"i", false, 0x17, 0x43},
    {"j", false, 0x24, 0x3B},
    {"k", false, 0x25, 0x42},
    {"l", false, 0x26, 0x4B},
    {"m", false, 0x32, 0x3A},
    {"n", false, 0x31, 0x31},
    {"o", false, 0x18, 0x44},
    {"p", false, 0x19, 0x4D},
    {"q", false, 0x10, 0x15},
    {"r", false, 0x13, 0x2D},
    {"s", false, 0x1F, 0x1B},
    {"t", false, 0x14, 0x2C},
    {"u", false, 0x16, 0x3C},
    {"v", false, 0x2F, 0x2A},
    {"w", false, 0x11, 0x1D},
    {"x", false, 0x2D, 0x22},
    {"y", false, 0x15, 0x35},
    {"z", false, 0x2C, 0x1A},
    {"1", false, 0x02, 0x16},
    {"2", false, 0x03, 0x1E},
    {"3", false, 0x04, 0x26},
    {"4", false, 0x05, 0x25},
    {"5", false, 0x06, 0x2E},
    {"6", false, 0x07, 0x36},
    {"7", false, 0x08, 0x3D},
    {"8", false, 0x09, 0x3E},
    {"9", false, 0x0A, 0x46},
    {"0", false, 0x0B, 0x45},
    {"`", false, 0x29, 0x0E},
    {"-", false, 0x0C, 0x4E},
    {"=", false, 0x0D, 0x55},
    {"[", false, 0x1A, 0x54},
    {"]", false, 0x1B, 0x5B},
    {"\\", false, 0x2B, 0x5D},
    {";", false, 0x27, 0x4C},
    {"'", false, 0x28, 0x52},
    {",", false, 0x33, 0x41},
    {".", false, 0x34, 0x49},
    {"/", false, 0x35, 0x4A},
    {"enter", false, 0x1C, 0x5A},
    {"esc", false, 0x01, 0x76},
    {"space", false, 0x39, 0x29},
    {"backspace", false, 0x0E, 0x66},
    {"tab", false, 0x0F, 0x0D},
    {"capslock", false, 0x3A, 0x58},
    {"shift", false, 0x2A, 0x12},
    {"rshift", false, 0x36, 0x59},
    {"ctrl", false, 0x1D, 0x14},
    {"alt", false, 0x38, 0x11},
    {"f1", false, 0x3B, 0x05},
    {"f2", false, 0x3C, 0x06},
    {"f3", false, 0x3D, 0x04},
    {"f4", false, 0x3E, 0x0C},
    {"f5", false, 0x3F, 0x03},
    {"f6", false, 0x40, 0x0B},
    {"f7", false, 0x41, 0x83},
    {"f8", false, 0x42, 0x0A},
    {"f9", false, 0x43, 0x01},
    {"f10", false, 0x44, 0x09},
    {"f11", false, 0x57, 0x78},
    {"f12", false, 0x58, 0x07},
    {"numlock", false, 0x45, 0x77},
    {"scrolllock", false, 0x46, 0x7E},
    {"kp*", false, 0x37, 0x7C},
    {"kp-", false, 0x4A, 0x7B},
    {"kp+", false, 0x4E, 0x79},
    {"kp.", false, 0x53, 0x71},
    {"kp0", false, 0x52, 0x70},
    {"kp1", false, 0x4F, 0x69},
    {"kp2", false, 0x50, 0x72},
    {"kp3", false, 0x51, 0x7A},
    {"kp4", false, 0x4B, 0x6B},
    {"kp5", false, 0x4C, 0x73},
    {"kp6", false, 0x4D, 0x74},
    {"kp7", false, 0x47, 0x6C},
    {"kp8", false, 0x48, 0x75},
    {"kp9", false, 0x49, 0x7D},
    // The E0 keys: their codes are those of the keypad keys they duplicate.
    {"rctrl", true, 0x1D, 0x14},
    {"ralt", true, 0x38, 0x11},
    {"up", true, 0x48, 0x75},
    {"down", true, 0x50, 0x72},
    {"left", true, 0x4B, 0x6B},
    {"right", true, 0x4D, 0x74},
    {"home", true, 0x47, 0x6C},
    {"end", true, 0x4F, 0x69},
    {"pageup", true, 0x49, 0x7D},
    {"pagedown", true, 0x51, 0x7A},
    {"insert", true, 0x52, 0x70},
    {"delete", true, 0x53, 0x71},
    {"kpenter", true, 0x1C, 0x5A},
    {"kp/", true, 0x35, 0x4A},
};

// The 8042's table for bytes below 0x80, built from the keys: each non-extended key's set
// 2 code maps to its set 1 code (the extended keys share their keypad twins' entries).
// 0x00 (set 2's "key detection error or overrun") becomes 0xFF, set 1's.
constexpr std::array<int16_t, 128> build_translation() {
  std::array<int16_t, 128> t{};
  for (auto& e : t) e = -1;
  for (const KeyCode& k : kKeys) {
    if (!k.extended && k.set2 < 0x80) t[k.set2] = k.set1;
  }
  t[0x00] = 0xFF;
  t[0x02] = 0x41;
  t[0x03] = 0x3F;
  return t;
}
constexpr auto kTranslation = build_translation();

}  // namespace

std::span<const KeyCode> key_table() {
  return kKeys;
}

std::optional<KeyId> find_key(std::string_view name) {
  for (size_t i = 0; i < std::size(kKeys); ++i) {
    if (kKeys[i].name == name) return static_cast<KeyId>(i);
  }
  return std::nullopt;
}

size_t key_bytes(KeyId key, bool release, unsigned set, uint8_t out[3]) {
  const KeyCode& k = kKeys[key];
  size_t n = 0;
  if (k.extended) out[n++] = 0xE0;
  if (set == 1) {
    out[n++] = static_cast<uint8_t>(k.set1 | (release ? 0x80 : 0x00));
  } else {
    if (release) out[n++] = 0xF0;
    out[n++] = k.set2;
  }
  return n;
}

uint8_t translate_set2_byte(uint8_t b) {
  if (b == 0x83) return 0x41;
  if (b == 0x84) return 0x54;
  if (b >= 0x80) return b;
  return kTranslation[b] < 0 ? b : static_cast<uint8_t>(kTranslation[b]);
}

}  // namespace vmlab::machine

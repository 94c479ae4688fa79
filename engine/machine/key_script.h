// KeyScript: keys for the guest's keyboard, written as text (`vmlab run --keys`).
//
// The syntax (docs/cli.md, "Key scripts"):
//   a character        the key that types it: `a`, `7`, `;`, space; an upper-case letter or
//                      a shifted symbol (`A`, `!`, `:`, `"`, `?`) is typed with Shift held;
//                      a newline is Enter, a tab is Tab
//   <name>             the named key pressed and released: <enter> <esc> <space>
//                      <backspace> <tab> <up> <down> <left> <right> <home> <end> <pageup>
//                      <pagedown> <insert> <delete> <f1>..<f12> <capslock> <numlock>
//                      <scrolllock> <kp0>..<kp9> <kp.> <kp+> <kp-> <kp*> <kp/> <kpenter>
//                      <rshift> <rctrl> <ralt>, any single key by its character (<a>,
//                      <;>), and <lt> for `<` itself
//   <shift> <ctrl> <alt>  (and rshift, rctrl, ralt) press and hold the modifier;
//                      </shift> releases it: `<shift>ab</shift>` types AB
//   <S-x> <C-x> <A-x>  x with Shift, Ctrl or Alt held (x a character or a key name):
//                      <C-c>, <S-left>, <C-A-delete>
//   <+name> <-name>    press (hold) or release any key; </name> releases too
//   <wait T>           T of modeled time before the next key: 500us, 20ms, 2s (a number
//                      alone is milliseconds)
// Names are case-insensitive. A bad script is an error naming the offending position
// (its byte offset from 0) and what is wrong there.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/machine/result.h"
#include "engine/machine/scancodes.h"

namespace vmlab::machine {

// One key event: the key pressed or released, after `wait_us` modeled microseconds more
// than the usual gap between two events (key_feeder.h).
struct KeyAction {
  KeyId key = 0;
  bool release = false;
  uint64_t wait_us = 0;
  bool operator==(const KeyAction&) const = default;
};

// The most events one script may hold, and the longest wait (one modeled hour).
inline constexpr size_t kMaxKeyActions = 1 << 20;
inline constexpr uint64_t kMaxKeyWaitUs = 3'600'000'000;

Result<std::vector<KeyAction>> parse_key_script(std::string_view text);

}  // namespace vmlab::machine

#include "gui/pc_keys.h"

#include <Qt>
#include <string_view>

namespace vmlab::gui {

namespace {

struct Named {
  int qt;
  std::string_view name;
};

// Qt's key codes by the PC key that types them (a shifted symbol by its base key).
constexpr Named kNamed[] = {
    {Qt::Key_Return, "enter"},
    {Qt::Key_Enter, "enter"},
    {Qt::Key_Escape, "esc"},
    {Qt::Key_Space, "space"},
    {Qt::Key_Backspace, "backspace"},
    {Qt::Key_Tab, "tab"},
    {Qt::Key_Backtab, "tab"},
    {Qt::Key_CapsLock, "capslock"},
    {Qt::Key_Shift, "shift"},
    {Qt::Key_Control, "ctrl"},
    {Qt::Key_Alt, "alt"},
    {Qt::Key_AltGr, "ralt"},
    {Qt::Key_Left, "left"},
    {Qt::Key_Right, "right"},
    {Qt::Key_Up, "up"},
    {Qt::Key_Down, "down"},
    {Qt::Key_Home, "home"},
    {Qt::Key_End, "end"},
    {Qt::Key_PageUp, "pageup"},
    {Qt::Key_PageDown, "pagedown"},
    {Qt::Key_Insert, "insert"},
    {Qt::Key_Delete, "delete"},
    {Qt::Key_NumLock, "numlock"},
    {Qt::Key_ScrollLock, "scrolllock"},
    {Qt::Key_Minus, "-"},
    {Qt::Key_Underscore, "-"},
    {Qt::Key_Equal, "="},
    {Qt::Key_Plus, "="},
    {Qt::Key_BracketLeft, "["},
    {Qt::Key_BraceLeft, "["},
    {Qt::Key_BracketRight, "]"},
    {Qt::Key_BraceRight, "]"},
    {Qt::Key_Backslash, "\\"},
    {Qt::Key_Bar, "\\"},
    {Qt::Key_Semicolon, ";"},
    {Qt::Key_Colon, ";"},
    {Qt::Key_Apostrophe, "'"},
    {Qt::Key_QuoteDbl, "'"},
    {Qt::Key_Comma, ","},
    {Qt::Key_Less, ","},
    {Qt::Key_Period, "."},
    {Qt::Key_Greater, "."},
    {Qt::Key_Slash, "/"},
    {Qt::Key_Question, "/"},
    {Qt::Key_QuoteLeft, "`"},
    {Qt::Key_AsciiTilde, "`"},
    {Qt::Key_Exclam, "1"},
    {Qt::Key_At, "2"},
    {Qt::Key_NumberSign, "3"},
    {Qt::Key_Dollar, "4"},
    {Qt::Key_Percent, "5"},
    {Qt::Key_AsciiCircum, "6"},
    {Qt::Key_Ampersand, "7"},
    {Qt::Key_Asterisk, "8"},
    {Qt::Key_ParenLeft, "9"},
    {Qt::Key_ParenRight, "0"},
};

// The keypad's keys, when Qt says the event came from the keypad.
constexpr Named kKeypad[] = {
    {Qt::Key_Enter, "kpenter"}, {Qt::Key_Plus, "kp+"},  {Qt::Key_Minus, "kp-"},
    {Qt::Key_Asterisk, "kp*"},  {Qt::Key_Slash, "kp/"}, {Qt::Key_Period, "kp."},
    {Qt::Key_0, "kp0"},         {Qt::Key_1, "kp1"},     {Qt::Key_2, "kp2"},
    {Qt::Key_3, "kp3"},         {Qt::Key_4, "kp4"},     {Qt::Key_5, "kp5"},
    {Qt::Key_6, "kp6"},         {Qt::Key_7, "kp7"},     {Qt::Key_8, "kp8"},
    {Qt::Key_9, "kp9"},
};

}  // namespace

std::optional<machine::KeyId> pc_key_of(int qt_key, bool keypad) {
  if (keypad) {
    for (const Named& n : kKeypad) {
      if (n.qt == qt_key) return machine::find_key(n.name);
    }
  }
  if (qt_key >= Qt::Key_A && qt_key <= Qt::Key_Z) {
    const char c = static_cast<char>('a' + (qt_key - Qt::Key_A));
    return machine::find_key(std::string_view(&c, 1));
  }
  if (qt_key >= Qt::Key_0 && qt_key <= Qt::Key_9) {
    const char c = static_cast<char>('0' + (qt_key - Qt::Key_0));
    return machine::find_key(std::string_view(&c, 1));
  }
  if (qt_key >= Qt::Key_F1 && qt_key <= Qt::Key_F12) {
    static constexpr std::string_view kF[] = {"f1", "f2", "f3", "f4",  "f5",  "f6",
                                              "f7", "f8", "f9", "f10", "f11", "f12"};
    return machine::find_key(kF[qt_key - Qt::Key_F1]);
  }
  for (const Named& n : kNamed) {
    if (n.qt == qt_key) return machine::find_key(n.name);
  }
  return std::nullopt;
}

}  // namespace vmlab::gui

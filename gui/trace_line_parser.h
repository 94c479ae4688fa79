// One line of trace.jsonl (docs/trace-format.md) into a vmm::Event, by a small scanner
// made for that one flat shape: the JSON library would spend seconds on the million
// lines of a default trace, this takes a fraction of one. Anything unexpected is an
// error with the column it was found at, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "engine/vmm/event.h"

namespace vmlab::gui {

// Fills `event` (mode left native), or returns false with `error` set.
bool parse_trace_line(std::string_view line, vmm::Event& event, std::string& error);

}  // namespace vmlab::gui

// One line of trace.jsonl or trace.json (docs/trace-format.md) into a vmm::Event, by a small
// scanner made for that one flat shape: the JSON library would spend seconds on the million lines
// of a default trace, this takes a fraction of one. Anything unexpected is an error with the column
// it was found at, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "engine/vmm/core/event.h"

namespace vmlab::gui {

// Fills `event` (mode left native), or returns false with `error` set.
bool parse_trace_line(std::string_view line, vmm::Event& event, std::string& error);

// One line of the Chrome trace-event file vmlab writes beside it (trace.json: one event
// object a line, an optional ',' after it; docs/trace-format.md). A slice ("ph": "X", or an
// instant "i" of older files) fills `event` from its name and args (seq, cycle, eip in hex or
// as a number, cpl, charged, the payload fields; names beside them are skipped) and returns
// kEvent; a metadata event ("M", the track names) or a counter ("C", the cycles per class)
// returns kMetadata; anything else returns kError with `error` set.
enum class ChromeLine { kEvent, kMetadata, kError };
ChromeLine parse_chrome_trace_line(std::string_view line, vmm::Event& event, std::string& error);

}  // namespace vmlab::gui

// The JSON form of one event, shared by the JSON Lines and Chrome trace writers so that
// both files name the payload fields the same way (docs/trace-format.md).
#pragma once

#include "engine/vmm/core/event.h"
#include "engine/vmm/trace/json_writer.h"

namespace vmlab::vmm {

// Writes the payload as an object member per field the kind defines ("port": 32, ...).
// The caller has opened the object.
void write_event_payload(JsonWriter& json, const Event& event);

// Writes the whole event as one object: seq, cycle, kind, kind_id, mode, eip, cpl,
// charged and "args" with the payload.
void write_event_object(JsonWriter& json, const Event& event);

}  // namespace vmlab::vmm

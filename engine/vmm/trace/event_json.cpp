#include "engine/vmm/trace/event_json.h"

namespace vmlab::vmm {

void write_event_payload(JsonWriter& json, const Event& event) {
  const unsigned i = index_of(event.kind);
  if (i == 0 || i >= kNumEventKinds) return;
  const EventKindInfo& info = kEventKindInfo[i];
  for (size_t f = 0; f < info.fields.size(); ++f) {
    if (info.fields[f] != nullptr) json.key(info.fields[f]).value(event.payload[f]);
  }
}

void write_event_object(JsonWriter& json, const Event& event) {
  json.begin_object()
      .key("seq")
      .value(event.seq)
      .key("cycle")
      .value(event.cycle)
      .key("kind")
      .value(event_kind_name(event.kind))
      .key("kind_id")
      .value(uint32_t{index_of(event.kind)})
      .key("mode")
      .value(mode_name(event.mode))
      .key("eip")
      .value(event.eip)
      .key("cpl")
      .value(uint32_t{event.cpl})
      .key("charged")
      .value(event.charged)
      .key("args")
      .begin_object();
  write_event_payload(json, event);
  json.end_object().end_object();
}

}  // namespace vmlab::vmm

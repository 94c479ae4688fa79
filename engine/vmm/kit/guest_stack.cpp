#include "engine/vmm/kit/guest_stack.h"

#include "engine/cpu/descriptor.h"

namespace vmlab::vmm {

cpu::SegmentCache guest_segment_view(const DeprivilegedSegments& segments,
                                     const cpu::SegmentCache& loaded) {
  cpu::SegmentCache view = loaded;
  if (!loaded.usable || cpu::is_null_selector(loaded.selector)) return view;
  // The descriptor the register was loaded from (the guest may have rewritten the slot).
  const auto raw = segments.guest_descriptor_loaded(loaded);
  if (!raw) return view;
  const cpu::Descriptor d{*raw};
  if (d.base() != loaded.base) return view;
  if (loaded.expand_down() && d.s() && d.is_data() && !(d.type() & 0x4) &&
      d.base() > DeprivilegedSegments::kHoleLimit && d.db() == loaded.db) {
    // An expand-up data segment based in the hole, which the shadow loads empty as an
    // expand-down one (DeprivilegedSegments::compress): the guest's type and limit back.
    view.type = d.type();
    view.limit = d.limit();
    view.g = d.g();
    return view;
  }
  if (loaded.expand_down()) {
    if (!d.s() || !d.is_data() || !(d.type() & 0x4) || d.db() != loaded.db ||
        d.limit() >= loaded.limit) {
      return view;
    }
  } else if (d.limit() < loaded.limit) {
    return view;
  }
  view.limit = d.limit();
  view.g = d.g();
  return view;
}

bool stack_slots_fit(const cpu::SegmentCache& ss, uint32_t first, unsigned count, unsigned width) {
  if (!ss.usable) return false;
  if (ss.db && !ss.expand_down() && ss.limit == 0xFFFFFFFFu) return true;
  const uint32_t mask = ss.db ? 0xFFFFFFFFu : 0xFFFFu;
  for (unsigned i = 0; i < count; ++i) {
    if (!cpu::segment_contains(ss, (first + i * width) & mask, width)) return false;
  }
  return true;
}

}  // namespace vmlab::vmm

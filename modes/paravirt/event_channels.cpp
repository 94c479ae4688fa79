#include "modes/paravirt/event_channels.h"

#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

namespace si = abi::shared_info;

bool EventChannels::send(uint32_t port) {
  if (port >= abi::kNumPorts) return false;
  const uint32_t bit = 1u << port;
  const uint32_t pending = memory_.read32(base_ + si::kEvtchnPending);
  if (pending & bit) return false;  // already pending: events do not queue
  memory_.write32(base_ + si::kEvtchnPending, pending | bit);
  if (memory_.read32(base_ + si::kEvtchnMask) & bit) return false;
  if (memory_.read8(base_ + si::kUpcallPending) != 0) return false;
  memory_.write8(base_ + si::kUpcallPending, 1);
  return true;
}

bool EventChannels::deliverable() const {
  return memory_.read8(base_ + si::kUpcallPending) != 0 &&
         memory_.read8(base_ + si::kUpcallMask) == 0;
}

bool EventChannels::upcall_mask() const {
  return memory_.read8(base_ + si::kUpcallMask) != 0;
}

void EventChannels::set_upcall_mask(bool masked) {
  memory_.write8(base_ + si::kUpcallMask, masked ? 1 : 0);
}

uint32_t EventChannels::pending_ports() const {
  return memory_.read32(base_ + si::kEvtchnPending);
}

void EventChannels::set_cr2(uint32_t linear) {
  memory_.write32(base_ + si::kCr2, linear);
}

}  // namespace vmlab::modes::paravirt

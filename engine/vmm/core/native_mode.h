// NativeMode: no monitor at all. The guest boots with Multiboot and runs alone on the
// simulated hardware; the Vm only watches (HardwareObserver). The baseline of every
// comparison.
#pragma once

#include "engine/vmm/core/mode.h"

namespace vmlab::vmm {

class NativeMode : public Mode {
 public:
  ModeId id() const override { return ModeId::native; }
  std::string describe() const override { return "native (no monitor)"; }
  bool offers_local_apic() const override { return true; }
  machine::Result<void> boot(Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override;
  // No monitor: nothing of its own to save (the Vm saves the processor and the devices).
  bool can_save_monitor() const override { return true; }
  machine::Result<void> load_monitor(Vm& /*vm*/, cpu::ByteReader& /*r*/) override { return {}; }
};

}  // namespace vmlab::vmm

// QuietHardware: the monitor working on the real processor without it being a guest event.
//
// The HardwareObserver turns every CR write, TLB flush and INVLPG of the processor into an
// event. When the monitor itself loads a shadow root into the real CR3 or flushes the real
// TLB after changing a shadow entry, that is part of the trap being handled, not something
// the guest did; the guest's own CR3 loads and flushes are recorded by the monitor as it
// emulates them. While a QuietHardware is alive the observer is detached.
#pragma once

#include "engine/cpu/cpu.h"

namespace vmlab::vmm {

class QuietHardware {
 public:
  explicit QuietHardware(cpu::Cpu& cpu) : cpu_(cpu), saved_(cpu.observer()) {
    cpu_.set_observer(nullptr);
  }
  ~QuietHardware() { cpu_.set_observer(saved_); }
  QuietHardware(const QuietHardware&) = delete;
  QuietHardware& operator=(const QuietHardware&) = delete;

 private:
  cpu::Cpu& cpu_;
  cpu::CpuObserver* saved_;
};

}  // namespace vmlab::vmm

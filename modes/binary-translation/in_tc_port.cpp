// The device doorbell of the in-TC port read (translate_io.cpp).
//
// vmlab's device models are host code, so translated code cannot run them itself as the
// paper's TC runs its device emulation. It reaches the model through a store to a monitor
// page the processor watches (Cpu::watch_code_page, the write watch that also detects
// self-modifying code): the processor tells the monitor during the store, before the next
// instruction, with no exception, no callout and no monitor entry to model. The monitor
// reads the port on the machine's I/O bus (the bus records the port_io event, as for every
// port access), leaves the value in the %gs data for the sequence's next instruction, and
// records the bt_in_tc event, charged the profile's bt.in_tc_port_read (Adams & Agesen
// 2006, Fig. 4: 216 cycles on the Pentium 4) on top of the two instructions retired.
#include <string>

#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

void BtMonitor::arm_doorbell() {
  cpu_.watch_code_page(cache_->data_physical(gsdata::kDoorbell));
}

void BtMonitor::doorbell() {
  const uint32_t request = cache_->data32(gsdata::kDoorbell);
  // The watch is off until re-armed, so clearing the request does not ring again.
  cache_->set_data32(gsdata::kDoorbell, 0);
  arm_doorbell();
  if (request & gsdata::kPortRequest) {
    port_read(request);
  } else if (request & gsdata::kPteRequest) {
    pte_doorbell(request);  // in_tc_pte_write.cpp
  }
  // (Otherwise the monitor's own write.)
}

void BtMonitor::port_read(uint32_t request) {
  const uint16_t port = static_cast<uint16_t>(request);
  const unsigned size = (request >> 16) & 0xFF;
  // The translator asks for nothing else. Any other request is forged (only translated
  // code reaches the %gs data): refused quietly, with no port access and nothing changed,
  // never a stop of the machine.
  if (port != 0x80 || size != 1 || !in_tc()) return;
  const uint32_t value = vm_.machine().io_read(port, size);
  cache_->set_data32(gsdata::kPortValue, value);
  ++in_tc_[static_cast<size_t>(InTcKind::kInPort)];
  vm_.recorder().record(vmm::EventKind::bt_in_tc,
                        {static_cast<uint32_t>(InTcKind::kInPort), 1, 0, 0}, in_tc_port_cost_);
}

}  // namespace vmlab::modes::bt

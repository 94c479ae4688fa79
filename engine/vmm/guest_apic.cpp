#include "engine/vmm/guest_apic.h"

namespace vmlab::vmm {

uint32_t device_read(cpu::Bus& bus, uint32_t gpa, unsigned size) {
  return bus.mmio_read(gpa, size);
}

void device_write(cpu::Bus& bus, uint32_t gpa, unsigned size, uint32_t value) {
  bus.mmio_write(gpa, size, value);
}

}  // namespace vmlab::vmm

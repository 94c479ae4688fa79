#include "engine/vmm/kit/guest_apic.h"

namespace vmlab::vmm {

uint32_t guest_apic_page(const machine::LocalApic& apic) {
  if (!apic.globally_enabled()) return kNoApicPage;
  return static_cast<uint32_t>(apic.base_msr() & ~uint64_t{0xFFF});
}

uint32_t device_read(cpu::Bus& bus, uint32_t gpa, unsigned size) {
  return bus.mmio_read(gpa, size);
}

void device_write(cpu::Bus& bus, uint32_t gpa, unsigned size, uint32_t value) {
  bus.mmio_write(gpa, size, value);
}

}  // namespace vmlab::vmm

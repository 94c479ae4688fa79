#include "modes/full-emulation/vt_setup.h"

#include "engine/vmm/kit/device_pages.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::modes {

namespace {

constexpr uint32_t kPageSize = 4096;
constexpr uint32_t kLargePage = 4u << 20;

}  // namespace

// Journey stop 27: what leaves guest mode, chosen here (docs/journey.md).
void configure_vt_controls(cpu::VmControls& c, VtPaging paging) {
  c = cpu::VmControls{};
  c.hlt_exiting = true;
  c.cpuid_exiting = true;
  c.msr_exiting = true;
  c.unconditional_io_exiting = true;
  c.external_interrupt_exiting = true;
  // NMIs exit, and the monitor injects them as virtual NMIs (vt_monitor.cpp, nmi()).
  c.nmi_exiting = true;
  c.virtual_nmis = true;
  // The guest's local APIC: its page is the APIC-access page, and every access exits
  // (reason 44) for the monitor to pass to the APIC model (engine/vmm/kit/guest_apic.h).
  c.virtualize_apic_accesses = true;
  c.apic_access_address = vmm::kApicPage;
  if (paging == VtPaging::kNested) {
    c.nested_paging = true;
    // With EPT the guest may clear CR0.PE and PG and run real mode in guest mode, without
    // exits (SDM Vol. 3C, 24.6.2 "unrestricted guest", which requires "enable EPT").
    c.unrestricted_guest = true;
    return;
  }
  c.exception_bitmap = 1u << cpu::vec::PF;
  c.cr3_load_exiting = true;
  c.cr3_store_exiting = true;
  c.invlpg_exiting = true;
  // The real CR0.PG and CR0.WP stay on under shadow paging (the shadow is a physical-mode
  // map while the guest's paging is off, and write protection is how page-table writes
  // and first writes to clean pages trap); the guest reads what it wrote. PE is the
  // monitor's too: a guest that clears it (real mode, which needs "unrestricted guest" and
  // so EPT) exits, and the monitor stops the run with a message; without the exit the
  // processor's write, with the real PG
  // kept on, was PG without PE, a #GP(0) the guest never gets natively (differential.py
  // --richer seeds 32021, 32065, 32109, 32135, 32148, 32149, 32184).
  c.cr0_mask = cpu::cr0::PE | cpu::cr0::PG | cpu::cr0::WP;
  c.cr4_mask = cpu::cr4::PSE | cpu::cr4::PGE;
}

uint32_t build_nested_table(cpu::Cpu& cpu, const vmm::P2m& p2m, vmm::MonitorFrames& frames) {
  const auto root = frames.alloc();
  if (!root) cpu.unsupported("the monitor's reserve holds no frame for the nested table");
  const uint64_t guest_bytes = p2m.guest_bytes();
  const uint64_t machine_bytes = uint64_t{p2m.reserved_frames() + p2m.guest_frames()} * kPageSize;
  const uint64_t reserved_bytes = uint64_t{p2m.reserved_frames()} * kPageSize;
  // Beyond the guest's RAM: a machine address beyond the machine's RAM.
  auto outside = [&](uint64_t gpa) {
    return static_cast<uint32_t>(gpa >= machine_bytes ? gpa : gpa + reserved_bytes);
  };
  for (uint32_t i = 0; i < 1024; ++i) {
    const uint64_t base = uint64_t{i} * kLargePage;
    uint32_t pde;
    // A device page (device_pages.h) is left unmapped: its accesses exit (EPT violation)
    // and the monitor passes the instruction to the bus (VtMonitor::nested_fault).
    const bool holds_device = base <= vmm::kIoApicPage && vmm::kIoApicPage < base + kLargePage;
    if (base >= guest_bytes && (outside(base) % kLargePage) == 0 && !holds_device) {
      pde = outside(base) | vmm::pte::P | vmm::pte::RW | vmm::pte::PS;
    } else {
      const auto pt = frames.alloc();
      if (!pt) cpu.unsupported("the monitor's reserve holds no frame for the nested table");
      for (uint32_t j = 0; j < 1024; ++j) {
        const uint64_t gpa = base + uint64_t{j} * kPageSize;
        const uint32_t machine =
            gpa < guest_bytes
                ? p2m.machine_frame(static_cast<uint32_t>(gpa / kPageSize)) * kPageSize
                : outside(gpa);
        const bool device =
            gpa >= guest_bytes &&
            vmm::is_device_page(static_cast<uint32_t>(gpa / kPageSize), vmm::kNoApicPage, false);
        cpu.phys_write32(*pt * kPageSize + j * 4,
                         device ? 0 : machine | vmm::pte::P | vmm::pte::RW);
      }
      pde = (*pt * kPageSize) | vmm::pte::P | vmm::pte::RW;
    }
    cpu.phys_write32(*root * kPageSize + i * 4, pde);
  }
  return *root * kPageSize;
}

}  // namespace vmlab::modes

// The domain builder: what Xen's domain builder does for a PV guest, for vmlab's guest
// (docs/pv-abi.md, "Boot"; docs/modes/paravirt.md, "Boot").
//
// 1. Load the same Multiboot ELF that native mode boots, into the guest's frames through
//    the P2M (vmm::load_multiboot_guest).
// 2. After the kernel, in guest frames: the start-info page, the shared-info page, the
//    console ring, the hypercall page (filled by the monitor), the P2M and M2P tables and
//    the bootstrap page tables.
// 3. The bootstrap page tables hold machine frames: guest RAM at 0xC0000000 (as the native
//    kernel maps it), the low region the entry code runs in at its own address, the page
//    tables themselves read-only; the page directory is pinned (validated) and loaded.
// 4. The monitor's own frames: a GDT with flat ring-1 and ring-3 segments whose limits end
//    below the hypervisor hole, an IDT that is empty until the guest registers its
//    system-call handler, a TSS, and the hole's page table that maps them at 0xFC000000.
// 5. The processor enters the kernel's ELF entry in ring 1, paging on, EAX = the PV magic,
//    ESI = the start-info page's virtual address, IOPL 0, virtual interrupts masked.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/p2m.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::modes::paravirt {

class PvMonitor;

// Whether the image carries the ELF note that marks a paravirtualized kernel (name "vmlab",
// type abi::kNoteTypeAbi; docs/pv-abi.md, "The kernel's note").
bool has_pv_note(std::span<const uint8_t> image);

machine::Result<void> build_domain(vmm::Vm& vm, const vmm::P2m& p2m, PvMonitor& monitor,
                                   std::span<const uint8_t> image, const std::string& name);

}  // namespace vmlab::modes::paravirt

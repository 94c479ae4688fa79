#include "modes/paravirt/domain_builder.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/machine/kernel_loader.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/guest_loader.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {

namespace {

constexpr uint32_t kPage = MachineMemory::kPageSize;
constexpr uint32_t kPresent = 0x1, kWritable = 0x2;
constexpr uint32_t kBytesPerL1 = 1024 * kPage;  // 4 MiB

uint32_t pages(uint32_t bytes) {
  return (bytes + kPage - 1) / kPage;
}

uint32_t le32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}

}  // namespace

bool has_pv_note(std::span<const uint8_t> image) {
  // ELF32 program headers (e_phoff at 28, e_phentsize at 42, e_phnum at 44); in each
  // PT_NOTE segment, notes of namesz, descsz, type, the name and the descriptor, each
  // padded to 4 bytes. Anything out of bounds is no note.
  if (image.size() < 52 || image[4] != 1) return false;
  const uint32_t phoff = le32(image, 28);
  const uint32_t phentsize = image[42] | image[43] << 8;
  const uint32_t phnum = image[44] | image[45] << 8;
  for (uint32_t i = 0; i < phnum; ++i) {
    const uint64_t ph = uint64_t{phoff} + uint64_t{i} * phentsize;
    if (phentsize < 32 || ph + 32 > image.size()) return false;
    if (le32(image, ph) != 4) continue;  // PT_NOTE
    const uint64_t off = le32(image, ph + 4), size = le32(image, ph + 16);
    if (off + size > image.size()) continue;
    for (uint64_t n = off; n + 12 <= off + size;) {
      const uint32_t namesz = le32(image, n), descsz = le32(image, n + 4);
      const uint32_t type = le32(image, n + 8);
      const uint64_t name = n + 12;
      const uint64_t desc = name + ((uint64_t{namesz} + 3) & ~uint64_t{3});
      const uint64_t next = desc + ((uint64_t{descsz} + 3) & ~uint64_t{3});
      if (next > off + size) break;
      if (namesz == 6 && type == abi::kNoteTypeAbi &&
          std::equal(image.begin() + name, image.begin() + name + 6, "vmlab")) {
        return true;
      }
      n = next;
    }
  }
  return false;
}

machine::Result<void> build_domain(vmm::Vm& vm, const vmm::P2m& p2m, PvMonitor& monitor,
                                   std::span<const uint8_t> image, const std::string& name) {
  // 0. Only a kernel that says it speaks the PV ABI (its ELF note), as Xen's builder
  // requires its XEN_ELFNOTE_* notes: an unmodified kernel would die at its first
  // privileged instruction.
  if (machine::kernel_protocol(image) == machine::MultibootLoader::Protocol::kLinux) {
    return machine::Error{name +
                              ": a Linux boot-protocol image (bzImage) has no paravirtual entry "
                              "(no vmlab PV note, docs/pv-abi.md): pv mode boots only kernels "
                              "ported to the PV ABI; boot it in native, trap or bt mode",
                          ENOEXEC};
  }
  if (!has_pv_note(image)) {
    return machine::Error{name +
                              ": not a paravirtualized kernel (it has no vmlab PV note, "
                              "docs/pv-abi.md \"The kernel's note\"); boot it in native, trap "
                              "or bt mode",
                          ENOEXEC};
  }
  // 1. The kernel, exactly as native mode loads it, into guest frames.
  auto loaded = vmm::load_multiboot_guest(vm, p2m, image, name, vmm::GuestPae::kAbsent);
  if (!loaded) return loaded.error();
  const auto& info = loaded.value();
  MachineMemory& mem = monitor.memory();
  DirectPaging& paging = monitor.paging();
  const uint32_t nr_pages = p2m.guest_frames();
  const uint32_t machine_frames = mem.frames();
  for (uint32_t gfn = 0; gfn < nr_pages; ++gfn) paging.set_owned(p2m.machine_frame(gfn), true);
  const auto ma = [&](uint32_t gpa) {
    return p2m.machine_frame(gpa / kPage) * kPage + gpa % kPage;
  };
  const auto va = [](uint32_t gpa) { return abi::kKernBase + gpa; };

  // 2. The boot area after the kernel, in guest-physical addresses.
  uint32_t next = pages(info.kernel_end) * kPage;
  const auto take = [&](uint32_t n) {
    const uint32_t at = next;
    next += n * kPage;
    return at;
  };
  const uint32_t start_info = take(1), shared_info = take(1), console_ring = take(1);
  const uint32_t hypercall_page = take(1);
  // The block ring and its grant table, for a domain with a disk (the first --disk: the
  // ATA ports are not presented to a PV guest; its back end uses the same image). A
  // second --disk is a second virtual disk with a ring of its own (vbd 1; Xen gives each
  // vbd its own ring and back end), sharing the grant table.
  machine::BlockImage* disk = nullptr;
  machine::BlockImage* disk1 = nullptr;
  for (unsigned i = 0; i < 2; ++i) {
    machine::BlockImage* image = vm.machine().ata().image(i);
    if (image == nullptr) continue;
    (disk == nullptr ? disk : disk1) = image;
  }
  const uint32_t blk_ring = disk != nullptr ? take(1) : 0;
  const uint32_t grant_table = disk != nullptr ? take(1) : 0;
  const uint32_t blk1_ring = disk1 != nullptr ? take(1) : 0;
  const uint32_t p2m_table = take(pages(nr_pages * 4));
  const uint32_t m2p_table = take(pages(machine_frames * 4));
  const uint32_t mapped = std::min<uint64_t>(p2m.guest_bytes(), abi::kMaxDirectMapBytes);
  const uint32_t nr_l1 = (mapped + kBytesPerL1 - 1) / kBytesPerL1;
  const uint32_t pt_base = take(1 + nr_l1);  // the page directory, then the L1 tables
  const uint32_t first_free = next;
  const uint32_t identity_l1 = (first_free + kBytesPerL1 - 1) / kBytesPerL1;
  if (first_free > mapped || identity_l1 > nr_l1) {
    return machine::Error{"pv: " + std::to_string(vm.guest_mib()) +
                              " MiB is too little memory for the kernel and its boot area",
                          EINVAL};
  }
  for (uint32_t gpa = pages(info.kernel_end) * kPage; gpa < first_free; gpa += kPage) {
    mem.zero_frame(p2m.machine_frame(gpa / kPage));
  }

  // The P2M (pfn -> mfn) and M2P (mfn -> pfn, all ones for the monitor's frames).
  for (uint32_t pfn = 0; pfn < nr_pages; ++pfn)
    mem.write32(ma(p2m_table + pfn * 4), p2m.machine_frame(pfn));
  for (uint32_t mfn = 0; mfn < machine_frames; ++mfn) {
    mem.write32(ma(m2p_table + mfn * 4), p2m.guest_frame(mfn).value_or(0xFFFFFFFFu));
  }

  // 3. Bootstrap page tables. RAM at KERNBASE + pa, writable except the tables themselves.
  const auto is_table = [&](uint32_t gpa) { return gpa >= pt_base && gpa < first_free; };
  const uint32_t l2 = pt_base;
  for (uint32_t j = 0; j < nr_l1; ++j) {
    const uint32_t l1 = pt_base + (1 + j) * kPage;
    for (uint32_t k = 0; k < 1024; ++k) {
      const uint32_t pa = j * kBytesPerL1 + k * kPage;
      if (pa >= mapped) break;
      mem.write32(ma(l1 + k * 4), ma(pa) | kPresent | (is_table(pa) ? 0 : kWritable));
    }
    mem.write32(ma(l2 + (abi::kKernBase / kBytesPerL1 + j) * 4), ma(l1) | kPresent | kWritable);
    // The entry code runs at its load address until it jumps high: the same tables map
    // the low region there too (as the native boot.S does).
    if (j < identity_l1) mem.write32(ma(l2 + j * 4), ma(l1) | kPresent | kWritable);
  }

  // Journey stop 22: the guest's hypercall() calls entry n of this page (docs/journey.md).
  // The hypercall page: entry n is `mov $n, %eax; int $0x82; ret` (Xen's layout).
  for (uint32_t n = 0; n < abi::kHypercallPageEntries; ++n) {
    const uint8_t stub[] = {0xB8, static_cast<uint8_t>(n), 0,   0, 0,
                            0xCD, abi::kHypercallVector,   0xC3};
    mem.write_bytes(ma(hypercall_page + n * abi::kHypercallStride), stub, sizeof stub);
  }

  // The start-info page.
  namespace si = abi::start_info;
  const uint32_t s = ma(start_info);
  mem.write32(s + si::kMagic, abi::kBootMagic);
  mem.write32(s + si::kAbiVersion, abi::kAbiVersion);
  mem.write32(s + si::kNrPages, nr_pages);
  mem.write32(s + si::kSharedInfo, va(shared_info));
  mem.write32(s + si::kHypercallPage, va(hypercall_page));
  mem.write32(s + si::kConsoleRing, va(console_ring));
  mem.write32(s + si::kConsolePortOff, abi::kConsolePort);
  mem.write32(s + si::kTimerPortOff, abi::kTimerPort);
  mem.write32(s + si::kP2m, va(p2m_table));
  mem.write32(s + si::kM2p, va(m2p_table));
  mem.write32(s + si::kM2pEntries, machine_frames);
  mem.write32(s + si::kPtBase, va(pt_base));
  mem.write32(s + si::kNrPtFrames, 1 + nr_l1);
  mem.write32(s + si::kFirstFreePfn, first_free / kPage);
  mem.write32(s + si::kTscKhz, vm.machine().config().cpu_mhz * 1000);
  const std::string& cmdline = vm.machine().config().cmdline;
  const uint32_t n =
      std::min<uint32_t>(static_cast<uint32_t>(cmdline.size()), si::kCmdlineSize - 1);
  mem.write_bytes(s + si::kCmdline, cmdline.data(), n);
  if (disk != nullptr) {
    mem.write32(s + si::kBlkRing, va(blk_ring));
    mem.write32(s + si::kGrantTable, va(grant_table));
    mem.write32(s + si::kGrantEntries, abi::grant::kEntries);
    mem.write32(s + si::kBlkPortOff, abi::kBlkPort);
    mem.write32(s + si::kBlkSectorsLo, static_cast<uint32_t>(disk->sectors()));
    mem.write32(s + si::kBlkSectorsHi, static_cast<uint32_t>(disk->sectors() >> 32));
    mem.write32(s + si::kBlkInfo, disk->readonly() ? 1 : 0);
    // SHARED_RING_INIT: the first request and the first response each notify.
    mem.write32(ma(blk_ring) + abi::blk::kReqEvent, 1);
    mem.write32(ma(blk_ring) + abi::blk::kRspEvent, 1);
  }
  if (disk1 != nullptr) {
    mem.write32(s + si::kBlk1Ring, va(blk1_ring));
    mem.write32(s + si::kBlk1PortOff, abi::kBlk1Port);
    mem.write32(s + si::kBlk1SectorsLo, static_cast<uint32_t>(disk1->sectors()));
    mem.write32(s + si::kBlk1SectorsHi, static_cast<uint32_t>(disk1->sectors() >> 32));
    mem.write32(s + si::kBlk1Info, disk1->readonly() ? 1 : 0);
    mem.write32(ma(blk1_ring) + abi::blk::kReqEvent, 1);
    mem.write32(ma(blk1_ring) + abi::blk::kRspEvent, 1);
  }

  // Events start masked, as IF is clear at a native kernel's entry.
  mem.write8(ma(shared_info) + abi::shared_info::kUpcallMask, 1);

  // 4. The monitor's frames, below the guest's.
  PvMonitor::Layout layout;
  layout.gdt_mfn = 0;
  layout.idt_mfn = 1;
  layout.tss_mfn = 2;
  layout.hole_l1_mfn = 3;
  layout.shared_info_ma = ma(shared_info);
  layout.console_ring_ma = ma(console_ring);
  layout.blk_ring_ma = disk != nullptr ? ma(blk_ring) : 0;
  layout.grant_table_ma = disk != nullptr ? ma(grant_table) : 0;
  layout.blk1_ring_ma = disk1 != nullptr ? ma(blk1_ring) : 0;
  for (uint32_t f = 0; f < 4; ++f) mem.zero_frame(f);
  const uint32_t limit = (abi::kHypervisorHole >> 12) - 1;  // 0xFBFFF pages
  const uint64_t gdt[abi::kGdtEntries] = {
      0,
      // Flat, 4 KiB granular, 32-bit (cpu::encode_segment).
      cpu::encode_segment(0, limit, 0xA, 1, true),  // ring-1 code, execute/read
      cpu::encode_segment(0, limit, 0x2, 1, true),  // ring-1 data, read/write
      cpu::encode_segment(0, limit, 0xA, 3, true),  // user code
      cpu::encode_segment(0, limit, 0x2, 3, true),  // user data
      // A busy 32-bit TSS (it is loaded into TR below).
      cpu::encode_system(PvMonitor::kTssLinear, 103, cpu::sys_type::kTss32Busy),
  };
  for (uint32_t i = 0; i < abi::kGdtEntries; ++i) {
    mem.write32(layout.gdt_mfn * kPage + i * 8, static_cast<uint32_t>(gdt[i]));
    mem.write32(layout.gdt_mfn * kPage + i * 8 + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  // The TSS: SS1:ESP1 come with stack_switch; an I/O bitmap base past the limit, so no
  // port is open to rings 1 and 3.
  mem.write32(layout.tss_mfn * kPage + 100, 104u << 16);
  const uint32_t hole_l1 = layout.hole_l1_mfn * kPage;
  mem.write32(hole_l1 + 0, layout.gdt_mfn * kPage | kPresent | kWritable);
  mem.write32(hole_l1 + 4, layout.idt_mfn * kPage | kPresent | kWritable);
  mem.write32(hole_l1 + 8, layout.tss_mfn * kPage | kPresent | kWritable);
  std::array<uint32_t, 16> hole{};
  hole[0] = hole_l1 | kPresent | kWritable;
  paging.set_hole_entries(hole);
  monitor.set_layout(layout);

  // The pages the monitor writes while the guest runs get a writable type for good, so
  // that no remapping can ever make them page tables (direct_paging.h).
  std::vector<uint32_t> shared_pages = {layout.shared_info_ma, layout.console_ring_ma};
  if (disk != nullptr) {
    shared_pages.push_back(layout.blk_ring_ma);
    shared_pages.push_back(layout.grant_table_ma);
  }
  if (disk1 != nullptr) shared_pages.push_back(layout.blk1_ring_ma);
  std::vector<uint32_t> shared_mfns;
  for (const uint32_t shared : shared_pages) {
    if (paging.set_permanent_writable(shared / kPage) != 0) {
      return machine::Error{"pv: the shared pages cannot be typed writable", EINVAL};
    }
    shared_mfns.push_back(shared / kPage);
  }
  // The block back end: no grant may name a page the monitor itself reads or writes.
  if (disk != nullptr) {
    monitor.set_blk(std::make_unique<BlkBack>(mem, paging, p2m, layout.blk_ring_ma,
                                              layout.grant_table_ma, *disk, shared_mfns, 0));
  }
  if (disk1 != nullptr) {
    monitor.set_blk(std::make_unique<BlkBack>(mem, paging, p2m, layout.blk1_ring_ma,
                                              layout.grant_table_ma, *disk1, shared_mfns, 1));
  }

  // Pin and load the bootstrap page directory: its validation types every table and
  // takes a writable reference on every frame it maps writable.
  const uint32_t l2_mfn = p2m.machine_frame(l2 / kPage);
  if (int32_t r = paging.pin(l2_mfn, DirectPaging::Type::l2); r != 0) {
    return machine::Error{
        "pv: the bootstrap page tables do not validate (" + std::to_string(r) + ")", EINVAL};
  }
  paging.new_baseptr(l2_mfn);

  // 5. The processor: ring 1, paging on, the monitor's descriptor tables.
  cpu::Cpu& c = vm.machine().cpu();
  c.reset_multiboot(info.entry, abi::kBootMagic, 0);
  cpu::CpuState& st = c.state();
  st.cr0 = cpu::cr0::PE | cpu::cr0::ET | cpu::cr0::PG | cpu::cr0::WP;
  st.cr3 = l2_mfn * kPage;
  st.gdtr = cpu::TableRegister{PvMonitor::kGdtLinear, abi::kGdtEntries * 8 - 1};
  st.idtr = cpu::TableRegister{PvMonitor::kIdtLinear, 256 * 8 - 1};
  const auto cache = [&](uint16_t sel) { return cpu::Descriptor{gdt[sel >> 3]}.to_cache(sel); };
  st.tr = cache(abi::kTssSel);
  st.seg[cpu::CS] = cache(abi::kRing1Cs);
  for (auto r : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS}) st.seg[r] = cache(abi::kRing1Ds);
  st.cpl = 1;
  // CPUID faulting on: CPUID in rings 1 and 3 traps, and the monitor answers for the
  // virtual CPU (PvMonitor::emulate_cpuid), as Xen does for PV guests where the processor
  // has CPUID faulting.
  st.misc_features_enables = cpu::msr::kCpuidFaultingEnable;
  st.eflags = cpu::flags::kReserved1 | cpu::flags::IF;
  st.gpr[cpu::ESI] = va(start_info);
  c.tlb_flush(true);
  c.notify_phys_write(0, static_cast<uint32_t>(mem.frames()) * kPage);

  // The interrupt controller and the timer are the monitor's: the 8259A gets vector base
  // 0x20 with only the timer and serial lines open; counter 0 stops until set_timer_op
  // arms it.
  auto& pic = vm.machine().pic();
  const uint8_t master[] = {0x11, PvMonitor::kPicBase, 0x04, 0x01};
  const uint8_t slave[] = {0x11, PvMonitor::kPicBase + 8, 0x02, 0x01};
  pic.master().io_write(0, 1, master[0]);
  for (int i = 1; i < 4; ++i) pic.master().io_write(1, 1, master[i]);
  pic.slave().io_write(0, 1, slave[0]);
  for (int i = 1; i < 4; ++i) pic.slave().io_write(1, 1, slave[i]);
  pic.master().io_write(1, 1, 0xEE);  // IRQ 0 (the timer) and 4 (the serial line)
  pic.slave().io_write(1, 1, 0xFF);
  vm.machine().pit().io_write(3, 1, 0x30);
  // The serial line's receiver, for console input over the ring (PvMonitor::console_input):
  // FIFOs on, an interrupt when data is ready (the transmitter needs none: the back end's
  // writes are host-side).
  auto& uart = vm.machine().uart();
  uart.io_write(2, 1, 0x07);
  uart.io_write(1, 1, 0x01);

  c.set_monitor(&monitor);
  return {};
}

}  // namespace vmlab::modes::paravirt

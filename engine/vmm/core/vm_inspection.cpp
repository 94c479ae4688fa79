// Inspection (inspection.h): the mode-independent part — memory reads, the P2M, the page
// walk — and native mode's view of the guest's CPU.
#include <algorithm>
#include <cstring>

#include "engine/vmm/core/inspection.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

std::string_view to_string(RealPaging paging) {
  switch (paging) {
    case RealPaging::kGuestTables: return "guest";
    case RealPaging::kShadow: return "shadow";
    case RealPaging::kNested: return "nested";
    case RealPaging::kDirect: return "direct";
  }
  return "unknown";
}

GuestCpuView Mode::guest_cpu(const Vm& vm) const {
  const cpu::Cpu& cpu = vm.machine().cpu();
  const cpu::CpuState& s = cpu.state();
  GuestCpuView v;
  v.hardware = s;
  v.eip = cpu.guest_eip();
  v.cpl = s.cpl;
  v.eflags = s.eflags;
  v.interrupts_enabled = (s.eflags & cpu::flags::IF) != 0;
  // The VT modes' guest reads CR0 and CR4 through the read shadows (native: the same).
  v.cr0 = cpu.guest_cr0();
  v.cr2 = s.cr2;
  v.cr3 = s.cr3;
  v.cr4 = cpu.guest_cr4();
  v.gdtr = s.gdtr;
  v.idtr = s.idtr;
  v.cs = s.seg[cpu::CS].selector;
  return v;
}

GuestCpuView ring_compressed_view(const Vm& vm, const VirtualCpu& vcpu) {
  const cpu::Cpu& cpu = vm.machine().cpu();
  const cpu::CpuState& s = cpu.state();
  GuestCpuView v;
  v.hardware = s;
  v.eip = cpu.guest_eip();
  v.cpl = VirtualCpu::virtual_cpl(s.cpl);
  v.interrupts_enabled = vcpu.interrupts_enabled;
  v.eflags = (s.eflags & ~(cpu::flags::IF | cpu::flags::IOPL)) |
             (vcpu.interrupts_enabled ? cpu::flags::IF : 0u) |
             (uint32_t{vcpu.iopl} << cpu::flags::IOPL_SHIFT);
  v.cr0 = vcpu.cr0;
  v.cr2 = vcpu.cr2;
  v.cr3 = vcpu.cr3;
  v.cr4 = vcpu.cr4;
  v.gdtr = vcpu.gdtr;
  v.idtr = vcpu.idtr;
  v.deprivileged = true;
  v.cs = VirtualCpu::guest_selector(s.seg[cpu::CS].selector);
  return v;
}

TableWalk walk_tables(const std::function<std::optional<uint32_t>(uint32_t)>& read32, uint32_t root,
                      uint32_t linear, bool pse) {
  TableWalk w;
  const auto pde = read32((root & ~0xFFFu) + 4 * (linear >> 22));
  if (!pde) return w;
  w.pde = *pde;
  if (!(w.pde & 1)) return w;
  if (pse && (w.pde & 0x80)) {
    w.large = true;
    w.pte = w.pde;
    w.address = (w.pde & 0xFFC00000u) | (linear & 0x3FF000u);
    w.writable = (w.pde & 2) != 0;
    w.user = (w.pde & 4) != 0;
    return w;
  }
  const auto pte = read32((w.pde & ~0xFFFu) + 4 * ((linear >> 12) & 0x3FF));
  if (!pte) return w;
  w.pte = *pte;
  if (!(w.pte & 1)) return w;
  w.address = w.pte & ~0xFFFu;
  w.writable = (w.pde & 2) && (w.pte & 2);
  w.user = (w.pde & 4) && (w.pte & 4);
  return w;
}

TableWalk walk_tables_pae(const std::function<std::optional<uint32_t>(uint32_t)>& read32,
                          uint32_t cr3, uint32_t linear) {
  constexpr uint64_t kAddress = 0x0000000FFFFFF000ull;  // bits 35:12, MAXPHYADDR 36
  TableWalk w;
  auto read64 = [&](uint64_t at) -> std::optional<uint64_t> {
    if (at >= (uint64_t{1} << 32)) return std::nullopt;
    const auto lo = read32(static_cast<uint32_t>(at));
    const auto hi = read32(static_cast<uint32_t>(at) + 4);
    if (!lo || !hi) return std::nullopt;
    return *lo | uint64_t{*hi} << 32;
  };
  const auto pdpte = read64((cr3 & 0xFFFFFFE0u) + 8 * (linear >> 30));
  if (!pdpte || !(*pdpte & 1)) return w;
  const auto pde = read64((*pdpte & kAddress) + 8 * ((linear >> 21) & 0x1FF));
  if (!pde) return w;
  w.pde = static_cast<uint32_t>(*pde);
  if (!(*pde & 1)) return w;
  uint64_t frame;
  if (*pde & 0x80) {
    w.large = true;
    w.pte = w.pde;
    frame = (*pde & kAddress & ~0x1FFFFFull) | (linear & 0x1FF000u);
    w.writable = (*pde & 2) != 0;
    w.user = (*pde & 4) != 0;
  } else {
    const auto pte = read64((*pde & kAddress) + 8 * ((linear >> 12) & 0x1FF));
    if (!pte) return w;
    w.pte = static_cast<uint32_t>(*pte);
    if (!(*pte & 1)) return w;
    frame = *pte & kAddress;
    w.writable = (*pde & 2) && (*pte & 2);
    w.user = (*pde & 4) && (*pte & 4);
  }
  if (frame < (uint64_t{1} << 32)) w.address = static_cast<uint32_t>(frame);
  return w;
}

TableWalk walk_guest_tables(const std::function<std::optional<uint32_t>(uint32_t)>& read32,
                            uint32_t cr3, uint32_t cr4, uint32_t linear) {
  if (cr4 & cpu::cr4::PAE) return walk_tables_pae(read32, cr3, linear);
  return walk_tables(read32, cr3, linear, (cr4 & cpu::cr4::PSE) != 0);
}

std::vector<P2mRange> Vm::p2m() const {
  if (const P2m* p = mode_->guest_p2m()) {
    return {{0, p->machine_frame(0), p->guest_frames()}};
  }
  return {{0, 0, machine_->memory().size_bytes() / P2m::kPageSize}};
}

bool Vm::read_machine(uint64_t address, std::span<uint8_t> out) const {
  const machine::PhysicalMemory& m = machine_->memory();
  if (!m.contains(address, out.size())) return false;
  if (!out.empty()) std::memcpy(out.data(), m.span().data() + address, out.size());
  return true;
}

bool Vm::read_guest_physical(uint64_t address, std::span<uint8_t> out) const {
  const P2m* p = mode_->guest_p2m();
  if (!p) return read_machine(address, out);
  // Page by page: every page must be backed before anything is copied.
  const uint64_t end = address + out.size();
  if (end > p->guest_bytes()) return false;
  for (uint64_t a = address; a < end;) {
    const uint64_t page_end = std::min<uint64_t>((a / P2m::kPageSize + 1) * P2m::kPageSize, end);
    const auto ma = p->machine_address(static_cast<uint32_t>(a));
    if (!ma || !read_machine(*ma, out.subspan(a - address, page_end - a))) return false;
    a = page_end;
  }
  return true;
}

std::vector<PageRow> Vm::page_walk(uint32_t first_linear, uint32_t pages, size_t max_rows) const {
  std::vector<PageRow> rows;
  const GuestCpuView guest = guest_cpu();
  const cpu::CpuState& hw = machine_->cpu().state();
  const RealPaging paging = real_paging();
  const P2m* p2m = mode_->guest_p2m();

  const auto machine32 = [this](uint32_t a) -> std::optional<uint32_t> {
    uint8_t b[4];
    if (!read_machine(a, b)) return std::nullopt;
    return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  };
  const auto guest32 = [this](uint32_t a) -> std::optional<uint32_t> {
    uint8_t b[4];
    if (!read_guest_physical(a, b)) return std::nullopt;
    return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  };
  // The guest's own tables: in guest-physical memory, or (native, pv) in machine memory.
  const bool guest_in_machine = paging == RealPaging::kGuestTables || paging == RealPaging::kDirect;
  const std::function<std::optional<uint32_t>(uint32_t)> read_guest =
      guest_in_machine ? std::function<std::optional<uint32_t>(uint32_t)>(machine32) : guest32;
  const std::function<std::optional<uint32_t>(uint32_t)> read_real = machine32;
  const bool guest_paging = (guest.cr0 & cpu::cr0::PG) != 0;
  const bool guest_pae = (guest.cr4 & cpu::cr4::PAE) != 0;
  const bool real_paging_on = (hw.cr0 & cpu::cr0::PG) != 0;
  const bool real_pse = (hw.cr4 & cpu::cr4::PSE) != 0;
  const uint32_t nested_root = machine_->cpu().vm_controls().nested_root;

  const auto to_machine = [p2m](uint32_t gpa) -> std::optional<uint32_t> {
    if (!p2m) return gpa;
    return p2m->to_machine(gpa);
  };

  const uint64_t end =
      std::min<uint64_t>(uint64_t{first_linear} + uint64_t{pages} * 4096, uint64_t{1} << 32);
  for (uint64_t a = first_linear & ~0xFFFu; a < end && rows.size() < max_rows;) {
    const auto linear = static_cast<uint32_t>(a);
    PageRow row;
    row.linear = linear;
    // The guest's view.
    TableWalk g;
    if (guest_paging) {
      g = walk_guest_tables(read_guest, guest.cr3, guest.cr4, linear);
    } else {
      g.address = linear;  // paging off: linear is (guest-)physical
      g.writable = g.user = true;
    }
    // The hardware's.
    TableWalk r;
    if (paging == RealPaging::kNested) {
      if (g.address) {
        r = walk_tables(read_real, nested_root, *g.address, true);
      }
    } else if (paging == RealPaging::kShadow) {
      if (real_paging_on) r = walk_tables(read_real, hw.cr3, linear, real_pse);
    } else {
      r = g;  // the hardware walks the guest's own tables
    }
    const bool real_present = r.address.has_value();
    const bool guest_present = g.address.has_value();
    if (!guest_present && !real_present) {
      // Skip the rest of a directory entry that neither side has.
      const bool guest_pde_absent = !guest_paging || !(g.pde & 1);
      const bool real_pde_absent = paging == RealPaging::kNested || !(r.pde & 1);
      // A PDE maps 4 MiB, or 2 MiB under PAE.
      const uint64_t pde_span = guest_pae ? 0x1FFFFF : 0x3FFFFF;
      a = guest_pde_absent && real_pde_absent && guest_paging ? (a | pde_span) + 1 : a + 4096;
      continue;
    }
    row.guest_pde = g.pde;
    row.guest_pte = g.pte;
    row.guest_address = g.address;
    row.real_pde = r.pde;
    row.real_pte = r.pte;
    row.machine_address =
        paging == RealPaging::kGuestTables || paging == RealPaging::kDirect ? g.address : r.address;
    row.flags = static_cast<uint8_t>(
        (g.writable ? PageRow::kGuestWritable : 0) | (g.user ? PageRow::kGuestUser : 0) |
        (r.writable ? PageRow::kRealWritable : 0) | (r.user ? PageRow::kRealUser : 0) |
        (g.large ? PageRow::kLarge : 0));
    switch (paging) {
      case RealPaging::kGuestTables:
      case RealPaging::kDirect: row.differs = false; break;
      case RealPaging::kShadow: {
        const auto expected = g.address ? to_machine(*g.address) : std::nullopt;
        row.differs = guest_present != real_present ||
                      (real_present &&
                       (expected != r.address || g.writable != r.writable || g.user != r.user));
        break;
      }
      case RealPaging::kNested: {
        const auto expected = to_machine(*g.address);
        row.differs = !real_present || expected != r.address || (g.writable && !r.writable);
        break;
      }
    }
    rows.push_back(row);
    a += 4096;
  }
  return rows;
}

}  // namespace vmlab::vmm

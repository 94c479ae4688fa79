#include "engine/vmm/kit/scratch_execution.h"

#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/guest_apic.h"

#include <algorithm>
#include <cstring>

#include "engine/vmm/core/hypervisor_hole.h"

namespace vmlab::vmm {

namespace {

constexpr uint32_t kPresent = 1u;
constexpr uint32_t kWritable = 2u;
constexpr uint32_t kUser = 4u;

// Empties a map for the next instruction. unordered_map::clear() zeroes every bucket
// however few entries there are, so a map that once held many entries would cost its
// whole bucket array on every later instruction: a big one is replaced instead.
template <class Map>
void reset(Map& map) {
  if (map.bucket_count() > 64) {
    map = Map{};
  } else if (!map.empty()) {
    map.clear();
  }
}

}  // namespace

ScratchExecution::ScratchExecution(cpu::Cpu& real, cpu::Bus& devices, GuestMemory& memory)
    : real_(real), devices_(devices), memory_(memory), ram_(kRamBytes, 0) {
  cpu_ = std::make_unique<cpu::Cpu>(std::span<uint8_t>(ram_), static_cast<cpu::Bus&>(*this));
  cpu_->set_monitor(this);
  cpu_->set_observer(this);
  cpu_->set_task_switching(cpu::TaskSwitching::kStopAfterChecks);  // (cpu.h)
}

ScratchExecution::~ScratchExecution() = default;

uint8_t ScratchExecution::read_byte(uint32_t window_pa) {
  const uint32_t slot = (window_pa - kWindow) >> 12;
  if (window_pa < kWindow || slot >= slots_.size()) return 0xFF;
  const Slot& s = slots_[slot];
  const uint32_t offset = window_pa & 0xFFFu;
  // The latest write of this instruction to the byte, else memory.
  if (s.overlay >= 0) {
    const OverlayPage& page = *overlay_[static_cast<size_t>(s.overlay)];
    if (page.written[offset]) return page.bytes[offset];
  }
  const uint32_t address = s.frame * 4096 + offset;
  return s.machine ? real_.phys_read8(address) : memory_.read_phys8(address);
}

ScratchExecution::OverlayPage& ScratchExecution::overlay_for(Slot& s) {
  if (s.overlay >= 0) return *overlay_[static_cast<size_t>(s.overlay)];
  // Another slot may map the same frame (two linear pages aliasing it) and have written
  // it already; else a page of the pool, or a new one.
  uint32_t i = 0;
  while (i < overlay_used_ &&
         (overlay_[i]->frame != s.frame || overlay_[i]->machine != s.machine)) {
    ++i;
  }
  if (i == overlay_used_) {
    if (overlay_used_ == overlay_.size()) overlay_.push_back(std::make_unique<OverlayPage>());
    OverlayPage& page = *overlay_[overlay_used_++];
    page.frame = s.frame;
    page.machine = s.machine;
    page.written.reset();
  }
  for (Slot& other : slots_) {
    if (other.frame == s.frame && other.machine == s.machine) {
      other.overlay = static_cast<int32_t>(i);
    }
  }
  return *overlay_[i];
}

uint32_t ScratchExecution::mmio_read(uint32_t paddr, unsigned size) {
  const uint32_t slot = (paddr - kWindow) >> 12;
  if (paddr >= kWindow && slot < slots_.size() && !slots_[slot].machine &&
      is_device_address(memory_.p2m(), slots_[slot].frame * 4096)) {
    // Outside the guest's RAM: the machine's bus (the local APIC, guest_apic.h), read once
    // per access of this instruction however often a demand mapping restarts it.
    const uint32_t gpa = slots_[slot].frame * 4096 + (paddr & 0xFFFu);
    const uint64_t key = uint64_t{gpa} | uint64_t{size} << 32;
    if (const auto it = device_reads_.find(key); it != device_reads_.end()) return it->second;
    const uint32_t v = device_read(devices_, gpa, size);
    device_reads_.emplace(key, v);
    return v;
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint32_t{read_byte(paddr + i)} << (8 * i);
  return v;
}

void ScratchExecution::mmio_write(uint32_t paddr, unsigned size, uint32_t value) {
  const uint32_t slot = (paddr - kWindow) >> 12;
  // An access never crosses a page here: the processor splits those into bytes
  // (engine/cpu/memory.cpp).
  if (paddr < kWindow || slot >= slots_.size()) return;
  if (result_->writes.size() >= kMaxWrites) {
    // A string instruction that has written this much stops here, between two of its
    // iterations, as it does between chunks (its registers count what it completed); the
    // rest runs when the guest resumes it.
    stopping_ = true;
    cpu_->fault(cpu::vec::DB);
  }
  Slot& s = slots_[slot];
  const uint32_t offset = paddr & 0xFFFu;
  const uint32_t address = s.frame * 4096 + offset;
  result_->writes.push_back(
      {s.linear_page * 4096 + offset, address, value, static_cast<uint8_t>(size), s.machine});
  OverlayPage& page = overlay_for(s);
  for (unsigned i = 0; i < size && offset + i < 4096; ++i) {
    page.bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
    page.written[offset + i] = true;
  }
}

bool ScratchExecution::install(uint32_t linear, uint32_t frame, bool machine, bool writable) {
  const uint32_t page = linear >> 12;
  // Reuse the slot of a page mapped before (a write after a read): only the rights change.
  uint32_t slot = 0;
  while (slot < slots_.size() && slots_[slot].linear_page != page) ++slot;
  if (slot == slots_.size()) {
    if (slots_.size() >= kMaxSlots) return false;
    // A frame another slot has written already shares its overlay page.
    int32_t overlay = -1;
    for (uint32_t i = 0; i < overlay_used_; ++i) {
      if (overlay_[i]->frame == frame && overlay_[i]->machine == machine) {
        overlay = static_cast<int32_t>(i);
      }
    }
    slots_.push_back({page, frame, machine, overlay});
  }
  uint32_t pde;
  std::memcpy(&pde, ram_.data() + (linear >> 22) * 4, 4);
  if (!(pde & kPresent)) {
    if (tables_used_ >= kTables) return false;
    ++tables_used_;
    pde = (tables_used_ * 4096) | kPresent | kWritable | kUser;
    std::memcpy(ram_.data() + (linear >> 22) * 4, &pde, 4);
  }
  const uint32_t pte = (kWindow + slot * 4096) | kPresent | kUser | (writable ? kWritable : 0);
  std::memcpy(ram_.data() + (pde & ~0xFFFu) + ((linear >> 12) & 0x3FFu) * 4, &pte, 4);
  cpu_->tlb_invlpg(linear);
  return true;
}

bool ScratchExecution::map(uint32_t linear, uint32_t error_code) {
  const bool write = error_code & cpu::pferr::W;
  const bool user = error_code & cpu::pferr::U;
  if (++mappings_ > 2 * kMaxSlots) {
    result_->unsupported = "its accesses keep faulting in the scratch view";
    return false;
  }
  if (linear >= hole::kBase && guest_hole_) {
    // The hole as the guest's, on every page (the monitor's GDT, TSS, IDT and shadow LDT
    // included): only the instruction's own accesses get here, since the processor's
    // implicit ones to the hole stop it before translation (fence_system_accesses in
    // execute()), so that they never read the guest's page as the monitor's table.
    if (!result_->touched_hole) result_->hole_linear = linear;
    result_->touched_hole = true;
    result_->hole_write = result_->hole_write || write;
  } else if (linear >= hole::kBase && !user && !real_.guest_mode()) {
    // The monitor's own structures, which the processor accesses implicitly (it reads
    // descriptors and the TSS, and sets accessed bits in the shadow GDT) when the guest is
    // deprivileged on them (classic, bt): the real mapping of the hole, supervisor only,
    // as the real processor has it. (In VT guest mode the tables are the guest's own.)
    const cpu::CpuState& rs = real_.state();
    const uint32_t pde = real_.phys_read32((rs.cr3 & ~0xFFFu) + (linear >> 22) * 4);
    uint32_t pte = 0;
    if (pde & kPresent) pte = real_.phys_read32((pde & ~0xFFFu) + ((linear >> 12) & 0x3FFu) * 4);
    if (write && (pte & kPresent) && !(pte & kWritable) && tables_ != nullptr) {
      // The shadow GDT and LDT are read-only in the hole: the processor's write of an
      // accessed bit there is the guest's too (DeprivilegedSegments::accessed_write), made
      // through the guest's page tables with supervisor rights. Where the guest's mapping
      // refuses it, that is the guest's own #PF, at its table's address; otherwise the
      // write is logged here and given to the guest's descriptor when the effects are
      // applied (PrivilegedEmulator::apply, machine_written).
      if (const auto guest = tables_->guest_table_linear(linear)) {
        const GuestWalk w = memory_.walk(*guest, cpu::Access::kWrite, false, false);
        if (!w.ok) {
          result_->guest_page_fault = true;
          result_->vector = cpu::vec::PF;
          result_->has_error_code = true;
          result_->error_code = w.error_code;
          result_->fault_linear = *guest;
          return false;
        }
        pte |= kWritable;
      }
    }
    if (!(pte & kPresent) || (write && !(pte & kWritable))) {
      result_->unsupported = "it reaches a page of the hypervisor hole the monitor does not map";
      return false;
    }
    if (!install(linear, pte >> 12, true, write)) {
      result_->unsupported = "it touches more pages than the scratch view holds";
      return false;
    }
    return true;
  }
  if (guest_hole_ && linear < hole::kBase && linear >= hole::kBase - 4096) {
    if (!result_->touched_gap) result_->gap_linear = linear;
    result_->touched_gap = true;
    result_->gap_write = result_->gap_write || write;
  }
  // The guest's page tables decide, with the rights of this access (SDM Vol. 3A, 4.6):
  // a failed walk is the guest's own page fault.
  const GuestWalk w = memory_.walk(linear, write ? cpu::Access::kWrite : cpu::Access::kRead, user);
  if (!w.ok) {
    result_->guest_page_fault = true;
    result_->vector = cpu::vec::PF;
    result_->has_error_code = true;
    result_->error_code = w.error_code;
    result_->fault_linear = linear;
    return false;
  }
  // Writable only once a write has walked, so that the guest's dirty bit is set by the
  // access that dirties the page, as natively.
  if (!install(linear, w.gpa >> 12, false, write)) {
    result_->unsupported = "it touches more pages than the scratch view holds";
    return false;
  }
  return true;
}

bool ScratchExecution::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                                    uint32_t error_code) {
  if (stopping_) {
    cpu_->request_stop();
    return true;
  }
  if (source == cpu::EventSource::kException && vector == cpu::vec::PF &&
      map(cpu_->state().cr2, error_code)) {
    return true;  // the processor restarts the instruction on the page now mapped
  }
  if (!result_->guest_page_fault && result_->unsupported.empty()) {
    if (source == cpu::EventSource::kException) {
      result_->vector = vector;
      result_->has_error_code = has_error_code;
      result_->error_code = error_code;
    } else {
      // INT n, INT3, INTO: the real processor hands them to the monitor before they write
      // anything, so they never reach here.
      result_->unsupported = "it raises a software interrupt";
    }
  }
  cpu_->request_stop();
  return true;
}

void ScratchExecution::premap_code(const cpu::CpuState& s) {
  // The processor's first access is the fetch at CS:EIP (after the CS limit check), and a
  // demand mapping costs a page fault thrown through the scratch processor (a C++
  // exception: a quarter of a classic or bt Linux boot's host time). The code page is
  // mapped before the step, exactly as that first fault's map() would map it: the same
  // walk with the fetch's rights, which sets the same accessed bits. Only when the walk
  // succeeds below the hole (anything else is left to the fault, which reports it) and the
  // limit check passes (a #GP comes before any fetch).
  const cpu::SegmentCache& cs = s.seg[cpu::CS];
  if (s.eip > cs.limit) return;
  const uint32_t lin = cs.base + s.eip;
  if (lin >= hole::kBase - 4096) return;
  const bool user = s.cpl == 3;
  if (!memory_.walk(lin, cpu::Access::kRead, user, false).ok) return;
  map(lin, user ? cpu::pferr::U : 0);
}

void ScratchExecution::begin(Effects& result, const std::function<void(cpu::CpuState&)>& view,
                             bool guest_hole) {
  result_ = &result;
  guest_hole_ = guest_hole;
  // With the hole as the guest's, an implicit access there (a descriptor, gate or TSS
  // read, an accessed bit) would reach the monitor's structures: it stops the instruction.
  cpu_->fence_system_accesses(guest_hole ? hole::kBase : 0);
  // Only what the last instruction left is undone: the scratch RAM holds nothing but the
  // page directory and the page tables install() filled (the slots' pages are the bus's
  // window), and the TLB nothing but the slots' pages. Clearing all 68 KiB and the whole
  // TLB for every emulated instruction cost a classic Linux boot a quarter of its host
  // time (docs/outside-kernels.md, "Why classic and bt are slower").
  std::memset(ram_.data(), 0, size_t{1 + tables_used_} * 4096);
  for (const Slot& slot : slots_) cpu_->tlb_invlpg(slot.linear_page << 12);
  slots_.clear();
  overlay_used_ = 0;
  reset(device_reads_);
  tables_used_ = 0;
  mappings_ = 0;
  stopping_ = false;

  const cpu::CpuState& rs = real_.state();
  cpu::CpuState& s = cpu_->state();
  s = rs;
  // Paging through the scratch tables, every right checked by map(): WP on, no large
  // pages, no global pages. TF off: the real processor's single-step trap is its own.
  s.cr0 = rs.cr0 | cpu::cr0::PE | cpu::cr0::PG | cpu::cr0::WP;
  s.cr3 = 0;
  s.cr4 = 0;
  s.halted = false;
  s.interrupt_shadow = false;
  s.eflags &= ~cpu::flags::TF;
  if (view) view(s);
  premap_code(s);
}

void ScratchExecution::finish(Effects& result) {
  const cpu::CpuState& rs = real_.state();
  const cpu::CpuState& s = cpu_->state();
  result.state = s;
  result.state.cr0 = rs.cr0;
  result.state.cr2 = rs.cr2;
  result.state.cr3 = rs.cr3;
  result.state.cr4 = rs.cr4;
  result.state.eflags = (s.eflags & ~cpu::flags::TF) | (rs.eflags & cpu::flags::TF);
  result_ = nullptr;
}

ScratchExecution::Effects ScratchExecution::execute(const std::function<void(cpu::CpuState&)>& view,
                                                    bool guest_hole) {
  Effects result;
  begin(result, view, guest_hole);
  const uint64_t before = cpu_->instructions_retired();
  // One instruction. A fault that is the guest's stops the scratch processor from the
  // monitor hook (request_stop), which the same call consumes before returning.
  const cpu::RunEnd stop = cpu_->step();
  if (stop == cpu::RunEnd::kUnsupported && result.unsupported.empty()) {
    result.unsupported = cpu_->stop_message();
  }
  result.retired = (cpu_->instructions_retired() != before || stopping_) && result.vector == 0 &&
                   !result.guest_page_fault && result.unsupported.empty();
  finish(result);
  return result;
}

ScratchExecution::Effects ScratchExecution::perform(const std::function<void(cpu::Cpu&)>& op,
                                                    const std::function<void(cpu::CpuState&)>& view,
                                                    bool guest_hole) {
  Effects result;
  begin(result, view, guest_hole);
  const cpu::CpuState start = cpu_->state();
  // The operation reads and checks everything before its first store (a far transfer's
  // pushes come last), so a page mapped on demand restarts it from the same state, as the
  // processor restarts an instruction; the bound of map() ends a restart loop.
  for (;;) {
    try {
      op(*cpu_);
      result.retired = true;
      break;
    } catch (const cpu::CpuFault& f) {
      if (f.vector == cpu::vec::PF && map(cpu_->state().cr2, f.error_code)) {
        cpu_->state() = start;
        result.writes.clear();
        overlay_used_ = 0;
        for (Slot& slot : slots_) slot.overlay = -1;
        continue;
      }
      if (!result.guest_page_fault && result.unsupported.empty()) {
        result.vector = f.vector;
        result.has_error_code = f.has_error_code;
        result.error_code = f.error_code;
      }
      break;
    }
  }
  finish(result);
  return result;
}

}  // namespace vmlab::vmm

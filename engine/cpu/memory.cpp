// Memory accesses: segment limit and rights checks (SDM Vol. 3A, 5.3 and 5.6), the
// linear-to-physical step through paging (mmu.cpp), physical RAM and the bus, and the
// stack.
#include <cstring>
#include <string>

#include "engine/cpu/cpu.h"
#include "engine/cpu/dirty_log.h"

namespace vmlab::cpu {

namespace {
constexpr uint32_t kPageMask = 0xFFFu;
}

uint32_t Cpu::linear(uint8_t seg, uint32_t offset, unsigned size, Access access) {
  const SegmentCache& sc = s_.seg[seg];
  const uint8_t vector = (seg == SS) ? vec::SS : vec::GP;
  // The type and usability checks are protected mode's; real-address mode checks the
  // limit alone (real_mode.cpp), so code there may write through CS.
  if (!sc.usable) [[unlikely]] {
    if (s_.protected_mode()) fault(vector, 0);
  }
  if (access == Access::kWrite ? !sc.writable() : !sc.readable()) [[unlikely]] {
    if (s_.protected_mode()) fault(vector, 0);
  }
  const uint32_t last = offset + (size - 1);
  if (sc.expand_down()) {
    // Valid offsets are (limit, upper], upper = 4 GiB-1 with B set, else 64 KiB-1.
    const uint32_t upper = sc.db ? 0xFFFFFFFFu : 0xFFFFu;
    if (offset <= sc.limit || last > upper || last < offset) fault(vector, 0);
  } else if (last > sc.limit || last < offset) {
    fault(vector, 0);
  }
  return sc.base + offset;
}

// Linear accesses. An access that crosses a page boundary is split into bytes so that each
// page gets its own translation and its own fault.
#define VMLAB_LIN_ACCESSORS(BITS, TYPE)                                              \
  TYPE Cpu::lin_read##BITS(uint32_t lin, bool supervisor) {                          \
    if (supervisor) [[unlikely]]                                                     \
      check_system_access(lin, sizeof(TYPE));                                        \
    const bool user = !supervisor && s_.cpl == 3;                                    \
    if ((lin & kPageMask) <= 4096 - sizeof(TYPE)) {                                  \
      const uint32_t pa = translate(lin, Access::kRead, user);                       \
      if (pa <= ram_.size() - sizeof(TYPE)) {                                        \
        TYPE v;                                                                      \
        std::memcpy(&v, ram_.data() + pa, sizeof(TYPE));                             \
        return v;                                                                    \
      }                                                                              \
      check_apic_access(pa, false);                                                  \
      return static_cast<TYPE>(bus_.mmio_read(pa, sizeof(TYPE)));                    \
    }                                                                                \
    uint32_t v = 0;                                                                  \
    for (unsigned i = 0; i < sizeof(TYPE); ++i) {                                    \
      const uint32_t pa = translate(lin + i, Access::kRead, user);                   \
      if (pa >= ram_.size()) check_apic_access(pa, false);                           \
      v |= uint32_t{phys_read8(pa)} << (8 * i);                                      \
    }                                                                                \
    return static_cast<TYPE>(v);                                                     \
  }                                                                                  \
  void Cpu::lin_write##BITS(uint32_t lin, TYPE value, bool supervisor) {             \
    if (supervisor) [[unlikely]]                                                     \
      check_system_access(lin, sizeof(TYPE));                                        \
    const bool user = !supervisor && s_.cpl == 3;                                    \
    if ((lin & kPageMask) <= 4096 - sizeof(TYPE)) {                                  \
      const uint32_t pa = translate(lin, Access::kWrite, user);                      \
      if (pa <= ram_.size() - sizeof(TYPE)) {                                        \
        std::memcpy(ram_.data() + pa, &value, sizeof(TYPE));                         \
        page_dirty_[pa >> 12] |= kDirtyByStore;                                      \
        if (page_has_code_[pa >> 12]) invalidate_code_page(pa >> 12);                \
        return;                                                                      \
      }                                                                              \
      check_apic_access(pa, true);                                                   \
      bus_.mmio_write(pa, sizeof(TYPE), value);                                      \
      return;                                                                        \
    }                                                                                \
    /* Translate every byte's page before writing any, so a fault writes nothing. */ \
    uint32_t pas[sizeof(TYPE)];                                                      \
    for (unsigned i = 0; i < sizeof(TYPE); ++i) {                                    \
      pas[i] = translate(lin + i, Access::kWrite, user);                             \
      if (pas[i] >= ram_.size()) check_apic_access(pas[i], true);                    \
    }                                                                                \
    for (unsigned i = 0; i < sizeof(TYPE); ++i) {                                    \
      phys_write8(pas[i], static_cast<uint8_t>(uint32_t{value} >> (8 * i)));         \
      if (pas[i] < ram_.size()) page_dirty_[pas[i] >> 12] |= kDirtyByStore;          \
    }                                                                                \
  }

VMLAB_LIN_ACCESSORS(8, uint8_t)
VMLAB_LIN_ACCESSORS(16, uint16_t)
VMLAB_LIN_ACCESSORS(32, uint32_t)
#undef VMLAB_LIN_ACCESSORS

void Cpu::check_system_access(uint32_t lin, unsigned size) {
  // An access that starts below the fence and ends at or above it (or wraps past 4 GiB)
  // reaches the fenced range too.
  if (system_fence_ != 0 && uint64_t{lin} + size - 1 >= system_fence_) {
    unsupported("an implicit access to a descriptor table or TSS at linear address " +
                std::to_string(lin) + " lies in the fenced range");
  }
}

// Journey aside: the APIC-access page (SDM Vol. 3C, 29.4). Called before a data access of
// the current instruction reaches the bus: in guest mode with "virtualize APIC accesses",
// an access to the APIC-access page exits with reason 44 and nothing of the instruction
// has happened. The one instruction the monitor let through (pass_apic_access_once) reaches
// the bus: the monitor has decided that its access is the guest's APIC's.
void Cpu::check_apic_access(uint32_t pa, bool write) {
  if (!guest_mode_ || !vmcs_.virtualize_apic_accesses) return;
  if ((pa & ~kPageMask) != (vmcs_.apic_access_address & ~kPageMask)) return;
  if (apic_pass_armed_ && apic_pass_icount_ == icount_ && apic_pass_eip_ == insn_eip_) return;
  apic_pass_armed_ = false;
  vm_exit(
      vmx::ExitReason::kApicAccess,
      vmx::apic_qual::make(pa, write ? vmx::apic_qual::kLinearWrite : vmx::apic_qual::kLinearRead));
}

void Cpu::pass_apic_access_once() {
  apic_pass_armed_ = true;
  apic_pass_icount_ = icount_;
  apic_pass_eip_ = s_.eip;
}

uint8_t Cpu::read8(uint8_t seg, uint32_t offset) {
  return lin_read8(linear(seg, offset, 1, Access::kRead));
}
uint16_t Cpu::read16(uint8_t seg, uint32_t offset) {
  return lin_read16(linear(seg, offset, 2, Access::kRead));
}
uint32_t Cpu::read32(uint8_t seg, uint32_t offset) {
  return lin_read32(linear(seg, offset, 4, Access::kRead));
}
void Cpu::write8(uint8_t seg, uint32_t offset, uint8_t value) {
  lin_write8(linear(seg, offset, 1, Access::kWrite), value);
}
void Cpu::write16(uint8_t seg, uint32_t offset, uint16_t value) {
  lin_write16(linear(seg, offset, 2, Access::kWrite), value);
}
void Cpu::write32(uint8_t seg, uint32_t offset, uint32_t value) {
  lin_write32(linear(seg, offset, 4, Access::kWrite), value);
}

uint8_t Cpu::phys_read8(uint32_t pa) {
  if (pa < ram_.size()) return ram_[pa];
  return static_cast<uint8_t>(bus_.mmio_read(pa, 1));
}

uint32_t Cpu::phys_read32(uint32_t pa) {
  if (pa <= ram_.size() - 4 && ram_.size() >= 4) {
    uint32_t v;
    std::memcpy(&v, ram_.data() + pa, 4);
    return v;
  }
  return bus_.mmio_read(pa, 4);
}

void Cpu::phys_write8(uint32_t pa, uint8_t value) {
  if (pa < ram_.size()) {
    ram_[pa] = value;
    page_dirty_[pa >> 12] |= kDirtyByPhysical;
    if (page_has_code_[pa >> 12]) invalidate_code_page(pa >> 12);
    return;
  }
  bus_.mmio_write(pa, 1, value);
}

void Cpu::phys_write32(uint32_t pa, uint32_t value) {
  if (pa <= ram_.size() - 4 && ram_.size() >= 4) {
    std::memcpy(ram_.data() + pa, &value, 4);
    page_dirty_[pa >> 12] |= kDirtyByPhysical;
    if (page_has_code_[pa >> 12]) invalidate_code_page(pa >> 12);
    return;
  }
  bus_.mmio_write(pa, 4, value);
}

// The stack. ESP changes only after the memory access succeeded, so a faulting push or
// pop leaves ESP as it was (the instruction restarts).
void Cpu::push16(uint16_t v) {
  const bool big = s_.seg[SS].db;
  const uint32_t sp = (big ? s_.gpr[ESP] : s_.gpr[ESP] & 0xFFFF) - 2;
  write16(SS, big ? sp : sp & 0xFFFF, v);
  if (big) {
    s_.gpr[ESP] = sp;
  } else {
    set_r16(ESP, static_cast<uint16_t>(sp));
  }
}

void Cpu::push32(uint32_t v) {
  const bool big = s_.seg[SS].db;
  const uint32_t sp = (big ? s_.gpr[ESP] : s_.gpr[ESP] & 0xFFFF) - 4;
  write32(SS, big ? sp : sp & 0xFFFF, v);
  if (big) {
    s_.gpr[ESP] = sp;
  } else {
    set_r16(ESP, static_cast<uint16_t>(sp));
  }
}

uint16_t Cpu::pop16() {
  const bool big = s_.seg[SS].db;
  const uint32_t sp = big ? s_.gpr[ESP] : s_.gpr[ESP] & 0xFFFF;
  const uint16_t v = read16(SS, sp);
  if (big) {
    s_.gpr[ESP] = sp + 2;
  } else {
    set_r16(ESP, static_cast<uint16_t>(sp + 2));
  }
  return v;
}

uint32_t Cpu::pop32() {
  const bool big = s_.seg[SS].db;
  const uint32_t sp = big ? s_.gpr[ESP] : s_.gpr[ESP] & 0xFFFF;
  const uint32_t v = read32(SS, sp);
  if (big) {
    s_.gpr[ESP] = sp + 4;
  } else {
    set_r16(ESP, static_cast<uint16_t>(sp + 4));
  }
  return v;
}

}  // namespace vmlab::cpu

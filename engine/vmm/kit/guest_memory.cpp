#include "engine/vmm/kit/guest_memory.h"

#include <algorithm>
#include <cstring>

#include "engine/vmm/kit/guest_apic.h"

namespace vmlab::vmm {

namespace {
constexpr uint32_t kPageSize = 4096;
// A 4 MiB PDE with bits 21:13 set is malformed without PSE-36 (SDM Vol. 3A, table 4-4).
constexpr uint32_t kLargeReserved = 0x003FE000u;

// The bus cycles of `n` bytes at `gpa`, outside the guest's RAM (guest_apic.h's
// device_read/device_write): one of 1, 2 or 4 bytes when the access is `whole` (within
// one page), bytes otherwise, as the processor splits a page-crossing access.
void bus_read(cpu::Bus& bus, uint32_t gpa, uint8_t* out, uint32_t n, bool whole) {
  if (whole && (n == 1 || n == 2 || n == 4)) {
    const uint32_t v = device_read(bus, gpa, n);
    std::memcpy(out, &v, n);
    return;
  }
  for (uint32_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(device_read(bus, gpa + i, 1));
}

void bus_write(cpu::Bus& bus, uint32_t gpa, const uint8_t* in, uint32_t n, bool whole) {
  if (whole && (n == 1 || n == 2 || n == 4)) {
    uint32_t v = 0;
    std::memcpy(&v, in, n);
    device_write(bus, gpa, n, v);
    return;
  }
  for (uint32_t i = 0; i < n; ++i) device_write(bus, gpa + i, 1, in[i]);
}
}  // namespace

uint32_t GuestMemory::read_phys32(uint32_t gpa) {
  const auto ma = p2m_.to_machine(gpa);
  if (!ma || (gpa & 3) != 0) {
    uint32_t v = 0;
    for (uint32_t i = 0; i < 4; ++i) v |= uint32_t{read_phys8(gpa + i)} << (8 * i);
    return v;
  }
  return cpu_.phys_read32(*ma);
}

void GuestMemory::write_phys32(uint32_t gpa, uint32_t value) {
  const auto ma = p2m_.to_machine(gpa);
  if (!ma || (gpa & 3) != 0) {
    for (uint32_t i = 0; i < 4; ++i) write_phys8(gpa + i, static_cast<uint8_t>(value >> (8 * i)));
    return;
  }
  cpu_.phys_write32(*ma, value);
}

uint8_t GuestMemory::read_phys8(uint32_t gpa) {
  const auto ma = p2m_.to_machine(gpa);
  return ma ? cpu_.phys_read8(*ma) : 0xFF;
}

void GuestMemory::write_phys8(uint32_t gpa, uint8_t value) {
  if (const auto ma = p2m_.to_machine(gpa)) cpu_.phys_write8(*ma, value);
}

GuestWalk GuestMemory::walk(uint32_t lin, cpu::Access access, bool user, bool set_ad) {
  GuestWalk w;
  if (!vcpu_.paging()) {
    w.ok = true;
    w.gpa = lin;
    w.rights = pte::P | pte::RW | pte::US;
    w.dirty = true;
    return w;
  }
  const bool write = access == cpu::Access::kWrite;
  const uint32_t err_bits = (write ? cpu::pferr::W : 0) | (user ? cpu::pferr::U : 0);
  w.pde_gpa = (vcpu_.cr3 & pte::kFrame) | ((lin >> 22) << 2);
  const uint32_t pde = read_phys32(w.pde_gpa);
  if (!(pde & pte::P)) {
    w.error_code = err_bits;
    return w;
  }
  // Access rights (4.6): user accesses need U/S at every level; writes need R/W at every
  // level when made by user code or with CR0.WP set.
  auto allowed = [&](uint32_t rights) {
    if (user && !(rights & pte::US)) return false;
    if (write && (user || vcpu_.write_protect()) && !(rights & pte::RW)) return false;
    return true;
  };
  if ((pde & pte::PS) && vcpu_.large_pages()) {
    if (pde & kLargeReserved) {
      w.error_code = cpu::pferr::P | cpu::pferr::RSVD | err_bits;
      return w;
    }
    if (!allowed(pde)) {
      w.error_code = cpu::pferr::P | err_bits;
      return w;
    }
    const uint32_t updated = pde | pte::A | (write ? pte::D : 0);
    if (set_ad && updated != pde) write_phys32(w.pde_gpa, updated);
    w.ok = true;
    w.large = true;
    w.rights = pde & (pte::P | pte::RW | pte::US);
    w.dirty = ((set_ad ? updated : pde) & pte::D) != 0;
    w.gpa = (pde & 0xFFC00000u) | (lin & 0x003FFFFFu);
    return w;
  }
  w.pte_gpa = (pde & pte::kFrame) | ((lin >> 10) & 0xFFCu);
  const uint32_t entry = read_phys32(w.pte_gpa);
  if (!(entry & pte::P)) {
    w.error_code = err_bits;
    return w;
  }
  const uint32_t rights = pde & entry;
  if (!allowed(rights)) {
    w.error_code = cpu::pferr::P | err_bits;
    return w;
  }
  if (set_ad) {
    if (!(pde & pte::A)) write_phys32(w.pde_gpa, pde | pte::A);
    const uint32_t updated = entry | pte::A | (write ? pte::D : 0);
    if (updated != entry) write_phys32(w.pte_gpa, updated);
    w.dirty = (updated & pte::D) != 0;
  } else {
    w.dirty = (entry & pte::D) != 0;
  }
  w.ok = true;
  w.rights = rights & (pte::P | pte::RW | pte::US);
  w.gpa = (entry & pte::kFrame) | (lin & 0xFFFu);
  return w;
}

bool GuestMemory::read(uint32_t lin, void* out, uint32_t size, bool user, Fault* fault) {
  auto* bytes = static_cast<uint8_t*>(out);
  uint32_t done = 0;
  while (done < size) {
    const uint32_t at = lin + done;
    const GuestWalk w = walk(at, cpu::Access::kRead, user);
    if (!w.ok) {
      if (fault) *fault = {at, w.error_code};
      return false;
    }
    const uint32_t chunk = std::min(size - done, kPageSize - (at & (kPageSize - 1)));
    if (bus_ != nullptr && !p2m_.valid_guest_frame(w.gpa / kPageSize)) {
      bus_read(*bus_, w.gpa, bytes + done, chunk, chunk == size);
    } else {
      for (uint32_t i = 0; i < chunk; ++i) bytes[done + i] = read_phys8(w.gpa + i);
    }
    done += chunk;
  }
  return true;
}

bool GuestMemory::write(uint32_t lin, const void* in, uint32_t size, bool user, Fault* fault) {
  const auto* bytes = static_cast<const uint8_t*>(in);
  // Walk every page first so that a fault leaves memory unchanged.
  uint32_t gpas[2] = {0, 0};
  const uint32_t pages = ((lin & (kPageSize - 1)) + size + kPageSize - 1) / kPageSize;
  if (pages > 2) return false;
  for (uint32_t p = 0; p < pages; ++p) {
    const uint32_t at = p == 0 ? lin : (lin & ~(kPageSize - 1)) + kPageSize;
    const GuestWalk w = walk(at, cpu::Access::kWrite, user);
    if (!w.ok) {
      if (fault) *fault = {at, w.error_code};
      return false;
    }
    gpas[p] = w.gpa;
  }
  for (uint32_t i = 0; i < size;) {
    const uint32_t at = lin + i;
    const uint32_t page = ((at & ~(kPageSize - 1)) == (lin & ~(kPageSize - 1))) ? 0 : 1;
    const uint32_t base = page == 0 ? gpas[0] - (lin & (kPageSize - 1)) : gpas[1];
    const uint32_t gpa = base + (at & (kPageSize - 1));
    if (bus_ != nullptr && !p2m_.valid_guest_frame(gpa / kPageSize)) {
      const uint32_t n = std::min(size - i, kPageSize - (gpa & (kPageSize - 1)));
      bus_write(*bus_, gpa, bytes + i, n, n == size);
      i += n;
      continue;
    }
    if (traced_ != nullptr && traced_->tracked(gpa >> 12)) {
      // Up to a dword at a time, within the page: one traced store each.
      const uint32_t n = std::min({4u, size - i, kPageSize - (gpa & (kPageSize - 1))});
      uint32_t value = 0;
      for (uint32_t b = 0; b < n; ++b) value |= uint32_t{bytes[i + b]} << (8 * b);
      traced_->write_traced(gpa, value, n);
      i += n;
      continue;
    }
    write_phys8(gpa, bytes[i]);
    ++i;
  }
  return true;
}

std::optional<uint32_t> GuestMemory::read32(uint32_t lin, bool user) {
  uint32_t v = 0;
  if (!read(lin, &v, 4, user)) return std::nullopt;
  return v;
}

std::optional<uint16_t> GuestMemory::read16(uint32_t lin, bool user) {
  uint16_t v = 0;
  if (!read(lin, &v, 2, user)) return std::nullopt;
  return v;
}

}  // namespace vmlab::vmm

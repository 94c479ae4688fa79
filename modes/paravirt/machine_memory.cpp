#include "modes/paravirt/machine_memory.h"

#include <cstring>

#include "engine/cpu/cpu.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

namespace {
constexpr uint32_t kPresent = 0x1;
constexpr uint32_t kWritable = 0x2;
constexpr uint32_t kLargePage = 0x80;
}  // namespace

uint32_t MachineMemory::read32(uint32_t ma) const {
  uint32_t v;
  std::memcpy(&v, ram_.data() + ma, 4);
  return v;
}

void MachineMemory::write32(uint32_t ma, uint32_t value) {
  std::memcpy(ram_.data() + ma, &value, 4);
  if (cpu_ != nullptr) cpu_->notify_phys_write(ma, 4);
}

void MachineMemory::write8(uint32_t ma, uint8_t value) {
  ram_[ma] = value;
  if (cpu_ != nullptr) cpu_->notify_phys_write(ma, 1);
}

void MachineMemory::write_bytes(uint32_t ma, const void* src, uint32_t len) {
  std::memcpy(ram_.data() + ma, src, len);
  if (cpu_ != nullptr) cpu_->notify_phys_write(ma, len);
}

void MachineMemory::read_bytes(uint32_t ma, void* dst, uint32_t len) const {
  std::memcpy(dst, ram_.data() + ma, len);
}

void MachineMemory::zero_frame(uint32_t mfn) {
  std::memset(ram_.data() + uint64_t{mfn} * kPageSize, 0, kPageSize);
  if (cpu_ != nullptr) cpu_->notify_phys_write(mfn * kPageSize, kPageSize);
}

std::optional<uint32_t> MachineMemory::translate_to_machine(uint32_t cr3, uint32_t lin,
                                                            bool write) const {
  if (lin >= abi::kHypervisorHole) return std::nullopt;
  const uint32_t pde_ma = (cr3 & ~(kPageSize - 1)) + (lin >> 22) * 4;
  if (!valid_machine(pde_ma, 4)) return std::nullopt;
  const uint32_t pde = read32(pde_ma);
  // PV guests have no 4 MiB pages (the validator refuses them).
  if (!(pde & kPresent) || (pde & kLargePage) || (write && !(pde & kWritable))) {
    return std::nullopt;
  }
  const uint32_t pte_ma = (pde & ~(kPageSize - 1)) + ((lin >> 12) & 0x3FF) * 4;
  if (!valid_machine(pte_ma, 4)) return std::nullopt;
  const uint32_t pte = read32(pte_ma);
  if (!(pte & kPresent) || (write && !(pte & kWritable))) return std::nullopt;
  const uint32_t ma = (pte & ~(kPageSize - 1)) | (lin & (kPageSize - 1));
  if (!valid_machine(ma, 1)) return std::nullopt;
  return ma;
}

bool MachineMemory::writable(uint32_t cr3, uint32_t lin, uint32_t len) const {
  while (len > 0) {
    if (!translate_to_machine(cr3, lin, true)) return false;
    const uint32_t n = std::min(len, kPageSize - (lin & (kPageSize - 1)));
    lin += n;
    len -= n;
    if (len > 0 && lin == 0) return false;  // wrapped around 4 GiB
  }
  return true;
}

bool MachineMemory::copy_from_guest(uint32_t cr3, uint32_t lin, void* dst, uint32_t len) const {
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    const auto ma = translate_to_machine(cr3, lin, false);
    if (!ma) return false;
    const uint32_t n = std::min(len, kPageSize - (lin & (kPageSize - 1)));
    std::memcpy(out, ram_.data() + *ma, n);
    out += n;
    lin += n;
    len -= n;
    if (len > 0 && lin == 0) return false;  // wrapped around 4 GiB
  }
  return true;
}

bool MachineMemory::copy_to_guest(uint32_t cr3, uint32_t lin, const void* src, uint32_t len) {
  const auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    const auto ma = translate_to_machine(cr3, lin, true);
    if (!ma) return false;
    const uint32_t n = std::min(len, kPageSize - (lin & (kPageSize - 1)));
    write_bytes(*ma, in, n);
    in += n;
    lin += n;
    len -= n;
    if (len > 0 && lin == 0) return false;
  }
  return true;
}

}  // namespace vmlab::modes::paravirt

#include "engine/vmm/kit/monitor_frames.h"

#include <cstring>

namespace vmlab::vmm {

namespace {
constexpr uint32_t kPageSize = 4096;
}

MonitorFrames::MonitorFrames(cpu::Cpu& cpu, uint32_t first, uint32_t end)
    : cpu_(cpu), first_(first), end_(end) {
  for (uint32_t f = end; f-- > first;) free_.push_back(f);
}

std::optional<uint32_t> MonitorFrames::alloc() {
  if (free_.empty()) return std::nullopt;
  const uint32_t mfn = free_.back();
  free_.pop_back();
  std::memset(cpu_.ram().data() + uint64_t{mfn} * kPageSize, 0, kPageSize);
  cpu_.notify_phys_write(mfn * kPageSize, kPageSize);
  return mfn;
}

void MonitorFrames::free(uint32_t mfn) {
  if (mfn < first_ || mfn >= end_) return;
  free_.push_back(mfn);
}

}  // namespace vmlab::vmm

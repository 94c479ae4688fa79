#include "engine/vmm/kit/guest_dma.h"

#include <algorithm>
#include <cstring>

#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

bool GuestDma::backed(uint32_t gpa, size_t len) const {
  if (len == 0) return true;
  const uint64_t end = uint64_t{gpa} + len;  // 64 bits: a range may not wrap past 4 GiB
  if (end > p2m_.guest_bytes()) return false;
  for (uint64_t f = gpa / P2m::kPageSize; f <= (end - 1) / P2m::kPageSize; ++f) {
    if (!p2m_.valid_guest_frame(f)) return false;
  }
  return true;
}

bool GuestDma::read(uint32_t gpa, std::span<uint8_t> out) {
  if (!backed(gpa, out.size())) return false;
  size_t done = 0;
  while (done < out.size()) {
    const uint32_t at = gpa + static_cast<uint32_t>(done);
    const size_t n = std::min<size_t>(out.size() - done, P2m::kPageSize - at % P2m::kPageSize);
    const uint64_t ma = *p2m_.machine_address(at);
    std::memcpy(out.data() + done, cpu_.ram().data() + ma, n);
    done += n;
  }
  return true;
}

bool GuestDma::write(uint32_t gpa, std::span<const uint8_t> in) {
  if (!backed(gpa, in.size())) return false;
  size_t done = 0;
  while (done < in.size()) {
    const uint32_t at = gpa + static_cast<uint32_t>(done);
    const size_t n = std::min<size_t>(in.size() - done, P2m::kPageSize - at % P2m::kPageSize);
    const uint8_t* from = in.data() + done;
    if (shadow_ != nullptr && shadow_->tracked(at / P2m::kPageSize)) {
      // A traced frame: the shadow MMU performs each store and drops what it makes stale,
      // in aligned dwords where it can, as the guest's own stores would arrive.
      size_t i = 0;
      while (i < n) {
        const uint32_t a = at + static_cast<uint32_t>(i);
        const unsigned size = (a % 4 == 0 && n - i >= 4) ? 4 : 1;
        uint32_t value = 0;
        for (unsigned b = 0; b < size; ++b) value |= uint32_t{from[i + b]} << (8 * b);
        shadow_->write_traced(a, value, size);
        i += size;
      }
      traced_bytes_ += n;
    } else {
      const uint64_t ma = *p2m_.machine_address(at);
      std::memcpy(cpu_.ram().data() + ma, from, n);
      cpu_.notify_phys_write(static_cast<uint32_t>(ma), static_cast<uint32_t>(n));
    }
    done += n;
  }
  return true;
}

}  // namespace vmlab::vmm

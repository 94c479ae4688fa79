#include "modes/paravirt/console_ring.h"

#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

namespace cr = abi::console_ring;

uint32_t ConsoleRing::consume_output() {
  ++notifications_;
  uint32_t cons = memory_.read32(base_ + cr::kOutCons);
  const uint32_t prod = memory_.read32(base_ + cr::kOutProd);
  uint32_t n = prod - cons;                // free-running indexes, as Xen's rings
  if (n > cr::kOutSize) n = cr::kOutSize;  // a corrupt producer index: one ring at most
  for (uint32_t i = 0; i < n; ++i) {
    sink_(static_cast<char>(memory_.read8(base_ + cr::kOut + (cons % cr::kOutSize))));
    ++cons;
  }
  memory_.write32(base_ + cr::kOutCons, cons);
  bytes_ += n;
  return n;
}

uint32_t ConsoleRing::feed_input(const Source& source) {
  const uint32_t cons = memory_.read32(base_ + cr::kInCons);
  const uint32_t used = in_prod_ - cons;
  if (used > cr::kInSize) return 0;  // a corrupt consumer index: nothing
  uint32_t n = 0;
  for (; n < cr::kInSize - used; ++n) {
    const auto byte = source();
    if (!byte) break;
    memory_.write8(base_ + cr::kIn + (in_prod_ % cr::kInSize), *byte);
    ++in_prod_;
  }
  if (n > 0) memory_.write32(base_ + cr::kInProd, in_prod_);
  return n;
}

}  // namespace vmlab::modes::paravirt

// Segmentation: bootstrap version, replaced by the full protected-mode checks.
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

uint32_t SegmentCache::lar_attributes() const {
  return (uint32_t{type} << 8) | (uint32_t{s} << 12) | (uint32_t{dpl} << 13) |
         (uint32_t{present} << 15) | (uint32_t{avl} << 20) | (uint32_t{db} << 22) |
         (uint32_t{g} << 23);
}

void Cpu::load_segment(uint8_t, uint16_t) { unsupported("segment loads are not implemented yet"); }

}  // namespace vmlab::cpu

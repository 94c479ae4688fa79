#include "engine/vmm/kit/guest_fetch.h"

#include <algorithm>

namespace vmlab::vmm {

GuestFetch fetch_guest_insn(const cpu::CpuState& s, GuestMemory& memory,
                            const GuestInsnDecoder& decoder) {
  GuestFetch out;
  const uint32_t lin = s.seg[cpu::CS].base + s.eip;
  uint8_t bytes[15] = {};
  size_t have = 0;
  while (have < sizeof bytes) {
    const uint32_t at = lin + static_cast<uint32_t>(have);
    const size_t chunk = std::min<size_t>(sizeof bytes - have, 4096 - (at & 0xFFFu));
    GuestMemory::Fault f;
    if (!memory.read(at, bytes + have, static_cast<uint32_t>(chunk), s.cpl == 3, &f)) {
      if (have == 0) {
        out.faulted = true;
        out.fault = f;
        return out;
      }
      break;
    }
    have += chunk;
  }
  out.insn = decoder.decode(bytes, have, lin, s.seg[cpu::CS].db);
  return out;
}

}  // namespace vmlab::vmm

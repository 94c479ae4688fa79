#include "modes/paravirt/blk_back.h"

#include <algorithm>
#include <array>
#include <span>

#include "engine/machine/image_bytes.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

namespace {

namespace b = abi::blk;
namespace g = abi::grant;
constexpr uint32_t kSector = machine::BlockImage::kSectorSize;

}  // namespace

BlkBack::BlkBack(MachineMemory& memory, const DirectPaging& paging, const vmm::P2m& p2m,
                 uint32_t ring_ma, uint32_t grant_ma, machine::BlockImage& image,
                 std::vector<uint32_t> protected_mfns, uint32_t vbd)
    : memory_(memory),
      paging_(paging),
      p2m_(p2m),
      ring_ma_(ring_ma),
      grant_ma_(grant_ma),
      vbd_(vbd),
      image_(image),
      protected_(std::move(protected_mfns)) {}

void BlkBack::notify() {
  ++stats_.notifications_in;
  working_ = true;
}

uint32_t BlkBack::unconsumed() const {
  return memory_.read32(ring_ma_ + b::kReqProd) - req_cons_;
}

bool BlkBack::grant_frame(uint32_t gref, bool device_writes_memory, uint32_t& mfn) const {
  if (gref >= g::kEntries) return false;
  const uint32_t entry = grant_ma_ + gref * g::kEntrySize;
  const uint32_t word = memory_.read32(entry + g::kFlags);
  const auto flags = static_cast<uint16_t>(word & 0xFFFF);
  const auto domid = static_cast<uint16_t>(word >> 16);
  if (!(flags & g::kPermitAccess) || domid != g::kBackendDomid) return false;  // revoked
  if (device_writes_memory && (flags & g::kReadonly)) return false;
  const uint32_t gfn = memory_.read32(entry + g::kFrame);
  if (!p2m_.valid_guest_frame(gfn)) return false;
  mfn = p2m_.machine_frame(gfn);
  if (mfn >= paging_.frames()) return false;
  const DirectPaging::Frame& f = paging_.frame(mfn);
  if (!f.owned || f.pinned || f.type == DirectPaging::Type::l1 ||
      f.type == DirectPaging::Type::l2) {
    return false;
  }
  return std::find(protected_.begin(), protected_.end(), mfn) == protected_.end();
}

int16_t BlkBack::process(uint32_t slot_ma, uint8_t& op, uint32_t& id) {
  // One copy of the request: the checks and the I/O use this copy, never the page again.
  std::array<uint8_t, b::kSlotSize> req{};
  memory_.read_bytes(slot_ma, req.data(), b::kSlotSize);
  op = req[b::kReqOperation];
  using machine::image_bytes::get32;
  using machine::image_bytes::get64;
  id = get32(req, b::kReqId);
  const uint8_t nseg = req[b::kReqNrSegments];
  const uint32_t handle = req[2] | uint32_t{req[3]} << 8;
  const uint64_t sector = get64(req, b::kReqSector);
  if (request_hook_) {
    // As the guest asked: the sectors its segments name (each at most 8), checked below.
    uint32_t asked = 0;
    for (uint32_t i = 0; i < nseg && i < b::kMaxSegments; ++i) {
      const uint8_t* s = &req[b::kReqSegments + i * b::kSegmentSize];
      if (s[4] <= s[5] && s[5] < b::kSectorsPerPage) asked += s[5] - s[4] + 1u;
    }
    const machine::BlockOp kind = op == b::kOpRead    ? machine::BlockOp::kRead
                                  : op == b::kOpWrite ? machine::BlockOp::kWrite
                                  : op == b::kOpFlush ? machine::BlockOp::kFlush
                                                      : machine::BlockOp::kOther;
    request_hook_({kind, sector, op == b::kOpFlush ? 0 : asked, 0x100u + nseg + 0x1000u * vbd_});
  }
  if (op != b::kOpRead && op != b::kOpWrite && op != b::kOpFlush) return b::kRspNotSupported;
  if (handle != vbd_) return b::kRspError;  // this ring's virtual disk only
  if (op == b::kOpFlush) {
    if (nseg != 0) return b::kRspError;
    if (!image_.flush()) return b::kRspError;
    ++stats_.flushes;
    return b::kRspOkay;
  }
  if (nseg == 0 || nseg > b::kMaxSegments) return b::kRspError;
  if (op == b::kOpWrite && image_.readonly()) return b::kRspError;
  struct Segment {
    uint32_t ma, bytes;
  };
  std::array<Segment, b::kMaxSegments> segs{};
  uint32_t total = 0;
  for (uint32_t i = 0; i < nseg; ++i) {
    const uint8_t* s = &req[b::kReqSegments + i * b::kSegmentSize];
    const uint32_t first = s[4], last = s[5];
    if (first > last || last >= b::kSectorsPerPage) return b::kRspError;
    uint32_t mfn = 0;
    if (!grant_frame(get32(req, b::kReqSegments + i * b::kSegmentSize), op == b::kOpRead, mfn)) {
      return b::kRspError;
    }
    segs[i] = {mfn * MachineMemory::kPageSize + first * kSector, (last - first + 1) * kSector};
    total += segs[i].bytes;
  }
  const uint64_t sectors = total / kSector;
  if (sector > image_.sectors() || sectors > image_.sectors() - sector) return b::kRspError;
  // The whole request is valid: one host call for its sectors, which are consecutive on
  // the disk, and the copy to or from the granted pages.
  std::vector<uint8_t> buf(total);
  if (op == b::kOpRead) {
    if (!image_.read(sector, buf)) return b::kRspError;
    uint32_t at = 0;
    for (uint32_t i = 0; i < nseg; ++i) {
      memory_.write_bytes(segs[i].ma, buf.data() + at, segs[i].bytes);
      at += segs[i].bytes;
    }
    stats_.sectors_read += sectors;
  } else {
    uint32_t at = 0;
    for (uint32_t i = 0; i < nseg; ++i) {
      memory_.read_bytes(segs[i].ma, buf.data() + at, segs[i].bytes);
      at += segs[i].bytes;
    }
    if (!image_.write(sector, buf)) return b::kRspError;
    stats_.sectors_written += sectors;
  }
  stats_.segments += nseg;
  return b::kRspOkay;
}

BlkBack::Run BlkBack::run() {
  Run r;
  if (!working_) return r;
  working_ = false;
  const uint32_t prod = memory_.read32(ring_ma_ + b::kReqProd);
  // Free-running indexes: more than a ring ahead means the producer ran past the back
  // end, wrapped, or went backwards (Xen's RING_REQUEST_PROD_OVERFLOW). Nothing is done.
  if (prod - req_cons_ > b::kRingSize) {
    ++stats_.bad_indexes;
    r.refused = true;
    return r;
  }
  ++stats_.runs;
  const uint32_t old_rsp = rsp_prod_pvt_;
  for (; req_cons_ != prod; ++req_cons_) {
    uint8_t op = 0;
    uint32_t id = 0;
    const int16_t status =
        process(ring_ma_ + b::kSlots + (req_cons_ % b::kRingSize) * b::kSlotSize, op, id);
    // The response takes the request's slot (the ring is answered in order).
    const uint32_t rsp = ring_ma_ + b::kSlots + (rsp_prod_pvt_ % b::kRingSize) * b::kSlotSize;
    memory_.write32(rsp + b::kRspId, id);
    memory_.write8(rsp + b::kRspOperation, op);
    memory_.write8(rsp + b::kRspOperation + 1, 0);
    const auto st = static_cast<uint16_t>(status);
    memory_.write8(rsp + b::kRspStatus, static_cast<uint8_t>(st));
    memory_.write8(rsp + b::kRspStatus + 1, static_cast<uint8_t>(st >> 8));
    ++rsp_prod_pvt_;
    ++stats_.requests;
    if (status != b::kRspOkay) ++stats_.errors;
    ++r.requests;
  }
  // RING_FINAL_CHECK_FOR_REQUESTS: the next request after these wants a notification.
  // (The guest cannot run while the back end does, so no request can have come since.)
  memory_.write32(ring_ma_ + b::kReqEvent, req_cons_ + 1);
  // RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, from the back end's own producer index.
  memory_.write32(ring_ma_ + b::kRspProd, rsp_prod_pvt_);
  const uint32_t rsp_event = memory_.read32(ring_ma_ + b::kRspEvent);
  r.notify = rsp_prod_pvt_ - rsp_event < rsp_prod_pvt_ - old_rsp;
  if (r.notify) ++stats_.notifications_out;
  return r;
}

}  // namespace vmlab::modes::paravirt

// BlkBack: the back end of the paravirtual block device, after Xen's split drivers
// (blkfront/blkback; Barham et al. 2003, section 3.2 "Data transfer: I/O rings"; the ring
// and request layout follow Xen's public io/blkif.h and io/ring.h as interfaces;
// docs/pv-abi.md, "Block ring").
//
// The guest's front end puts requests (READ, WRITE, FLUSH of up to 11 segments, each a
// run of sectors in one page it granted) into the shared ring page, advances req_prod and
// notifies the monitor on the block port (event_channel_op send) only when req_event says
// the back end is idle. The back end does not answer within the notification: it is
// "working" from then until the domain gives up the processor (sched_op block or yield)
// or the monitor is entered for the timer, which is when a back end in another domain
// would run on one processor. It then consumes every request, does the I/O on the disk
// image (machine::BlockImage, the `--disk` file the ATA controller would use), writes one
// response per request, moves req_event past what it consumed (Xen's
// RING_FINAL_CHECK_FOR_REQUESTS) and notifies the front end on the same port if the
// responses crossed rsp_event (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY). So a batch costs the
// guest one notification, and requests added while the back end is still working cost
// none.
//
// Validation (each rule in docs/pv-abi.md with the status it gives): the back end keeps
// its own consumer index and response producer; a req_prod more than a ring ahead of
// them (it ran past, wrapped or went backwards) is refused as a whole: nothing consumed,
// nothing written, nothing on the disk changed. Each request is checked completely before
// any of its I/O: operation, segment count, first/last sector of every segment, every
// grant reference (in range, granted to domain 0 with access, not read-only for a READ,
// which writes guest memory), every granted frame (a guest frame the P2M backs, owned by
// the guest, not a page table or a pinned frame, not one of the pages the monitor itself
// writes or reads: shared info, console ring, block ring, grant table), the sector range
// against the image, a WRITE against a read-only disk. A malformed request gets an error
// response (BLKIF_RSP_ERROR, or BLKIF_RSP_EOPNOTSUPP for an unknown operation) and
// changes nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "engine/machine/block_image.h"
#include "engine/machine/io_observer.h"
#include "engine/vmm/core/p2m.h"
#include "modes/paravirt/direct_paging.h"
#include "modes/paravirt/machine_memory.h"

namespace vmlab::modes::paravirt {

class BlkBack {
 public:
  struct Stats {
    uint64_t notifications_in = 0;   // the front end's sends on the block port
    uint64_t notifications_out = 0;  // the back end's sends to the front end
    uint64_t runs = 0;               // times the back end ran with work
    uint64_t requests = 0;           // requests answered (errors included)
    uint64_t errors = 0;             // requests answered with an error status
    uint64_t segments = 0;
    uint64_t sectors_read = 0, sectors_written = 0, flushes = 0;
    uint64_t bad_indexes = 0;  // runs refused for a req_prod out of range
    bool operator==(const Stats&) const = default;
  };
  // What one run did.
  struct Run {
    uint32_t requests = 0;
    bool notify = false;   // the front end asked to be told
    bool refused = false;  // req_prod out of range: nothing done
  };

  // `protected_mfns`: machine frames no grant may name (the monitor's shared pages).
  // `vbd`: the virtual disk this back end serves (0 or 1, a ring of its own each, as Xen's
  // blkback has one per vbd); its requests must carry it as their handle.
  BlkBack(MachineMemory& memory, const DirectPaging& paging, const vmm::P2m& p2m, uint32_t ring_ma,
          uint32_t grant_ma, machine::BlockImage& image, std::vector<uint32_t> protected_mfns,
          uint32_t vbd = 0);

  // Called with every request the back end takes from the ring, valid or not, before it
  // is done (its operation as the guest named it, 4 for an unknown one): the monitor
  // records it as the disk's work (the blk_request event).
  void set_request_hook(std::function<void(const machine::BlockRequest&)> hook) {
    request_hook_ = std::move(hook);
  }

  // The front end notified: the back end has work until it runs.
  void notify();
  bool working() const { return working_; }
  // Runs the back end if it was notified (see above).
  Run run();
  // Requests the front end produced and the back end has not consumed (as the guest
  // claims them: may be out of range).
  uint32_t unconsumed() const;

  const Stats& stats() const { return stats_; }
  uint32_t req_cons() const { return req_cons_; }
  uint32_t rsp_prod() const { return rsp_prod_pvt_; }
  uint32_t vbd() const { return vbd_; }

  // Saved state (pv_state.cpp, docs/snapshots.md); load() fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // One request in slot `index`: checked, done, answered. Returns the status.
  int16_t process(uint32_t slot_ma, uint8_t& op, uint32_t& id);
  // The machine address of the page that grant `gref` names, or nothing.
  bool grant_frame(uint32_t gref, bool device_writes_memory, uint32_t& mfn) const;

  MachineMemory& memory_;
  const DirectPaging& paging_;
  const vmm::P2m& p2m_;
  uint32_t ring_ma_, grant_ma_, vbd_;
  machine::BlockImage& image_;
  std::vector<uint32_t> protected_;
  uint32_t req_cons_ = 0, rsp_prod_pvt_ = 0;
  bool working_ = false;
  Stats stats_;
  std::function<void(const machine::BlockRequest&)> request_hook_;
};

}  // namespace vmlab::modes::paravirt

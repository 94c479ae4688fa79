/*
 * The block ring's front end (Xen's blkfront, after Barham et al. 2003, sec. 3.2;
 * docs/pv-abi.md, "Block ring"; the monitor's side is modes/paravirt/blk_back.h).
 *
 * A domain has up to two virtual disks (vbd 0 and 1, the start-info page's blk_* and
 * blk1_* fields), each with a ring, a port and a back end of its own, as Xen gives each
 * vbd its own blkfront/blkback pair; they share the grant table. Each of a ring's 32
 * slots owns BLKFRONT_SEGS pages, granted to the back end once at the disk's first probe
 * (persistent grants: grant reference (vbd * 32 + s) * BLKFRONT_SEGS + k names page k of
 * slot s), so a request of up to BLKFRONT_SEGS * 8 sectors carries its data in
 * its own slot's pages: a WRITE's data is copied in when it is queued, a READ's copied
 * out when its response is consumed.
 *
 * Writes are queued (write-behind): blk_write puts the request in the ring and returns;
 * the ring keeps the guest's order, so the back end writes them in that order, and their
 * errors are reported by the next flush, which waits for everything before it. A read
 * waits for its answers. Notification follows Xen's ring macros: after advancing
 * req_prod the front end notifies (event_channel_op send) only if req_event lies in what
 * it just added (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY): while the back end is still
 * working on earlier requests it will find the new ones itself, and no notification is
 * sent. To wait, the front end blocks (sched_op block): the back end runs then, and its
 * notification (an event on the block port) ends the block.
 */
#include "blkfront.h"

#include "blk.h"
#include "kernel.h"
#include "mm.h"
#include "pv_abi.h"

#define BLKFRONT_SEGS 4 /* pages per request (the ABI allows 11) */
#define SECTORS_PER_PAGE (PAGE_SIZE / SECTOR_SIZE)
#define SECTORS_PER_REQUEST (BLKFRONT_SEGS * SECTORS_PER_PAGE)

_Static_assert(sizeof(union blkif_slot) == 104, "a ring slot is 104 bytes (docs/pv-abi.md)");
_Static_assert(sizeof(struct blkif_sring) == 64 + 32 * 104, "the ring page's layout");
_Static_assert(sizeof(struct grant_entry) == 8, "a grant entry is 8 bytes");
_Static_assert(__builtin_offsetof(struct pv_start_info, blk1_ring) == 1116,
               "the second disk's fields follow the first's (docs/pv-abi.md)");

/* pv_ops_paravirt.c */
i32 pv_hypercall(u32 nr, u32 a1, u32 a2, u32 a3);

/* One virtual disk's front end: its ring, its port and the pages of its slots. */
struct vbd {
  struct blkif_sring* ring;
  u32 port, disk_sectors;
  bool readonly, ready;
  u32 req_prod_pvt, rsp_cons;
  u8* pages[BLKIF_RING_SIZE][BLKFRONT_SEGS];
  void* read_dst[BLKIF_RING_SIZE]; /* where an answered READ's data goes */
  u32 read_count[BLKIF_RING_SIZE];
  bool read_failed, write_failed;
};

static struct grant_entry* grants;
static u32 grant_entries;
static struct vbd vbds[BLK_UNITS];

void blkfront_setup(const struct pv_start_info* si) {
  grants = (struct grant_entry*)si->grant_table;
  grant_entries = si->grant_entries;
  vbds[0].ring = (struct blkif_sring*)si->blk_ring;
  vbds[0].port = si->blk_port;
  vbds[0].disk_sectors = si->blk_sectors_hi ? 0xFFFFFFFFu : si->blk_sectors_lo;
  vbds[0].readonly = (si->blk_info & BLKIF_INFO_READONLY) != 0;
  vbds[1].ring = (struct blkif_sring*)si->blk1_ring;
  vbds[1].port = si->blk1_port;
  vbds[1].disk_sectors = si->blk1_sectors_hi ? 0xFFFFFFFFu : si->blk1_sectors_lo;
  vbds[1].readonly = (si->blk1_info & BLKIF_INFO_READONLY) != 0;
}

/* The disk `unit`, when the domain has it and its pages are granted. */
static struct vbd* vbd_of(u32 unit) {
  return unit < BLK_UNITS && vbds[unit].ready ? &vbds[unit] : 0;
}

static int blkfront_probe(u32 unit, u32* sectors) {
  if (unit >= BLK_UNITS) return 0;
  struct vbd* v = &vbds[unit];
  /* Unit u's slots use grant references from u * BLKIF_RING_SIZE * BLKFRONT_SEGS. */
  const u32 first_gref = unit * BLKIF_RING_SIZE * BLKFRONT_SEGS;
  if (!v->ring || !grants || grant_entries < first_gref + BLKIF_RING_SIZE * BLKFRONT_SEGS) return 0;
  if (!v->ready) {
    /* The slots' pages, granted for good (they are never freed). */
    for (u32 s = 0; s < BLKIF_RING_SIZE; s++) {
      for (u32 k = 0; k < BLKFRONT_SEGS; k++) {
        u32 pa = pmm_alloc();
        if (!pa) return 0;
        v->pages[s][k] = P2V(pa);
        struct grant_entry* g = &grants[first_gref + s * BLKFRONT_SEGS + k];
        g->domid = 0;
        g->frame = pa / PAGE_SIZE;
        __asm__ volatile("" : : : "memory");
        g->flags = GTF_permit_access; /* last: the entry is whole when it is granted */
      }
    }
    v->ready = true;
  }
  *sectors = v->disk_sectors;
  return v->disk_sectors > 0;
}

/* Takes every response the back end produced (RING_FINAL_CHECK_FOR_RESPONSES: asks for a
 * notification at the next one, then looks again). */
static void consume(struct vbd* v) {
  struct blkif_sring* ring = v->ring;
  for (;;) {
    u32 prod = ring->rsp_prod;
    __asm__ volatile("" : : : "memory");
    while (v->rsp_cons != prod) {
      const struct blkif_response* r = &ring->ring[v->rsp_cons % BLKIF_RING_SIZE].rsp;
      u32 slot = r->id;
      bool ok = r->status == BLKIF_RSP_OKAY;
      if (slot < BLKIF_RING_SIZE && v->read_dst[slot]) {
        if (ok) {
          for (u32 k = 0, left = v->read_count[slot]; left > 0; k++) {
            u32 n = left < SECTORS_PER_PAGE ? left : SECTORS_PER_PAGE;
            memcpy((u8*)v->read_dst[slot] + k * PAGE_SIZE, v->pages[slot][k], n * SECTOR_SIZE);
            left -= n;
          }
        } else {
          v->read_failed = true;
        }
        v->read_dst[slot] = 0;
      } else if (!ok) {
        v->write_failed = true; /* a WRITE or FLUSH */
      }
      v->rsp_cons++;
    }
    ring->rsp_event = v->rsp_cons + 1;
    __asm__ volatile("" : : : "memory");
    if (ring->rsp_prod == v->rsp_cons) return;
  }
}

/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY. */
static void push(const struct vbd* v) {
  struct blkif_sring* const ring = v->ring;
  const u32 req_prod_pvt = v->req_prod_pvt, port = v->port;
  /* LAB 07 BEGIN solution: push */
  u32 old = ring->req_prod, new = req_prod_pvt;
  if (old == new) return;
  __asm__ volatile("" : : : "memory");
  ring->req_prod = new;
  __asm__ volatile("" : : : "memory");
  if ((u32)(new - ring->req_event) < (u32)(new - old))
    pv_hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, port, 0);
  /* LAB 07 END */
}

/* Pushes what is queued and waits until every request has its response. */
static void wait_all(struct vbd* v) {
  push(v);
  u32 flags = pv->irq_save();
  for (;;) {
    consume(v);
    if (v->rsp_cons == v->req_prod_pvt) break;
    pv_hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0); /* unmasks events */
    pv->irq_disable();
  }
  pv->irq_restore(flags);
}

/* One request of at most SECTORS_PER_REQUEST sectors into the next slot (waiting for the
 * ring to drain when it is full). */
static void queue(struct vbd* v, u8 op, u32 lba, u32 count, const void* src, void* dst) {
  if (v->req_prod_pvt - v->rsp_cons >= BLKIF_RING_SIZE) wait_all(v);
  u32 slot = v->req_prod_pvt % BLKIF_RING_SIZE;
  struct blkif_request* q = &v->ring->ring[slot].req;
  q->operation = op;
  q->handle = (u16)(v - vbds); /* the virtual disk's handle: 0 or 1 */
  q->id = slot;
  q->sector_number = lba;
  u32 nseg = (count + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE;
  q->nr_segments = (u8)nseg;
  const u32 first_gref = (u32)(v - vbds) * BLKIF_RING_SIZE * BLKFRONT_SEGS;
  for (u32 k = 0; k < nseg; k++) {
    u32 n = count - k * SECTORS_PER_PAGE;
    if (n > SECTORS_PER_PAGE) n = SECTORS_PER_PAGE;
    q->seg[k] = (struct blkif_segment){first_gref + slot * BLKFRONT_SEGS + k, 0, (u8)(n - 1), 0};
    if (src) memcpy(v->pages[slot][k], (const u8*)src + k * PAGE_SIZE, n * SECTOR_SIZE);
  }
  v->read_dst[slot] = dst;
  v->read_count[slot] = count;
  v->req_prod_pvt++;
}

static int blkfront_read(u32 unit, u32 lba, u32 count, void* buf) {
  struct vbd* v = vbd_of(unit);
  if (!v) return -1;
  v->read_failed = false;
  for (u32 done = 0; done < count;) {
    u32 n = count - done < SECTORS_PER_REQUEST ? count - done : SECTORS_PER_REQUEST;
    queue(v, BLKIF_OP_READ, lba + done, n, 0, (u8*)buf + done * SECTOR_SIZE);
    done += n;
  }
  wait_all(v);
  return v->read_failed ? -1 : 0;
}

static int blkfront_write(u32 unit, u32 lba, u32 count, const void* buf) {
  struct vbd* v = vbd_of(unit);
  if (!v || v->readonly) return -1;
  for (u32 done = 0; done < count;) {
    u32 n = count - done < SECTORS_PER_REQUEST ? count - done : SECTORS_PER_REQUEST;
    queue(v, BLKIF_OP_WRITE, lba + done, n, (const u8*)buf + done * SECTOR_SIZE, 0);
    done += n;
  }
  push(v);
  return 0;
}

static int blkfront_flush(u32 unit) {
  struct vbd* v = vbd_of(unit);
  if (!v) return -1;
  queue(v, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0);
  wait_all(v);
  bool failed = v->write_failed;
  v->write_failed = false;
  return failed ? -1 : 0;
}

const struct blk_ops blkfront_ops = {
    .name = "blkfront",
    .probe = blkfront_probe,
    .read = blkfront_read,
    .write = blkfront_write,
    .flush = blkfront_flush,
};

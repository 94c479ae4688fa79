/*
 * The paravirtual pv_ops table: the kernel runs in ring 1 and asks the monitor
 * for what it may not do itself (docs/pv-abi.md, docs/modes/paravirt.md).
 *
 *  - Hypercalls go through the hypercall page the monitor filled (entry n holds
 *    `mov $n, %eax; int $0x82; ret`), arguments in EBX, ECX, EDX, result in EAX.
 *  - Page tables hold machine frames and are read-only to the kernel (direct
 *    paging). pte_write queues an mmu_update request; the queue (PV_MMU_BATCH
 *    entries) goes to the monitor in one hypercall when it is full, before any
 *    TLB flush, INVLPG or CR3 load, at the start of the page-fault handler
 *    (vm_fault), and when a user page-directory entry is written (vm_walk reads
 *    it back). Unpins of freed tables wait in the same way (vm_free flushes). This is Barham et al.'s batching (sec. 3.3; XenoLinux's queue
 *    held up to 2048 updates).
 *  - The interrupt flag is the upcall_mask byte of the shared-info page: plain
 *    stores, no monitor entry. Enabling with an event pending makes one
 *    hypercall so the monitor delivers it (Linux's xen_force_evtchn_callback).
 *  - Port I/O: the devices are the monitor's. The console is a shared ring with
 *    one notification per write, the timer is set_timer_op, the exit is
 *    sched_op shutdown; the one port the workloads read (0x80) goes through
 *    physdev_op, and every other port is refused.
 *
 * No privileged instruction appears here (tests/check_privileged.py).
 */
#include "mm.h"
#include "blk.h"
#include "blkfront.h"
#include "kernel.h"
#include "proc.h"
#include "pv_abi.h"

#define PV_MMU_BATCH 128 /* mmu_update requests per hypercall at most */
#define MAX_PFNS (PHYS_MAX / PAGE_SIZE)

/* mm.h: the P2M and M2P tables of the start-info page (0 natively). */
const u32* pv_p2m;
const u32* pv_m2p;
/* pv_entry.S reads it. */
struct pv_shared_info* pv_shared;

static u32 hypercall_page;
static struct pv_console_ring* console_ring;
static u32 console_port, timer_port;
static u32 nr_pages, m2p_entries;
static u32 tsc_khz;
static pte_t* current_pd_va;   /* the page directory in CR3, through the direct map */
static u32 bootstrap_pd_mfn;   /* the monitor's bootstrap tables, unpinned once left */
static bool bootstrap_pinned;
static u32 table_frames[MAX_PFNS / 32]; /* pfns that hold page tables or directories */
static u32 dir_frames[MAX_PFNS / 32];   /* ... page directories */
static struct pv_mmu_update queue[PV_MMU_BATCH];
static u32 queued;
static u64 timer_period, timer_next;

/* ---- Hypercalls ---- */

static i32 hypercall(u32 nr, u32 a1, u32 a2, u32 a3) {
  i32 r;
  __asm__ volatile("call *%4"
                   : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3)
                   : "r"(hypercall_page + nr * PV_HYPERCALL_STRIDE)
                   : "memory");
  return r;
}

static u32 mfn_of(u32 pa) {
  return pv_p2m[pa / PAGE_SIZE];
}

static void mmuext(u32 cmd, u32 arg1) {
  struct pv_mmuext_op op = {cmd, arg1, 0};
  i32 r = hypercall(HYPERVISOR_mmuext_op, (u32)&op, 1, 0);
  if (r < 0) panic("mmuext_op %u (%x) refused: %d", cmd, arg1, r);
}

/* ---- Page tables ---- */

static bool bit(const u32* map, u32 pfn) {
  return pfn < MAX_PFNS && (map[pfn / 32] >> (pfn % 32)) & 1;
}
static void set_bit(u32* map, u32 pfn, bool on) {
  if (pfn >= MAX_PFNS) return;
  if (on)
    map[pfn / 32] |= 1u << (pfn % 32);
  else
    map[pfn / 32] &= ~(1u << (pfn % 32));
}

/* Unpins wait for the next flush too, ahead of the queued updates (which make the
 * unpinned frames writable again). */
#define PV_UNPIN_BATCH 16
static struct pv_mmuext_op unpins[PV_UNPIN_BATCH];
static u32 queued_unpins;

static void pv_pte_batch_flush(void) {
  if (queued_unpins > 0) {
    i32 r = hypercall(HYPERVISOR_mmuext_op, (u32)unpins, queued_unpins, 0);
    if (r < 0) panic("unpin refused: %d", r);
    queued_unpins = 0;
  }
  if (queued == 0) return;
  u32 done = 0;
  i32 r = hypercall(HYPERVISOR_mmu_update, (u32)queue, queued, (u32)&done);
  if (r < 0) panic("mmu_update refused request %u of %u: %d", done, queued, r);
  queued = 0;
}

/* The machine address of an entry the kernel reaches through its direct map. */
static u32 entry_ma(const pte_t* ptep) {
  u32 pa = V2P(ptep);
  return mfn_of(pa) * PAGE_SIZE | (pa & (PAGE_SIZE - 1));
}

static void queue_update(const pte_t* ptep, pte_t val) {
  /* LAB 05 BEGIN solution: queue_update */
  queue[queued].ptr = entry_ma(ptep) | MMU_NORMAL_PT_UPDATE;
  queue[queued].val = val;
  if (++queued == PV_MMU_BATCH) pv_pte_batch_flush();
  /* LAB 05 END */
}

static void pv_pte_write(pte_t* ptep, pte_t val) {
  u32 pa = V2P(ptep);
  bool directory = bit(dir_frames, pa / PAGE_SIZE);
  /* A page-table frame is never mapped writable (the monitor would refuse it):
   * the kernel's direct map shows tables read-only (Linux's mask_rw_pte). */
  if (!directory && (val & (PTE_P | PTE_W)) == (PTE_P | PTE_W) &&
      bit(table_frames, pte_pa(val) / PAGE_SIZE))
    val &= ~PTE_W;
  queue_update(ptep, val);
  /* vm_walk reads user directory entries back: those are written at once. */
  if (directory && (pa & (PAGE_SIZE - 1)) / 4 < PDE_KERNEL_FIRST) pv_pte_batch_flush();
}

static void pv_pte_batch_begin(void) {}

/* Makes the direct-map entry of frame `pa` read-only or writable again, in the
 * current address space and (while vm_init builds it) in the kernel's. */
static void remap_direct(u32 pa, bool writable) {
  u32 va = KERNBASE + pa;
  pte_t* dirs[2] = {current_pd_va, kernel_pd_phys ? (pte_t*)P2V(kernel_pd_phys) : 0};
  for (u32 d = 0; d < 2; d++) {
    if (!dirs[d] || (d == 1 && dirs[1] == dirs[0])) continue;
    pte_t pde = dirs[d][PDX(va)];
    if (!(pde & PTE_P)) continue;
    pte_t* ptep = &((pte_t*)P2V(pte_pa(pde)))[PTX(va)];
    if (!(*ptep & PTE_P)) continue;
    pte_t val = writable ? (*ptep | PTE_W) : (*ptep & ~PTE_W);
    if (val != *ptep) queue_update(ptep, val);
  }
}

static void pv_pt_alloc(u32 pa, u32 level) {
  /* While vm_init builds the kernel's map, remap_direct reads entries of it that
   * may still be queued; later the direct map's entries only change here. */
  if (bootstrap_pinned) pv_pte_batch_flush();
  set_bit(table_frames, pa / PAGE_SIZE, true);
  set_bit(dir_frames, pa / PAGE_SIZE, level == 2);
  remap_direct(pa, false);
  pv_pte_batch_flush();
  mmuext(level == 2 ? MMUEXT_PIN_L2_TABLE : MMUEXT_PIN_L1_TABLE, mfn_of(pa));
}

static void pv_pt_release(u32 pa, u32 level) {
  (void)level;
  if (queued_unpins == PV_UNPIN_BATCH) pv_pte_batch_flush();
  unpins[queued_unpins++] = (struct pv_mmuext_op){MMUEXT_UNPIN_TABLE, mfn_of(pa), 0};
  set_bit(table_frames, pa / PAGE_SIZE, false);
  set_bit(dir_frames, pa / PAGE_SIZE, false);
  remap_direct(pa, true); /* after the unpin; the caller flushes before reusing it */
}

static void pv_load_cr3(u32 pd_phys) {
  pv_pte_batch_flush();
  struct pv_mmuext_op ops[2] = {{MMUEXT_NEW_BASEPTR, mfn_of(pd_phys), 0},
                                {MMUEXT_UNPIN_TABLE, bootstrap_pd_mfn, 0}};
  /* Leaving the monitor's bootstrap tables for good: unpin them too, so that the
   * writable mappings they hold are dropped. */
  u32 n = bootstrap_pinned ? 2 : 1;
  i32 r = hypercall(HYPERVISOR_mmuext_op, (u32)ops, n, 0);
  if (r < 0) panic("new_baseptr %x refused: %d", pd_phys, r);
  bootstrap_pinned = false;
  current_pd_va = P2V(pd_phys);
}

static u32 pv_read_fault_addr(void) {
  return pv_shared->cr2; /* the monitor copies CR2 here before the bounce */
}

static void pv_flush_tlb(void) {
  pv_pte_batch_flush();
  mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

static void pv_invlpg(u32 va) {
  pv_pte_batch_flush();
  mmuext(MMUEXT_INVLPG_LOCAL, va);
}

/* ---- The virtual interrupt flag ---- */

static void pv_irq_disable(void) {
  pv_shared->upcall_mask = 1;
  __asm__ volatile("" : : : "memory");
}

static void pv_irq_enable(void) {
  __asm__ volatile("" : : : "memory");
  pv_shared->upcall_mask = 0;
  __asm__ volatile("" : : : "memory");
  /* An event that came while masked is delivered on the way out of any hypercall. */
  if (pv_shared->upcall_pending) hypercall(HYPERVISOR_xen_version, XENVER_get, 0, 0);
}

static u32 pv_irq_save(void) {
  u32 flags = pv_shared->upcall_mask ? 0 : EFLAGS_IF;
  pv_irq_disable();
  return flags;
}

static void pv_irq_restore(u32 flags) {
  if (flags & EFLAGS_IF) pv_irq_enable();
}

static void pv_safe_halt(void) {
  hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0); /* unmasks, waits for an event */
}

static __attribute__((noreturn)) void pv_machine_exit(u32 status) {
  for (;;) hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, status, 0);
}

static __attribute__((noreturn)) void pv_halt_forever(void) {
  pv_machine_exit(255);
}

/* ---- Descriptor tables and the kernel stack ---- */

/* The GDT is the monitor's, with gdt.c's layout and ring-1 kernel descriptors,
 * so the selectors gdt_init computes are valid as they are; the trap table goes
 * to the monitor with set_trap_table (pv_boot.c); there is no TSS to load. */
static void pv_load_gdt(const void* base, u16 limit, u16 code_sel, u16 data_sel) {
  (void)base;
  (void)limit;
  (void)code_sel;
  (void)data_sel;
}
static void pv_load_idt(const void* base, u16 limit) {
  (void)base;
  (void)limit;
}
static void pv_load_tr(u16 sel) {
  (void)sel;
}

static void pv_set_kernel_stack(u32 esp0) {
  i32 r = hypercall(HYPERVISOR_stack_switch, kernel_ds, esp0, 0);
  if (r < 0) panic("stack_switch refused: %d", r);
}

/* ---- Devices ---- */

static u8 pv_inb(u16 port) {
  i32 r = hypercall(HYPERVISOR_physdev_op, PHYSDEVOP_port_read, port, 0);
  return r < 0 ? 0xFF : (u8)r; /* a refused port reads as nothing behind it */
}

static void pv_outb(u16 port, u8 val) {
  hypercall(HYPERVISOR_physdev_op, PHYSDEVOP_port_write, port, val);
}

/* The console front end: bytes into the ring, one notification per write (or per
 * full ring). CR LF as the UART driver writes it, so the console is the same. */
static void pv_console_write(const char* buf, u32 len) {
  u32 flags = pv_irq_save();
  u32 prod = console_ring->out_prod;
  for (u32 i = 0; i < len; i++) {
    for (u32 k = buf[i] == '\n' ? 0 : 1; k < 2; k++) {
      if (prod - console_ring->out_cons == sizeof(console_ring->out)) {
        console_ring->out_prod = prod;
        hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, console_port, 0);
      }
      console_ring->out[prod % sizeof(console_ring->out)] = k == 0 ? '\r' : buf[i];
      prod++;
    }
  }
  __asm__ volatile("" : : : "memory");
  console_ring->out_prod = prod;
  hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, console_port, 0);
  pv_irq_restore(flags);
}

static void set_timer(u64 deadline) {
  hypercall(HYPERVISOR_set_timer_op, (u32)deadline, (u32)(deadline >> 32), 0);
}

/* The periodic tick from one-shot deadlines in TSC cycles: each event re-arms. */
static void pv_timer_init(u32 hz) {
  timer_period = (u64)tsc_khz * 1000 / hz;
  timer_next = rdtsc() + timer_period;
  set_timer(timer_next);
}

/* ---- Events ---- */

/* Console input: the monitor puts what the serial line received into the ring's `in` and
 * notifies the console port; as much as the kernel's input buffer has room for is moved
 * there (the rest waits in the ring: uart_read calls this again as it frees room). */
static void pv_console_refill(void) {
  u32 flags = pv_irq_save();
  u32 cons = console_ring->in_cons, prod = console_ring->in_prod;
  u32 room = console_rx_room();
  char buf[64];
  while (cons != prod && room > 0) {
    u32 n = 0;
    while (n < sizeof buf && n < room && cons != prod)
      buf[n++] = console_ring->in[cons++ % sizeof(console_ring->in)];
    console_rx(buf, n);
    room -= n;
  }
  __asm__ volatile("" : : : "memory");
  console_ring->in_cons = cons;
  pv_irq_restore(flags);
}

/* pv_entry.S: the event upcall, and events that arrived while masked. */
void pv_handle_events(struct trapframe* tf);
void pv_handle_events(struct trapframe* tf) {
  pv_shared->upcall_pending = 0;
  u32 ports = __atomic_exchange_n(&pv_shared->evtchn_pending, 0, __ATOMIC_SEQ_CST);
  if (ports & (1u << console_port)) pv_console_refill();
  if (ports & (1u << timer_port)) {
    kstat.ticks++;
    u64 now = rdtsc();
    timer_next += timer_period;
    if (timer_next <= now) timer_next = now + timer_period; /* ticks missed: one */
    set_timer(timer_next);
    sched_tick(trap_from_user(tf)); /* may switch away: last */
  }
}

void pv_trap(struct trapframe* tf);
void pv_trap(struct trapframe* tf) {
  if (tf->vector == 0x100)
    pv_handle_events(tf);
  else
    trap(tf);
}

extern void pv_trap_return(void);

const struct pv_ops pv_ops_paravirt = {
    .name = "paravirt",
    .kernel_ring = 1,
    .load_gdt = pv_load_gdt,
    .load_idt = pv_load_idt,
    .load_tr = pv_load_tr,
    .set_kernel_stack = pv_set_kernel_stack,
    .load_cr3 = pv_load_cr3,
    .read_fault_addr = pv_read_fault_addr,
    .flush_tlb = pv_flush_tlb,
    .invlpg = pv_invlpg,
    .pte_write = pv_pte_write,
    .pte_batch_begin = pv_pte_batch_begin,
    .pte_batch_flush = pv_pte_batch_flush,
    .pt_alloc = pv_pt_alloc,
    .pt_release = pv_pt_release,
    .irq_save = pv_irq_save,
    .irq_restore = pv_irq_restore,
    .irq_disable = pv_irq_disable,
    .irq_enable = pv_irq_enable,
    .safe_halt = pv_safe_halt,
    .halt_forever = pv_halt_forever,
    .inb = pv_inb,
    .outb = pv_outb,
    .console_write = pv_console_write,
    .timer_init = pv_timer_init,
    .machine_exit = pv_machine_exit,
    .user_return = pv_trap_return,
    .blk = &blkfront_ops,
};

/* ---- Boot (pv_boot.c calls these) ---- */

/* Takes what the start-info page says. */
void pv_setup(const struct pv_start_info* si);
void pv_setup(const struct pv_start_info* si) {
  hypercall_page = si->hypercall_page;
  pv_shared = (struct pv_shared_info*)si->shared_info;
  console_ring = (struct pv_console_ring*)si->console_ring;
  console_port = si->console_port;
  timer_port = si->timer_port;
  nr_pages = si->nr_pages;
  m2p_entries = si->m2p_entries;
  tsc_khz = si->tsc_khz;
  pv_p2m = (const u32*)si->p2m;
  pv_m2p = (const u32*)si->m2p;
  current_pd_va = (pte_t*)si->pt_base;
  u32 pt_pfn = V2P(si->pt_base) / PAGE_SIZE;
  bootstrap_pd_mfn = pv_p2m[pt_pfn];
  bootstrap_pinned = true;
  for (u32 i = 0; i < si->nr_pt_frames; i++) set_bit(table_frames, pt_pfn + i, true);
  set_bit(dir_frames, pt_pfn, true);
  blkfront_setup(si);
  console_refill = pv_console_refill;
}

i32 pv_hypercall(u32 nr, u32 a1, u32 a2, u32 a3);
i32 pv_hypercall(u32 nr, u32 a1, u32 a2, u32 a3) {
  return hypercall(nr, a1, a2, a3);
}

/*
 * kmain_pv(): the paravirtual boot path, from boot.S's PV entry to the first
 * user process (docs/pv-abi.md, "Boot"). The same order as kmain(), with the
 * start-info page in place of the Multiboot information and no devices to
 * program: the monitor owns them.
 *
 * Also here: the trap table the kernel registers with the monitor, and the
 * `hostile` workload's kernel side, which tries every update direct paging
 * forbids and checks that each is refused and changes nothing.
 */
#include "../common/abi.h"
#include "kernel.h"
#include "mm.h"
#include "multiboot.h"
#include "proc.h"
#include "pv_abi.h"

/* pv_ops_paravirt.c */
void pv_setup(const struct pv_start_info* si);
i32 pv_hypercall(u32 nr, u32 a1, u32 a2, u32 a3);
extern struct pv_shared_info* pv_shared;

/* pv_entry.S */
extern const u32 pv_trap_vectors[32];
extern void pv_syscall_entry(void);
extern void pv_upcall_entry(void);

static bool paravirtualized;

/* The trap table: the 32 exception vectors mask events on entry (interrupt
 * gates, as idt.c's); INT 0x80 is callable from user mode, and the monitor
 * puts it straight into the real IDT. */
static void pv_trap_init(void) {
  static struct pv_trap_info table[34];
  u32 n = 0;
  for (u32 v = 0; v < 32; v++)
    table[n++] = (struct pv_trap_info){(u8)v, TI_MASK_EVENTS, PV_RING1_CS, pv_trap_vectors[v]};
  table[n++] = (struct pv_trap_info){T_SYSCALL, TI_DPL(3), PV_RING1_CS, (u32)pv_syscall_entry};
  table[n] = (struct pv_trap_info){0, 0, 0, 0};
  i32 r = pv_hypercall(HYPERVISOR_set_trap_table, (u32)table, 0, 0);
  if (r < 0) panic("set_trap_table refused: %d", r);
  r = pv_hypercall(HYPERVISOR_set_callbacks, PV_RING1_CS, (u32)pv_upcall_entry, 0);
  if (r < 0) panic("set_callbacks refused: %d", r);
}

/* `pv_abi=<n>` on the command line asks for another ABI version (to see the
 * refusal); the kernel otherwise speaks PV_ABI_VERSION. */
static u32 requested_abi(const char* cmdline) {
  for (const char* p = cmdline; *p; p++) {
    if ((p == cmdline || p[-1] == ' ') && strncmp(p, "pv_abi=", 7) == 0) {
      u32 v = 0;
      for (p += 7; *p >= '0' && *p <= '9'; p++) v = v * 10 + (u32)(*p - '0');
      return v;
    }
  }
  return PV_ABI_VERSION;
}

void kmain_pv(u32 start_info_va) {
  const struct pv_start_info* si = (const struct pv_start_info*)start_info_va;
  pv_setup(si);
  pv = &pv_ops_paravirt;
  paravirtualized = true;

  /* The handshake: the monitor says which ABI it offers; a kernel that wants
   * another one stops here, with a message, before it touches anything. */
  u32 want = requested_abi(si->cmdline);
  if (si->magic != PV_BOOT_MAGIC ||
      pv_hypercall(HYPERVISOR_xen_version, XENVER_request, want, 0) != 0) {
    i32 offered = pv_hypercall(HYPERVISOR_xen_version, XENVER_get, 0, 0);
    kprintf("vmlab-guest: the monitor refused PV ABI version %u (it offers version %d)\n", want,
            offered);
    kprintf("done status=3\n");
    pv->machine_exit(3);
  }

  cmdline_init(si->cmdline);
  gdt_init(); /* kernel_cs/kernel_ds: the monitor's GDT has the same layout */
  pv_trap_init();

  /* The allocator takes RAM above the boot area the monitor built. */
  static struct multiboot_mmap_entry ram;
  static struct multiboot_info mbi;
  ram.size = sizeof(ram) - 4;
  ram.base = (u64)si->first_free_pfn * PAGE_SIZE;
  ram.length = (u64)si->nr_pages * PAGE_SIZE - ram.base;
  ram.type = 1;
  mbi.flags = MBI_FLAG_MMAP;
  mbi.mmap_addr = V2P(&ram);
  mbi.mmap_length = sizeof(ram);
  pmm_init(&mbi);
  vm_init();

  kprintf("vmlab-guest 0.1 boot=pv pv_ops=%s ring=%u mem_kib=%u cmdline=\"%s\"\n", pv->name,
          pv->kernel_ring, pmm_total_count() * 4, boot_cmdline);

  pv->timer_init(HZ);
  proc_create_init();
  sched_start();
}

/* ---- The hostile workload ---- */

static u32 mfn_of(u32 pa) {
  return pv_p2m[pa / PAGE_SIZE];
}
static u32 ma_of(const void* va) {
  return mfn_of(V2P(va)) * PAGE_SIZE | (V2P(va) & (PAGE_SIZE - 1));
}

static int refused(const char* what, i32 r, u32 before, u32 after) {
  bool ok = r < 0 && before == after;
  kprintf("hostile attempt=%s result=%s error=%d unchanged=%s\n", what, r < 0 ? "refused" : "ACCEPTED",
          r, before == after ? "yes" : "NO");
  return ok ? 0 : 1;
}

static i32 mmu_update1(u32 entry_ma, u32 val) {
  struct pv_mmu_update u = {entry_ma, val};
  return pv_hypercall(HYPERVISOR_mmu_update, (u32)&u, 1, 0);
}

static i32 mmuext1(u32 cmd, u32 arg) {
  struct pv_mmuext_op op = {cmd, arg, 0};
  return pv_hypercall(HYPERVISOR_mmuext_op, (u32)&op, 1, 0);
}

/* Each forbidden update, through the hypercalls a kernel would use. */
int pv_hostile_run(void) {
  if (!paravirtualized) return -1;
  pv->pte_batch_flush();
  u32 scratch = pmm_alloc(); /* an ordinary frame, mapped writable by the direct map */
  if (!scratch) return -1;
  pte_t* pd = P2V(cur->pd_phys);
  pte_t* direct_pte = vm_walk(kernel_pd_phys, KERNBASE + cur->pd_phys, false);
  pte_t* scratch_pte = vm_walk(kernel_pd_phys, (u32)P2V(scratch), false);
  int bad = 0;

  /* 1. Map a page-table frame (this process's page directory) writable. */
  u32 before = *direct_pte;
  i32 r = mmu_update1(ma_of(direct_pte), before | PTE_W);
  bad |= refused("pt_frame_writable", r, before, *direct_pte);

  /* 2. Map a frame the guest does not own: machine frame 0 (the monitor's GDT). */
  before = *scratch_pte;
  r = pv_hypercall(HYPERVISOR_update_va_mapping, (u32)P2V(scratch), 0 | PTE_P | PTE_W, UVMF_INVLPG);
  bad |= refused("foreign_frame", r, before, *scratch_pte);

  /* 3. Touch the hypervisor hole: its page-directory slot, and a mapping inside it. */
  before = pd[PDE_HOLE_FIRST];
  r = mmu_update1(ma_of(&pd[PDE_HOLE_FIRST]), mfn_of(scratch) * PAGE_SIZE | PTE_P | PTE_W);
  bad |= refused("hole_pde", r, before, pd[PDE_HOLE_FIRST]);
  r = pv_hypercall(HYPERVISOR_update_va_mapping, HYPERVISOR_HOLE, mfn_of(scratch) * PAGE_SIZE | PTE_P,
                   UVMF_INVLPG);
  bad |= refused("hole_va", r, before, pd[PDE_HOLE_FIRST]);

  /* 4. A data frame (mapped writable) as a page table of this process. */
  u32 slot = PDX(USER_UNMAPPED);
  before = pd[slot];
  r = mmu_update1(ma_of(&pd[slot]), mfn_of(scratch) * PAGE_SIZE | PTE_P | PTE_W | PTE_U);
  bad |= refused("data_as_table", r, before, pd[slot]);

  /* 5. Unpin the page directory in use. */
  r = mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(cur->pd_phys));
  bad |= refused("unpin_in_use", r, 0, 0);

  /* 6. Load a base pointer that is not a valid page directory. */
  r = mmuext1(MMUEXT_NEW_BASEPTR, mfn_of(scratch));
  bad |= refused("unvalidated_base", r, 0, 0);

  /* The monitor and this kernel are unharmed: the scratch frame is still ours
   * and writable, and the next system call returns as usual. */
  *(volatile u32*)P2V(scratch) = 0x600DF00D;
  bad |= *(volatile u32*)P2V(scratch) != 0x600DF00D;
  pmm_decref(scratch);
  kprintf("hostile survived=%s\n", bad ? "no" : "yes");
  return bad ? -1 : 0;
}

/* A hostile paravirtual kernel (issue 12, item 2; docs/modes/paravirt.md, "Hostile
 * guests"). It tries, as guest code through the hypercall page's instruction (INT 0x82),
 * the two ways to ring 0 that the PV monitor once left open:
 *
 *   1. remap the shared-info page read-only, pin it as a page table, let a page fault's
 *      CR2 (which the monitor writes into that page) plant an entry for the monitor's GDT,
 *      link the table into the page directory and write the GDT;
 *   2. the same with the console ring, whose consumer index the monitor writes: a
 *      writable alias without a reference, which turns a page table writable;
 *
 * and then the monitor's other refusals. Each attempt prints "name=result"; every
 * result must be the refusal docs/pv-abi.md gives. Exit status (sched_op shutdown): 0 when
 * everything was refused, 3 or 4 when an attack reached the monitor's GDT, 10 + n when
 * check n gave another result. */

#include "pv_kernel.h"

#define PV_MAGIC 0x564D4C50u
#define KERNBASE 0xC0000000u
#define P 0x1u
#define W 0x2u
#define G 0x100u

enum { PIN_L1 = 0, PIN_L2 = 1, NEW_BASEPTR = 5 };
enum { UVMF_INVLPG = 2 };
enum { EPERM = 1, EFAULT = 14, EINVAL = 22 };
/* start-info offsets (docs/pv-abi.md) */
enum { SI_SHARED = 12, SI_RING = 20, SI_P2M = 32, SI_M2P = 36, SI_PT_BASE = 44 };
#define RING_OUT_CONS 3080u
#define RING_OUT_PROD 3084u

extern u32 touch(u32 addr);
extern void pf_entry(void);

static u8 scratch[2][4096] __attribute__((aligned(4096)));
static u32 args[4];
static const u32* si;
static u32 pd_ma;

static void print_int(i32 v) {
  char buf[12];
  int i = 11;
  u32 u = v < 0 ? 0u - (u32)v : (u32)v;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[--i] = '-';
  print(buf + i);
}

static int checks;
static void expect(const char* name, i32 got, i32 want) {
  ++checks;
  print(name);
  print("=");
  print_int(got);
  print("\n");
  if (got != want) {
    print("unexpected: wanted ");
    print_int(want);
    print("\n");
    shutdown(10 + checks);
  }
}

static u32 mfn_of(u32 va) { /* a kernel (KERNBASE) or low address */
  const u32* p2m = (const u32*)si[SI_P2M / 4];
  return p2m[((va >= KERNBASE ? va - KERNBASE : va)) >> 12];
}
static i32 uva(u32 va, u32 value) {
  return hypercall(UPDATE_VA_MAPPING, va, value, UVMF_INVLPG);
}
static i32 mmuext1(u32 cmd, u32 arg) {
  args[0] = cmd;
  args[1] = arg;
  args[2] = 0;
  return hypercall(MMUEXT_OP, (u32)args, 1, 0);
}
static i32 mmu1(u32 entry_ma, u32 value, u32 done) {
  args[0] = entry_ma;
  args[1] = value;
  return hypercall(MMU_UPDATE, (u32)args, 1, done);
}
/* The machine address of the L1 entry that maps `va`. */
static u32 l1_entry_ma(u32 va) {
  const u32* pd = (const u32*)si[SI_PT_BASE / 4];
  return (pd[va >> 22] & ~0xFFFu) + ((va >> 12) & 0x3FF) * 4;
}

static void shared_info_attack(void) {
  const u32 va = si[SI_SHARED / 4], mfn = mfn_of(va);
  expect("shared_info_remap_read_only", uva(va, mfn << 12 | P), 0);
  expect("unmap_page_0", uva(0, 0), 0);
  const i32 pinned = mmuext1(PIN_L1, mfn);
  if (pinned == 0) {
    /* The escape: a page fault at linear 3 makes the monitor write CR2 = 3 into entry 1
     * of the pinned table, "machine frame 0 (the monitor's GDT), present, writable". */
    touch(3);
    mmu1(pd_ma + 512 * 4, mfn << 12 | P | W, 0);
    volatile u32* gdt = (volatile u32*)(512u << 22 | 1u << 12);
    gdt[0x800 / 4] = 0x1337;
    if (gdt[0x800 / 4] == 0x1337) {
      print("escaped: the monitor's GDT frame is writable through the shared-info page\n");
      shutdown(3);
    }
  }
  expect("shared_info_pin_l1", pinned, -EINVAL);
  expect("shared_info_pin_l2", mmuext1(PIN_L2, mfn), -EINVAL);
  expect("shared_info_baseptr", mmuext1(NEW_BASEPTR, mfn), -EINVAL);
  expect("shared_info_as_l1_in_directory", mmu1(pd_ma + 512 * 4, mfn << 12 | P | W, 0), -EINVAL);
  /* The monitor's next CR2 write lands in a page that is no page table. */
  expect("fault_at_3", (i32)touch(3), -1);
}

static void console_ring_attack(void) {
  const u32 va = si[SI_RING / 4], mfn = mfn_of(va);
  const u32 f = mfn_of((u32)scratch[0]), alias = f << 12 | P | W;
  volatile u32* ring = (volatile u32*)va;
  ring[RING_OUT_CONS / 4] = alias - 9; /* not present */
  ring[RING_OUT_PROD / 4] = alias;     /* a valid writable entry */
  expect("console_ring_remap_read_only", uva(va, mfn << 12 | P), 0);
  const i32 pinned = mmuext1(PIN_L1, mfn);
  if (pinned == 0) {
    /* The back end's consumer index becomes the producer's entry in another slot: frame
     * f mapped writable twice, counted once. Drop the counted mappings, make f a page
     * table, and write it through the uncounted one. */
    hypercall(EVENT_CHANNEL_OP, 4, 1, 0);
    mmu1((mfn << 12) + RING_OUT_PROD, 0, 0);
    uva((u32)scratch[0], 0);
    mmuext1(PIN_L1, f);
    mmu1(pd_ma + 513 * 4, mfn << 12 | P | W, 0);
    mmu1(pd_ma + 514 * 4, f << 12 | P | W, 0);
    volatile u32* table = (volatile u32*)(513u << 22 | (RING_OUT_CONS / 4) << 12);
    table[1] = 0 | P | W; /* the monitor's GDT, in a live page table */
    volatile u32* gdt = (volatile u32*)(514u << 22 | 1u << 12);
    gdt[0x800 / 4] = 0x1337;
    if (gdt[0x800 / 4] == 0x1337) {
      print("escaped: the monitor's GDT frame is writable through the console ring\n");
      shutdown(4);
    }
  }
  expect("console_ring_pin_l1", pinned, -EINVAL);
  expect("console_ring_pin_l2", mmuext1(PIN_L2, mfn), -EINVAL);
}

static void other_rules(void) {
  const u32 va = (u32)scratch[1], mfn = mfn_of(va);
  expect("map_monitor_gdt", uva(va, 0 | P), -EPERM);
  expect("map_monitor_tss_writable", uva(va, 2u << 12 | P | W), -EPERM);
  expect("global_bit", uva(va, mfn << 12 | P | W | G), -EINVAL);
  expect("pin_writable_frame", mmuext1(PIN_L1, mfn), -EINVAL);
  expect("stack_switch_selector_0x10011", hypercall(STACK_SWITCH, 0x10011, 0x200000, 0), -EINVAL);
  expect("set_callbacks_selector_0x10009", hypercall(SET_CALLBACKS, 0x10009, 0x100000, 0), -EINVAL);
  /* The completion count cannot be written (the page directory is read-only): nothing is
   * applied, the page stays mapped. */
  expect("unwritable_done", mmu1(l1_entry_ma(va), 0, si[SI_PT_BASE / 4]), -EFAULT);
  scratch[1][0] = 7;
  expect("still_mapped", (i32)touch(va), 7);
  /* A trap table with a refused entry registers none of it: #PF still comes here. */
  static u8 table[3 * 8];
  const u32 bogus = 0x1234;
  const u8 e0[8] = {14, 0, 0x09, 0, (u8)bogus, (u8)(bogus >> 8), 0, 0};
  const u8 e1[8] = {13, 0, 0x08, 0, (u8)bogus, (u8)(bogus >> 8), 0, 0};
  for (int i = 0; i < 8; ++i) {
    table[i] = e0[i];
    table[8 + i] = e1[i];
    table[16 + i] = 0;
  }
  expect("trap_table_with_ring0_entry", hypercall(SET_TRAP_TABLE, (u32)table, 0, 0), -EPERM);
  expect("page_fault_still_handled", (i32)touch(0x80000000u), -1);
}

void kmain(u32 magic, const u32* start_info) {
  if (magic != PV_MAGIC) {
    for (;;) __asm__ volatile("hlt"); /* not booted by --mode pv */
  }
  si = start_info;
  pd_ma = mfn_of(si[SI_PT_BASE / 4]) << 12;
  static u8 traps[2 * 8];
  const u32 pf = (u32)pf_entry;
  const u8 entry[8] = {14, 0, 0x09, 0, (u8)pf, (u8)(pf >> 8), (u8)(pf >> 16), (u8)(pf >> 24)};
  for (int i = 0; i < 8; ++i) traps[i] = entry[i];
  if (hypercall(SET_TRAP_TABLE, (u32)traps, 0, 0) != 0) shutdown(9);
  shared_info_attack();
  console_ring_attack();
  other_rules();
  print("hostile pv: every attempt refused\n");
  shutdown(0);
}

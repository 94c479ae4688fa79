/*
 * PAE paging and NX (SDM Vol. 3A, 4.4 to 4.7; issue 12: the kernels written elsewhere use
 * PAE). The kernel asks CPUID first (leaf 1 EDX.PAE, leaf 80000001H EDX.NX). Without PAE
 * (the shadow-paging modes' virtual CPU, engine/vmm/kit/virtual_cpuid.h) it checks that
 * CR4.PAE and IA32_EFER are #GP(0), as on a processor without them, and ends. With PAE:
 * an identity map of 4 KiB pages (the first 2 MiB) and 2 MiB pages (up to 16 MiB), the
 * accessed and dirty bits in a PTE and in a 2 MiB PDE, #PF error codes (not present,
 * write with CR0.WP, user, RSVD for a bit above MAXPHYADDR and for bit 63 with EFER.NXE =
 * 0, I/D for a fetch from an XD page with NXE = 1), a PDPTE with a reserved bit (#GP(0) at
 * the MOV to CR3, which then changes nothing), a global page across a CR3 reload and
 * INVLPG, and a PTE naming a frame above 4 GiB (all ones; a write goes nowhere).
 *
 * Where QEMU 7.2's TCG departs from the SDM, a command-line word leaves that line out of
 * the comparison with QEMU (tests/kernels/pae/CMakeLists.txt); the expected consoles keep
 * the SDM's answer:
 *   "no-global": TCG drops global translations at every CR3 load (4.10.4.1 keeps them).
 *   "no-pdpte": TCG has no PDPTE registers and loads a PDPTE with a reserved bit (4.4.1:
 *     #GP(0) at the MOV to CR3).
 *   "no-efer-gp": TCG ignores EFER.LME on a part without long mode (Vol. 4, IA32_EFER:
 *     reserved bits, #GP(0) on WRMSR).
 *   "rsvd-no-p": TCG reports a reserved-bit #PF without the P bit (4.7: "bit 3 of the
 *     error code can be set only if bit 0 is also set"); the kernel clears P in those
 *     lines' error codes.
 *   "no-unbacked": TCG reads unbacked physical memory as zeros, the PC's bus (and vmlab) as
 *     all ones.
 */
#include "klib.h"
#include "probe.h"

#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define PS 0x80ull
#define G 0x100ull
#define XD (1ull << 63)
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define CR0_WP 0x10000u
#define EFER 0xC0000080u
#define TEST_BASE 0x40000000u /* PDPTE 1: the test mappings */

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pdpt_bad[4] __attribute__((aligned(32)));
static uint64_t pd0[512] __attribute__((aligned(4096)));
static uint64_t pd1[512] __attribute__((aligned(4096)));
static uint64_t pt0[512] __attribute__((aligned(4096)));
static uint64_t pt_test[512] __attribute__((aligned(4096)));
/* Two data frames told apart by their first dword, and a frame holding a RET. */
static volatile uint32_t frame_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame_b[1024] __attribute__((aligned(4096)));
static volatile uint8_t frame_code[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static int skip_global, skip_pdpte, skip_efer_gp, rsvd_no_p, skip_unbacked;

static void cpuid(uint32_t leaf, uint32_t r[4]) {
  r[0] = leaf;
  r[2] = 0;
  __asm__ volatile("cpuid" : "+a"(r[0]), "=b"(r[1]), "+c"(r[2]), "=d"(r[3]));
}

static uint32_t read_cr4(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

static uint32_t read_cr0(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static void write_cr3(const void* v) {
  __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

/* The page-table entry of a test page. */
static volatile uint64_t* test_pte(uint32_t lin) {
  return (volatile uint64_t*)&pt_test[(lin >> 12) & 0x1FF];
}

static void map(uint32_t lin, uint64_t entry) {
  *test_pte(lin) = entry;
  __asm__ volatile("invlpg (%0)" ::"r"(lin) : "memory");
}

static void show64(const char* what, uint64_t v) {
  puts(what);
  puts(" ");
  puthex((uint32_t)(v >> 32));
  puts(":");
  puthex((uint32_t)v);
  putc('\n');
}

/* Probes MOV to CR4 with `v`. */
static void probe_cr4(uint32_t v) {
  __asm__ volatile(PROBE_BEGIN "mov %0, %%cr4\n" PROBE_END ::"r"(v) : "memory");
}

static uint32_t probe_rdmsr(uint32_t index) {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile(PROBE_BEGIN "rdmsr\n" PROBE_END : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
  return lo;
}

static void probe_wrmsr(uint32_t index, uint32_t lo, uint32_t hi) {
  __asm__ volatile(PROBE_BEGIN "wrmsr\n" PROBE_END ::"a"(lo), "d"(hi), "c"(index) : "memory");
}

/* Calls `target` (which returns EAX = 0x600D); a fetch fault there leaves the CALL's
 * return address pushed, so ESP is kept in ESI and restored. */
static uint32_t probe_call(uint32_t target) {
  uint32_t v = 0;
  __asm__ volatile("mov %%esp, %%esi\n" PROBE_BEGIN "call *%[t]\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [t] "r"(target)
                   : "esi", "ecx", "edx", "memory");
  return v;
}

/* probe_print_cr2 for a probe that takes a reserved-bit #PF ("rsvd-no-p" above). */
static void print_rsvd(const char* what, uint32_t value) {
  if (rsvd_no_p && probe.faulted && probe.vector == 14 && (probe.error & 8)) probe.error &= ~1u;
  probe_print_cr2(what, value);
}

static void user_part(void) {
  probe_read(TEST_BASE + 0x3000); /* supervisor page */
  probe_record("ring 3 read of a supervisor page", 0);
  probe_write(TEST_BASE + 0x3004, 1); /* supervisor page */
  probe_record("ring 3 write of a supervisor page", 0);
  const uint32_t v = probe_read(TEST_BASE + 0x1000);
  probe_record("ring 3 read of a user page", v);
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

static void finish(void);

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  if (f->vector == 0x80) finish();
  unexpected_vector(f);
}

static void without_pae(void) {
  puts("PAE absent\n");
  probe_cr4(read_cr4() | CR4_PAE);
  probe_print("mov to cr4 with pae", 0);
  probe_rdmsr(EFER);
  probe_print("rdmsr efer", 0);
  probe_wrmsr(EFER, 0x800, 0);
  probe_print("wrmsr efer nxe", 0);
  puts("pae kernel done\n");
  exit_machine(0);
}

static int nx;

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  tables_init();
  pic_mask_all(); /* ring 3 runs with IF set: no PIT tick under QEMU (klib.h) */
  skip_global = cmdline_has(mbi, "no-global");
  skip_pdpte = cmdline_has(mbi, "no-pdpte");
  skip_efer_gp = cmdline_has(mbi, "no-efer-gp");
  rsvd_no_p = cmdline_has(mbi, "rsvd-no-p");
  skip_unbacked = cmdline_has(mbi, "no-unbacked");
  puts("vmlab pae kernel\n");
  uint32_t r[4];
  cpuid(1, r);
  const int pae = (r[3] >> 6) & 1;
  cpuid(0x80000000u, r);
  if (r[0] >= 0x80000001u) {
    cpuid(0x80000001u, r);
    nx = (r[3] >> 20) & 1;
  }
  puts(nx ? "NX present\n" : "NX absent\n");
  if (!pae) without_pae();
  puts("PAE present\n");

  /* The identity map: 4 KiB pages below 2 MiB, 2 MiB pages up to 16 MiB, all user. */
  for (uint32_t i = 0; i < 512; ++i) pt0[i] = ((uint64_t)i << 12) | P | RW | US;
  pd0[0] = (uint32_t)pt0 | P | RW | US;
  for (uint32_t i = 1; i < 8; ++i) pd0[i] = ((uint64_t)i << 21) | PS | P | RW | US;
  pd1[0] = (uint32_t)pt_test | P | RW | US;
  pd1[1] = 0x00200000u | PS | P | RW | US; /* TEST_BASE + 2 MiB -> physical 2 MiB */
  pdpt[0] = (uint32_t)pd0 | P;
  pdpt[1] = (uint32_t)pd1 | P;
  frame_a[0] = 0xAAAA0001u;
  frame_b[0] = 0xBBBB0002u;
  frame_code[0] = 0xB8; /* mov $0x600D, %eax; ret */
  frame_code[1] = 0x0D;
  frame_code[2] = 0x60;
  frame_code[3] = 0;
  frame_code[4] = 0;
  frame_code[5] = 0xC3;
  map(TEST_BASE + 0x1000, (uint32_t)frame_a | P | RW | US);
  map(TEST_BASE + 0x3000, (uint32_t)frame_b | P | RW);
  __asm__ volatile("mov %0, %%cr4" ::"r"(read_cr4() | CR4_PAE));
  write_cr3(pdpt);
  __asm__ volatile("mov %0, %%cr0" ::"r"(read_cr0() | 0x80000000u) : "memory");
  puts("paging on\n");

  /* Accessed and dirty bits: a read sets A, a write D, in the PTE and in a 2 MiB PDE. */
  map(TEST_BASE + 0x2000, (uint32_t)frame_a | P | RW);
  show64("pte before", *test_pte(TEST_BASE + 0x2000));
  probe_print("read", probe_read(TEST_BASE + 0x2000));
  show64("pte after read", *test_pte(TEST_BASE + 0x2000));
  probe_write(TEST_BASE + 0x2008, 5);
  show64("pte after write", *test_pte(TEST_BASE + 0x2000));
  show64("pde 2 MiB before", pd1[1]);
  probe_read(TEST_BASE + 0x200000 + 0x1234);
  show64("pde 2 MiB after read", pd1[1]);
  probe_write(TEST_BASE + 0x200000 + 0x1238, 0);
  show64("pde 2 MiB after write", pd1[1]);
  show64("pde of the 4 KiB table", pd1[0]);

  /* #PF error codes. */
  map(TEST_BASE + 0x4000, 0);
  probe_print_cr2("read not present", probe_read(TEST_BASE + 0x4000));
  probe_write(TEST_BASE + 0x4000, 1);
  probe_print_cr2("write not present", 0);
  map(TEST_BASE + 0x5000, (uint32_t)frame_a | P);
  probe_write(TEST_BASE + 0x5000, 0xAAAA0001u);
  probe_print_cr2("write read-only, WP 0", 0);
  __asm__ volatile("mov %0, %%cr0" ::"r"(read_cr0() | CR0_WP) : "memory");
  probe_write(TEST_BASE + 0x5000, 0xAAAA0001u);
  probe_print_cr2("write read-only, WP 1", 0);
  map(TEST_BASE + 0x6000, (1ull << 36) | (uint32_t)frame_a | P | RW);
  print_rsvd("read bit 36 set", probe_read(TEST_BASE + 0x6000));
  map(TEST_BASE + 0x7000, XD | (uint32_t)frame_a | P | RW);
  print_rsvd("read bit 63 set, NXE 0", probe_read(TEST_BASE + 0x7000));
  pd1[2] = (1ull << 40) | P | RW; /* a page table above MAXPHYADDR */
  print_rsvd("read under a PDE with bit 40 set", probe_read(TEST_BASE + 0x400000));
  pd1[2] = 0;

  /* NX. */
  map(TEST_BASE + 0x8000, (uint32_t)frame_code | P | RW);
  probe_print_cr2("call executable page", probe_call(TEST_BASE + 0x8000));
  if (nx) {
    probe_wrmsr(EFER, 0x800, 0);
    probe_print("wrmsr efer nxe", 0);
    probe_print("rdmsr efer", probe_rdmsr(EFER));
    map(TEST_BASE + 0x9000, XD | (uint32_t)frame_code | P | RW);
    probe_print_cr2("read XD page", probe_read(TEST_BASE + 0x9000) & 0xFF);
    probe_print_cr2("call XD page", probe_call(TEST_BASE + 0x9000));
    probe_print_cr2("call executable page", probe_call(TEST_BASE + 0x8000));
    probe_print_cr2("call not-present page", probe_call(TEST_BASE + 0x4000));
    probe_print_cr2("read not present, NXE 1", probe_read(TEST_BASE + 0x4000));
    probe_wrmsr(EFER, 0x100, 0); /* LME: not on this processor */
    if (!skip_efer_gp) probe_print("wrmsr efer lme", 0);
  } else {
    probe_rdmsr(EFER);
    probe_print("rdmsr efer", 0);
  }

  /* A PDPTE with a reserved bit: #GP(0) at the MOV to CR3, which changes nothing. */
  pdpt_bad[0] = pdpt[0];
  pdpt_bad[1] = pdpt[1] | RW;
  __asm__ volatile(PROBE_BEGIN "mov %0, %%cr3\n" PROBE_END ::"r"(pdpt_bad) : "memory");
  if (!skip_pdpte) {
    probe_print("mov to cr3, pdpte bit 1 set", 0);
    uint32_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    puts("cr3 is the old table: ");
    putdec(cr3 == (uint32_t)pdpt);
    putc('\n');
  }

  /* Global pages: a MOV to CR3 keeps them, INVLPG does not. */
  __asm__ volatile("mov %0, %%cr4" ::"r"(read_cr4() | CR4_PGE));
  map(TEST_BASE + 0xA000, (uint32_t)frame_a | P | RW | G);
  map(TEST_BASE + 0xB000, (uint32_t)frame_a | P | RW);
  probe_print("global page", probe_read(TEST_BASE + 0xA000));
  probe_print("non-global page", probe_read(TEST_BASE + 0xB000));
  *test_pte(TEST_BASE + 0xA000) = (uint32_t)frame_b | P | RW | G;
  *test_pte(TEST_BASE + 0xB000) = (uint32_t)frame_b | P | RW;
  write_cr3(pdpt);
  if (!skip_global) probe_print("global page after cr3 reload", probe_read(TEST_BASE + 0xA000));
  probe_print("non-global page after cr3 reload", probe_read(TEST_BASE + 0xB000));
  __asm__ volatile("invlpg (%0)" ::"r"(TEST_BASE + 0xA000) : "memory");
  probe_print("global page after invlpg", probe_read(TEST_BASE + 0xA000));

  /* A frame above 4 GiB (MAXPHYADDR 36): unbacked, all ones, never a wrap to RAM. */
  map(TEST_BASE + 0xC000, (1ull << 32) | (uint32_t)frame_a | P | RW);
  const uint32_t above = probe_read(TEST_BASE + 0xC000);
  if (!skip_unbacked) probe_print("read frame 4 GiB above frame_a", above);
  probe_write(TEST_BASE + 0xC000, 0x12345678u);
  const uint32_t again = probe_read(TEST_BASE + 0xC000);
  if (!skip_unbacked) probe_print("read again after a write", again);
  probe_print("frame_a itself", frame_a[0]);

  /* Ring 3: the U bit. */
  enter_ring3(user_part, user_stack + sizeof user_stack);
}

static void finish(void) {
  probe_print_recorded();
  puts("pae kernel done\n");
  exit_machine(0);
}

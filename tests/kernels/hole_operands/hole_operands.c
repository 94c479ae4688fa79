/*
 * The hole-operands test kernel (issue 12, item 12). Under ring compression (trap on the
 * classic CPU, bt) the monitor executes a guest instruction whose access lies in the
 * hypervisor hole (0xFC000000 and up) on a scratch processor with the guest's own limits.
 * A segment load or far transfer also needs a descriptor, which only the monitor's GDT
 * holds: such an instruction whose memory operand is in the hole kept its fault (a #GP
 * for the cut limit, or a #PF on the hole's supervisor pages from user mode), where the
 * processor natively reads the operand and loads the segment. The kernel maps one of its
 * pages at 0xFEE00000 and takes every such form from there, in ring 0 and in ring 3:
 * MOV ES, LES, LFS, LGS (and LGS with its operand below the hole, which bt translates), POP FS with
 * ESP in the hole, a far JMP and a far CALL through pointers there, and a selector beyond the GDT's
 * limit (the #GP the load gives natively; 0xFFF1 too, which is bt's %gs data segment, DPL 1, and
 * which the kernel's ring 1 loaded from the hole under bt). Every line is what the guest saw; the console is the
 * same natively, under QEMU and in every mode (expected.txt).
 */
#include "probe.h"

#define HOLE 0xFEE00000u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_hole[1024] __attribute__((aligned(4096))); /* 0xFEC00000-0xFEFFFFFF */
static uint32_t page_hole[1024] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    puts("ring 3\n");
    probe_print_recorded();
    exit_machine(0);
  }
  unexpected_vector(f);
}

/* A far pointer below the hole. */
static volatile uint32_t low_pointer[2];

/* MOV ES, m16 with the selector at `at`: ES as loaded. */
static uint32_t mov_es(uint32_t at, uint16_t restore) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov (%[p]), %%es\n"
                   "mov %%es, %k[v]\n" PROBE_END "mov %w[r], %%es\n"
                   : [v] "+r"(v)
                   : [p] "r"(at), [r] "r"((uint32_t)restore)
                   : "memory");
  return v & 0xFFFF;
}

/* LES, LFS, LGS: the offset loaded, and the segment register's selector in `sel`. */
#define LOAD_FAR(name, insn, sreg)                                                 \
  static uint32_t name(uint32_t at, uint16_t restore, uint32_t* sel) {             \
    uint32_t v = 0, s = 0;                                                         \
    __asm__ volatile(PROBE_BEGIN insn                                              \
                     " (%[p]), %[v]\n"                                             \
                     "mov %%" sreg ", %k[s]\n" PROBE_END "mov %w[r], %%" sreg "\n" \
                     : [v] "+r"(v), [s] "+r"(s)                                    \
                     : [p] "r"(at), [r] "r"((uint32_t)restore)                     \
                     : "memory");                                                  \
    *sel = s & 0xFFFF;                                                             \
    return v;                                                                      \
  }
LOAD_FAR(les, "les", "es")
LOAD_FAR(lfs, "lfs", "fs")
LOAD_FAR(lgs, "lgs", "gs")

/* POP FS with ESP = `esp`: FS as popped, and how far ESP moved in `moved`. */
static uint32_t pop_fs(uint32_t esp, uint16_t restore, uint32_t* moved) {
  uint32_t v = 0, after = esp;
  __asm__ volatile(PROBE_BEGIN
                   "movl %%esp, %%ebx\n"
                   "movl %[sp], %%esp\n"
                   "pop %%fs\n"
                   "mov %%fs, %k[v]\n"
                   "movl %%esp, %[a]\n" PROBE_END
                   "movl %%ebx, %%esp\n"
                   "mov %w[r], %%fs\n"
                   : [v] "+r"(v), [a] "+r"(after)
                   : [sp] "r"(esp), [r] "r"((uint32_t)restore)
                   : "ebx", "memory");
  *moved = after - esp;
  return v & 0xFFFF;
}

/* JMP FAR m16:32 through a pointer at `at` (to the next line, in `code`): 1 when it got there. */
static uint32_t far_jump(uint32_t at, uint16_t code) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "movl $2f, (%[p])\n"
                   "movw %w[c], 4(%[p])\n"
                   "ljmp *(%[p])\n"
                   "ud2\n"
                   "2:\n"
                   "movl $1, %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(at), [c] "r"((uint32_t)code)
                   : "memory");
  return v;
}

/* CALL FAR m16:32 through a pointer at `at` to a stub that returns a value with RET far. */
static uint32_t far_call(uint32_t at, uint16_t code) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "jmp 3f\n"
                   "2:\n"
                   "movl $0x600DCA11, %[v]\n"
                   "lret\n"
                   "3:\n"
                   "movl $2b, (%[p])\n"
                   "movw %w[c], 4(%[p])\n"
                   "lcall *(%[p])\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(at), [c] "r"((uint32_t)code)
                   : "memory");
  return v;
}

static void forms(uint16_t code, uint16_t data, uint32_t base) {
  volatile uint16_t* w = (volatile uint16_t*)HOLE;
  volatile uint32_t* d = (volatile uint32_t*)HOLE;
  w[base / 2] = data;             /* a selector */
  d[(base + 4) / 4] = 0x12345678; /* a far pointer: offset, then selector */
  w[(base + 8) / 2] = data;
  w[(base + 0x30) / 2] = 0x1230; /* beyond the GDT's limit */
  w[(base + 0x34) / 2] = 0xFFF1; /* too, and bt's %gs data (DPL 1: ring 1 could load it) */
  d[(base + 0x7FC) / 4] = data;  /* the top of a stack in the hole */
  uint32_t sel = 0;
  probe_record("  mov es, [hole]", mov_es(HOLE + base, data));
  uint32_t off = les(HOLE + base + 4, data, &sel);
  probe_record("  les offset", off);
  probe_record("  les es", sel);
  off = lfs(HOLE + base + 4, data, &sel);
  probe_record("  lfs fs", probe.faulted ? 0 : sel);
  off = lgs(HOLE + base + 4, data, &sel);
  probe_record("  lgs gs", probe.faulted ? 0 : sel);
  /* LGS with its operand below the hole (bt translates the kernel's LGS: until issue 12
   * it stopped the run), with the register the address uses as the destination. */
  low_pointer[0] = 0x87654321;
  low_pointer[1] = data;
  uint32_t at = (uint32_t)low_pointer;
  __asm__ volatile(PROBE_BEGIN "lgs (%[p]), %[p]\n" PROBE_END "mov %%gs, %k[s]\nmov %w[r], %%gs\n"
                   : [p] "+r"(at), [s] "=r"(sel)
                   : [r] "r"((uint32_t)data)
                   : "memory");
  probe_record("  lgs offset, [low], into its base register", probe.faulted ? 0 : at);
  probe_record("  lgs gs, [low]", probe.faulted ? 0 : sel & 0xFFFF);
  uint32_t moved = 0;
  const uint32_t popped = pop_fs(HOLE + base + 0x7FC, data, &moved);
  probe_record("  pop fs, esp in the hole", popped);
  probe_record("  pop fs moved esp by", moved);
  probe_record("  mov es, [hole] 0x1230", mov_es(HOLE + base + 0x30, data));
  probe_record("  mov es, [hole] 0xfff1", mov_es(HOLE + base + 0x34, data));
  probe_record("  jmp far [hole]", far_jump(HOLE + base + 0x10, code));
  probe_record("  call far [hole]", far_call(HOLE + base + 0x20, code));
}

static void user_main(void) {
  forms(SEL_UCODE, SEL_UDATA, 0x800);
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("hole_operands: segment loads and far transfers with operands at 0xFEE00000\n");
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pd[0] = (uint32_t)pt_low | 7;
  pd[HOLE >> 22] = (uint32_t)pt_hole | 7;
  pt_hole[(HOLE >> 12) & 1023] = (uint32_t)page_hole | 7;
  paging_on(pd);
  puts("ring 0\n");
  forms(SEL_KCODE, SEL_KDATA, 0);
  probe_print_recorded();
  /* Ring 3 runs with IF set: no PIC interrupt (QEMU's BIOS leaves the PIT running). */
  pic_mask_all();
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

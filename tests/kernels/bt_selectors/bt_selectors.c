/*
 * The bt_selectors test kernel (issue 12: the monitors' own selectors). Every instruction
 * that loads a data or stack segment register (MOV Sreg, POP Sreg, LDS, LES, LFS, LGS, LSS:
 * engine/cpu/decoder_tables.cpp's 8E, 07, 17, 1F, 0F A1, 0F A9, C4, C5, 0F B2, 0F B4,
 * 0F B5) and every one that reads a descriptor without loading it (LAR, LSL, VERR, VERW),
 * with every selector of the GDT's last 16 slots (0xFF80-0xFFFF, RPL 0-3: where the
 * monitors keep their own descriptors, the TSS and bt's TC code and %gs data) and the first
 * selector past the GDT's limit (0x30-0x33), from ring 0 and from ring 3. Natively each
 * load is #GP(selector) (the slot lies past the limit, SDM Vol. 3A 3.4.2 and Vol. 2,
 * MOV: "segment selector index is outside descriptor table limits") and each read clears
 * ZF; every mode must print the same (docs/isolation.md, "The monitors' own selectors").
 * A line counts the selectors that gave exactly that, and names any that did not.
 */
#include "probe.h"

#define GDT_END 0x30 /* klib's GDT: 6 entries */

static uint16_t selectors[132];
static uint32_t nselectors;

static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr;

static uint16_t data_sel; /* the ring's own data selector, restored after each probe */

#define RESTORE                                                                             \
  "mov %w[d], %%ds\n\tmov %w[d], %%es\n\tmov %w[d], %%ss\n\tmov %w[z], %%fs\n\tmov %w[z], " \
  "%%gs\n\t"
#define IN_OUT                                                    \
  : "+a"(v)                                                       \
  : [sel] "r"((uint32_t)sel), [d] "r"((uint32_t)data_sel), [z] "r"(0u), [p] "m"(farptr) \
  : "ebx", "memory", "cc"
#define MOV_S(sreg) \
  __asm__ volatile(PROBE_BEGIN "mov %w[sel], %%" sreg "\n" PROBE_END RESTORE IN_OUT)
#define POP_S(sreg)                                                                       \
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\tpushl %[sel]\n\tpop %%" sreg          \
                               "\n" PROBE_END "mov %%ebx, %%esp\n\t" RESTORE IN_OUT)
#define LXS(insn) __asm__ volatile(PROBE_BEGIN insn " %[p], %%eax\n" PROBE_END RESTORE IN_OUT)
/* EAX: the value LAR or LSL gave, or 0xFFFFFFFF with ZF clear. */
#define READ_D(insn)                                                                     \
  __asm__ volatile(PROBE_BEGIN "mov $0xFFFFFFFF, %%eax\n\t" insn " %w[sel], %%eax\n\tjz 1f\n\t" \
                               "mov $0xFFFFFFFF, %%eax\n1:\n" PROBE_END RESTORE IN_OUT)
#define VER_D(insn)                                                                          \
  __asm__ volatile(PROBE_BEGIN "mov $0xFFFFFFFF, %%eax\n\t" insn " %w[sel]\n\tjnz 1f\n\t" \
                               "mov $0x5E7, %%eax\n1:\n" PROBE_END RESTORE IN_OUT)

static const char* const names[] = {"mov ds", "mov es", "mov fs", "mov gs", "mov ss",
                                     "pop ds", "pop es", "pop fs", "pop gs", "pop ss",
                                     "lds   ", "les   ", "lfs   ", "lgs   ", "lss   ",
                                     "lar   ", "lsl   ", "verr  ", "verw  "};
#define KINDS 19
#define LOADS 15

static uint32_t try_one(uint32_t kind, uint16_t sel) {
  uint32_t v = 0;
  farptr.off = 0x1234;
  farptr.sel = sel;
  switch (kind) {
    case 0: MOV_S("ds"); break;
    case 1: MOV_S("es"); break;
    case 2: MOV_S("fs"); break;
    case 3: MOV_S("gs"); break;
    case 4: MOV_S("ss"); break;
    case 5: POP_S("ds"); break;
    case 6: POP_S("es"); break;
    case 7: POP_S("fs"); break;
    case 8: POP_S("gs"); break;
    case 9: POP_S("ss"); break;
    case 10: LXS("lds"); break;
    case 11: LXS("les"); break;
    case 12: LXS("lfs"); break;
    case 13: LXS("lgs"); break;
    case 14: LXS("lss"); break;
    case 15: READ_D("lar"); break;
    case 16: READ_D("lsl"); break;
    case 17: VER_D("verr"); break;
    default: VER_D("verw"); break;
  }
  return v;
}

/* Results are kept and printed by ring 0 (ring 3 cannot reach the UART). */
struct odd {
  uint8_t ring, kind;
  uint16_t sel;
  uint32_t faulted, vector, error, value;
};
static struct odd odd[64];
static uint32_t nodd, lost;
static uint32_t as_native[2][KINDS];

static void run_all(uint32_t ring) {
  for (uint32_t k = 0; k < KINDS; ++k) {
    for (uint32_t i = 0; i < nselectors; ++i) {
      const uint16_t sel = selectors[i];
      const uint32_t v = try_one(k, sel);
      const int native = k < LOADS ? probe.faulted && probe.vector == 13 &&
                                         probe.error == (uint32_t)(sel & 0xFFFC)
                                   : !probe.faulted && v == 0xFFFFFFFFu;
      if (native) {
        ++as_native[ring == 3][k];
      } else if (nodd < sizeof odd / sizeof odd[0]) {
        odd[nodd++] = (struct odd){(uint8_t)ring, (uint8_t)k, sel, probe.faulted,
                                   probe.vector, probe.error, v};
      } else {
        ++lost;
      }
    }
  }
}

static void print_all(void) {
  for (uint32_t r = 0; r < 2; ++r) {
    for (uint32_t k = 0; k < KINDS; ++k) {
      puts(r ? "ring 3 " : "ring 0 ");
      puts(names[k]);
      puts(k < LOADS ? ": #GP(selector) for " : ": ZF clear for ");
      putdec(as_native[r][k]);
      puts(" of ");
      putdec(nselectors);
      putc('\n');
    }
  }
  for (uint32_t i = 0; i < nodd; ++i) {
    puts(odd[i].ring == 3 ? "ring 3 " : "ring 0 ");
    puts(names[odd[i].kind]);
    puts(" ");
    puthex(odd[i].sel);
    probe_show_outcome(odd[i].faulted, odd[i].vector, odd[i].error, odd[i].value);
    putc('\n');
  }
  if (lost) {
    puts("and ");
    putdec(lost);
    puts(" more\n");
  }
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    print_all();
    puts("bt_selectors: done\n");
    exit_machine(0);
  }
  unexpected_vector(f);
}

static uint8_t user_stack[4096] __attribute__((aligned(16)));

static void user_main(void) {
  data_sel = SEL_UDATA;
  run_all(3);
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("bt_selectors: loads of the GDT's last slots and past its limit\n");
  for (uint32_t s = 0xFF80; s <= 0xFFFF; ++s) selectors[nselectors++] = (uint16_t)s;
  for (uint32_t s = GDT_END; s < GDT_END + 4; ++s) selectors[nselectors++] = (uint16_t)s;
  data_sel = SEL_KDATA;
  run_all(0);
  /* Ring 3 runs with IF set: no PIC interrupt (QEMU's BIOS leaves the PIT running). */
  pic_mask_all();
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

/*
 * The data_rpl test kernel (issue 12, random guest seed 22153 --paging): loads of DS, ES,
 * FS and GS in ring 0 with a selector whose RPL is 1. Natively a data or non-conforming
 * code segment needs DPL >= CPL and DPL >= RPL (SDM Vol. 2, MOV, "IF segment is a data or
 * nonconforming code segment AND (RPL > DPL or CPL > DPL) THEN #GP(selector)"), so RPL 1
 * on a DPL-0 descriptor is #GP(selector), on a DPL-1 one it loads, and a conforming code
 * segment loads whatever the RPL. Each line: the instruction, the selector, and the
 * register after the load or the fault. The last lines rewrite one descriptor between DPL
 * 1 and DPL 0 and load it again: the check reads the descriptor the GDT holds at the load
 * (ring compression gives DPL 0 and DPL 1 the same shadow descriptor, DPL 1).
 *
 * Under the classic CPU the guest kernel runs in ring 1, where RPL 1 is the CPL and every
 * guest descriptor it may load is DPL 1 or more, so the RPL-1 loads of DPL-0 descriptors
 * succeed and nothing traps: the Popek-Goldberg hole the RPL-1 stack loads show too
 * (docs/modes/trap-and-emulate.md): classic.expected. bt checks every load of its guest
 * kernel against its selector table first, which names these selectors.
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_DATA_DPL1 0x30 /* ring-1 data, flat */
#define SEL_CONFORMING 0x38 /* conforming readable code, DPL 0, flat */
#define SEL_FLIP 0x40       /* flat data, DPL 1 or 0 */
#define GDT_ENTRIES 9

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));

static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr __attribute__((used));

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

/* EAX: the register as it reads after the load; DS put back before the probe's end writes
 * through it (a conforming code segment is not writable); ESP (a faulting POP leaves its
 * push behind), DS, ES, FS and GS put back after. */
#define LOAD(body, reg)                                                                  \
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\t" body                              \
                   "\n\txor %%eax, %%eax\n\tmov %%" reg ", %%ax\n\t"                              \
                   "mov $0x10, %%edx\n\tmov %%edx, %%ds\n" PROBE_END              \
                   "mov %%ebx, %%esp\n\tmov $0x10, %%edx\n\tmov %%edx, %%ds\n\t"        \
                   "mov %%edx, %%es\n\txor %%edx, %%edx\n\tmov %%edx, %%fs\n\t"         \
                   "mov %%edx, %%gs"                                                    \
                   : "=&a"(v)                                                           \
                   : [sel] "r"(sel)                                                     \
                   : "ebx", "edx", "memory", "cc")

static void load(uint32_t k, uint16_t sel) {
  static const char* const names[] = {"mov ds", "mov es", "mov fs", "mov gs",
                                      "pop ds", "pop gs", "lds   ", "lgs   "};
  uint32_t v = 0;
  farptr.off = 0;
  farptr.sel = sel;
  switch (k) {
    case 0: LOAD("mov %[sel], %%ds", "ds"); break;
    case 1: LOAD("mov %[sel], %%es", "es"); break;
    case 2: LOAD("mov %[sel], %%fs", "fs"); break;
    case 3: LOAD("mov %[sel], %%gs", "gs"); break;
    case 4: LOAD("push %[sel]\n\tpop %%ds", "ds"); break;
    case 5: LOAD("push %[sel]\n\tpop %%gs", "gs"); break;
    case 6: LOAD("lds farptr, %%edx", "ds"); break;
    default: LOAD("lgs farptr, %%edx", "gs"); break;
  }
  puts(names[k]);
  puts(" ");
  puthex(sel);
  probe_show(v);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_DATA_DPL1 >> 3] = own_seg_desc(0, 0xFFFFF, 0xB2, 0xC);
  gdt[SEL_CONFORMING >> 3] = own_seg_desc(0, 0xFFFFF, 0x9E, 0xC);
  gdt[SEL_FLIP >> 3] = own_seg_desc(0, 0xFFFFF, 0xB2, 0xC);

  puts("data_rpl: DS, ES, FS, GS loads with RPL 1 in ring 0\n");
  static const uint16_t sels[] = {SEL_KDATA | 1,      SEL_KCODE | 1,      SEL_DATA_DPL1 | 1,
                                  SEL_CONFORMING | 1, SEL_KDATA | 2,      SEL_DATA_DPL1 | 2,
                                  (SEL_UDATA & ~3u) | 1};
  for (uint32_t i = 0; i < sizeof sels / sizeof sels[0]; ++i) {
    for (uint32_t k = 0; k < 8; ++k) load(k, sels[i]);
  }
  /* The descriptor the load reads is the GDT's now: DPL 1, then 0, then 1 again. */
  for (uint32_t round = 0; round < 3; ++round) {
    const uint8_t access = round == 1 ? 0x92 : 0xB2;
    gdt[SEL_FLIP >> 3] = own_seg_desc(0, 0xFFFFF, access, 0xC);
    puts(round == 1 ? "flip DPL 0: " : "flip DPL 1: ");
    load(0, SEL_FLIP | 1);
    puts(round == 1 ? "flip DPL 0: " : "flip DPL 1: ");
    load(3, SEL_FLIP | 1);
  }
  puts("data_rpl: done\n");
  exit_machine(0);
}

/*
 * The ss_loads test kernel (issue 12, random guest --richer seeds 32092 and 32105): the
 * guest kernel's loads of SS and far returns to ring 0 whose checks a monitor that runs it
 * in ring 1 emulates. Natively, at CPL 0:
 *   - MOV SS, POP SS and LSS need a writable data segment whose DPL is the CPL, 0 (SDM
 *     Vol. 2, MOV: "IF RPL != CPL or segment is not a writable data segment or DPL != CPL
 *     THEN #GP(selector)"): a DPL-1 one is #GP(selector). Ring compression gives the
 *     guest's DPL 0 and its DPL 1 the same shadow DPL, 1, so the emulator must read the
 *     guest's own descriptor (seed 32092: bt and the classic CPU loaded it).
 *   - LSS reads its far pointer first, within the limit of the pointer's segment: through
 *     an expand-down segment whose valid offsets start at 16 MiB, a pointer below that is
 *     #GP(0) before any selector check (SDM Vol. 3A, 5.3; seed 32105: bt read the pointer
 *     through the segment's base alone and loaded SS).
 *   - A far RET or IRET to RPL 0 needs a code segment of DPL 0 (SDM Vol. 2, RET and IRET:
 *     nonconforming with DPL != RPL is #GP(selector)); a DPL-1 one is #GP(selector).
 * Each line: the instruction, the selector, and what the register reads after it or the
 * fault. Every mode prints native's console (expected.txt).
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_DATA_DPL1 0x30 /* flat writable data, DPL 1 */
#define SEL_EXPDOWN 0x38   /* expand-down data, DPL 0, offsets 16 MiB .. 4 GiB */
#define SEL_CODE_DPL1 0x40 /* flat non-conforming code, DPL 1 */
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

/* EAX: SS after the load, without its RPL (MOV from SS shows the real RPL 1 on the classic
 * CPU: a Popek-Goldberg hole, docs/modes/trap-and-emulate.md, beside the point here). ESP
 * (LSS's new one, or a faulting POP's push) comes back from EBX, and SS, ES from the
 * kernel's data selector, whatever the load did. */
#define LOAD(body)                                                                        \
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\t" body                               \
                   "\n\txor %%eax, %%eax\n\tmov %%ss, %%ax\n\tand $0xFFFC, %%eax\n" PROBE_END                   \
                   "mov $0x10, %%edx\n\tmov %%edx, %%ss\n\tmov %%ebx, %%esp\n\t"          \
                   "mov %%edx, %%es\n\t"                                                  \
                   : "=&a"(v)                                                             \
                   : [sel] "r"((uint32_t)sel), [ed] "r"((uint32_t)SEL_EXPDOWN)            \
                   : "ebx", "edx", "memory", "cc")

static void load(uint32_t k, uint16_t sel) {
  static const char* const names[] = {"mov ss     ", "pop ss     ", "lss        ",
                                      "lss es:down"};
  uint32_t v = 0;
  uint32_t esp;
  __asm__ volatile("mov %%esp, %0" : "=r"(esp));
  farptr.off = esp;
  farptr.sel = sel;
  switch (k) {
    case 0: LOAD("mov %[sel], %%ss"); break;
    case 1: LOAD("push %[sel]\n\tpop %%ss"); break;
    case 2: LOAD("lss farptr, %%ecx"); break;
    default: LOAD("mov %[ed], %%es\n\tlss %%es:farptr, %%ecx"); break;
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
  gdt[SEL_EXPDOWN >> 3] = own_seg_desc(0, 0x00FFF, 0x96, 0xC);
  gdt[SEL_CODE_DPL1 >> 3] = own_seg_desc(0, 0xFFFFF, 0xBA, 0xC);

  puts("ss_loads: SS loads and far returns of the kernel in ring 0\n");
  static const uint16_t sels[] = {SEL_KDATA, SEL_DATA_DPL1};
  for (uint32_t i = 0; i < sizeof sels / sizeof sels[0]; ++i) {
    for (uint32_t k = 0; k < 4; ++k) load(k, sels[i]);
  }
  static volatile uint8_t stub[16];
  probe_put_stub(stub, 0x600D);
  probe_print("lret to 0x08", probe_return_far(SEL_KCODE, SEL_KCODE, (uint32_t)stub));
  probe_print("lret to 0x40", probe_return_far(SEL_KCODE, SEL_CODE_DPL1, (uint32_t)stub));
  probe_print("iret to 0x40", probe_return_iret(SEL_KCODE, SEL_CODE_DPL1, (uint32_t)stub));
  puts("ss_loads: done\n");
  exit_machine(0);
}

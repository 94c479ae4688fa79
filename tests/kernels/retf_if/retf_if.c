/*
 * The retf_if test kernel (issue 12, random guest --rich seeds 30025 and 30011): the guest
 * kernel, with IF clear, enters ring 3 by a far RET (which leaves EFLAGS alone, SDM Vol.
 * 2, RET), so user code runs with IF clear; its INT 0x80 comes back through an interrupt
 * gate, and the handler's PUSHF shows the processor's EFLAGS: IF clear, IOPL 0. Under bt the guest
 * kernel's translated PUSHF replaces the real IF (taken to be set in the translation
 * cache) by the virtual one; the translation cache was entered with the real IF the user
 * code had, clear, and the image was 0xFFFFFE06. The line prints EFLAGS from bit 8 up
 * (the status flags below are the user code's and the stubs'), and the image the gate
 * pushed likewise. Then twice an IRET to ring 3 whose image's IF differs from the kernel's
 * IF, back through a trap gate, which keeps user code's IF (the image's): bt left user
 * code the real IF set (IRET in ring 1 with IOPL 0 does not load IF), and its monitors
 * gave the kernel, through a trap gate from user mode, the virtual IF it had left with.
 * Every mode prints native's console (expected.txt, and QEMU's) but the
 * classic CPU, whose PUSHF in ring 1 shows the real IF, set, and whose far RET to ring 3
 * runs on the processor, which leaves user code the real IF, set (so the gate's image has
 * it too): the Popek-Goldberg hole, docs/modes/trap-and-emulate.md: classic.expected.
 */
#include "own_tables.h"

#define GDT_ENTRIES 6

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));

extern char user_entry[];
__asm__(".text\nuser_entry:\n int $0x80\n1: jmp 1b\n");
extern void isr128(void);

/* The stages: 0, a far RET to ring 3 with IF clear (an interrupt gate back); 1, an IRET to
 * ring 3 with IF clear in its image from a kernel with IF set, and 2, an IRET with IF set
 * from a kernel with IF clear, both back through a trap gate, which keeps user code's IF. */
static volatile uint32_t stage;

static void enter_user(void) {
  const uint32_t esp = (uint32_t)(user_stack + sizeof user_stack);
  if (stage == 0) {
    __asm__ volatile(
        "cli\n\t"
        "pushl %[ss]\n\tpushl %[esp]\n\tpushl %[cs]\n\tpushl %[eip]\n\t"
        "mov %[ss], %%eax\n\tmov %%eax, %%ds\n\tmov %%eax, %%es\n\t"
        "lret" ::[ss] "i"(SEL_UDATA),
        [esp] "r"(esp), [cs] "i"(SEL_UCODE), [eip] "r"((uint32_t)user_entry)
        : "eax", "memory");
  }
  idt[0x80] = own_gate(SEL_KCODE, (uint32_t)isr128, 0xEF); /* DPL 3, trap gate */
  const uint32_t image = stage == 1 ? 0x002 : 0x202;
  if (stage == 1) {
    __asm__ volatile("sti");
  } else {
    __asm__ volatile("cli");
  }
  __asm__ volatile(
      "pushl %[ss]\n\tpushl %[esp]\n\tpushl %[fl]\n\tpushl %[cs]\n\tpushl %[eip]\n\t"
      "mov %[ss], %%eax\n\tmov %%eax, %%ds\n\tmov %%eax, %%es\n\t"
      "iret" ::[ss] "i"(SEL_UDATA),
      [esp] "r"(esp), [fl] "r"(image), [cs] "i"(SEL_UCODE), [eip] "r"((uint32_t)user_entry)
      : "eax", "memory");
}

void isr_dispatch(struct frame* f) {
  if (f->vector != 0x80) unexpected_vector(f);
  uint32_t now = 0;
  __asm__ volatile("pushf\n\tpop %0" : "=r"(now));
  static const char* const what[] = {"far RET, IF clear; interrupt gate",
                                     "IRET, image IF clear, kernel IF set; trap gate",
                                     "IRET, image IF set, kernel IF clear; trap gate"};
  puts("retf_if: ");
  puts(what[stage]);
  puts(": handler EFLAGS[31:8] ");
  puthex(now >> 8);
  puts(", the gate's image [31:8] ");
  puthex(f->eflags >> 8);
  putc('\n');
  if (++stage < 3) enter_user(); /* from the handler's stack: the TSS resets it each time */
  puts("retf_if: done\n");
  exit_machine(0);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  puts("retf_if: ring 3 entered with IF clear or set, then INT 0x80\n");
  enter_user();
  for (;;) {
  }
}

/*
 * A system call whose delivery touches a page the monitor has not mapped yet runs exactly
 * once (issue 12, item 7). A ring-3 INT 80h reads the IDT gate, the GDT descriptors of the
 * handler's CS and SS, SS0:ESP0 from the TSS, and pushes its frame on the ring-0 stack;
 * before each call the kernel rewrites (with the same value) the page-table entry of one
 * of those pages, or of all, which under shadow paging drops the page's shadow entry, so
 * that the delivery takes a hidden page fault there. The monitor must then deliver the
 * INT again with the instruction's length, returning past it: with a length of 0 it
 * returned to the INT, and the call ran twice.
 *
 * The last call's frame straddles two stack pages, and its handler drops the upper one, so
 * that the IRET back to ring 3 faults on it after the handler's own pops have refilled the
 * lower one (issue 12, item 8: under binary translation that IRET is the monitor's
 * callout, whose page fault is the monitor's own to fill, never the guest's).
 *
 * Each line names the page(s) and how many times the call ran; the console is the same in
 * every mode and under QEMU.
 */
#include "klib.h"
#include "own_tables.h"

#define PTE_P 1u
#define PTE_W 2u
#define PTE_U 4u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
/* Each table on its own page(s): the IDT alone, the GDT across a page boundary so that the
 * kernel's descriptors (1, 2) lie on the first page and the user's (3, 4) and the TSS's (5)
 * on the second: the IRET back to ring 3 never reads the first. */
static uint64_t idt[512] __attribute__((aligned(4096)));
static uint64_t gdt_pages[1024] __attribute__((aligned(4096)));
#define GDT (&gdt_pages[512 - 3])
static union {
  struct tss32 t;
  uint8_t page[4096];
} tss_page __attribute__((aligned(4096)));
/* Stack A: the kernel's, for INT 81h and the rest; stack B: INT 80h's alone. */
static uint8_t stack_a[4096] __attribute__((aligned(4096)));
static uint8_t stack_b[4096] __attribute__((aligned(4096)));
/* Stack C: two pages; INT 80h's frame 12 bytes above the boundary: EIP and CS below it,
 * EFLAGS, ESP and SS above. */
static uint8_t stack_c[8192] __attribute__((aligned(4096)));
#define STACK_C_ESP0 ((uint32_t)(stack_c + 4096 + 12))

extern void isr129(void), isr130(void);

enum { kNone, kIdt, kGdt, kTss, kStack, kAll, kIretFrame, kKinds };
static const char* const kind_names[kKinds] = {"int 80h, delivery faults on no page",
                                               "int 80h, delivery faults on the IDT page",
                                               "int 80h, delivery faults on the GDT page",
                                               "int 80h, delivery faults on the TSS page",
                                               "int 80h, delivery faults on the ring-0 stack page",
                                               "int 80h, delivery faults on all four pages",
                                               "int 80h, its IRET faults on the upper frame page"};
static volatile uint32_t calls[kKinds];

/* Rewrites the PTE of the page holding `p` with its own value: a traced page-table write
 * under shadow paging, nothing at all natively. */
static void retouch(const void* p) {
  volatile uint32_t* e = &pt[(uint32_t)p >> 12];
  *e = *e;
}

static void prepare(uint32_t kind) {
  /* INT 80h's frame goes on stack B; the stub and the IRET of INT 81h stay on stack A. */
  tss_page.t.esp0 = kind == kIretFrame ? STACK_C_ESP0 : (uint32_t)(stack_b + sizeof stack_b);
  if (kind == kIdt || kind == kAll) retouch(&idt[0x80]);
  if (kind == kGdt || kind == kAll) retouch(&GDT[1]);
  if (kind == kTss || kind == kAll) retouch(&tss_page);
  if (kind == kStack || kind == kAll) retouch(stack_b + sizeof stack_b - 4);
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x81 && f->eax < kKinds) {
    prepare(f->eax);
  } else if (f->vector == 0x80 && f->eax < kKinds) {
    calls[f->eax]++;
    if (f->eax == kIretFrame) retouch(stack_c + 4096);
    tss_page.t.esp0 = (uint32_t)(stack_a + sizeof stack_a);
  } else if (f->vector == 0x82) {
    for (uint32_t k = 0; k < kKinds; ++k) {
      puts(kind_names[k]);
      puts(": ran ");
      putdec(calls[k]);
      puts(calls[k] == 1 ? " time\n" : " times\n");
    }
    exit_machine(0);
  } else {
    unexpected_vector(f);
  }
}

__attribute__((section(".user_text"), noreturn, noinline)) static void user_main(void) {
  for (uint32_t k = 0; k < kKinds; ++k) {
    __asm__ volatile("int $0x81" ::"a"(k) : "memory");
    __asm__ volatile("int $0x80" ::"a"(k) : "memory");
  }
  __asm__ volatile("int $0x82");
  for (;;) {
  }
}

static uint8_t user_stack[4096] __attribute__((section(".user_data"), aligned(4096)));

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  /* The 8259As quiet: under QEMU the PIT runs on host time, and a timer interrupt that
   * arrives while ring-3 code runs with IF set would reach a vector this kernel has no
   * gate for (the BIOS's IRQ 0 is vector 8), so the console would depend on timing. */
  pic_mask_all();
  tables_init();
  own_tables_load(GDT, 6, idt, &tss_page.t, (uint32_t)(stack_a + sizeof stack_a));
  idt[0x81] = own_gate(SEL_KCODE, (uint32_t)isr129, 0xEE);
  idt[0x82] = own_gate(SEL_KCODE, (uint32_t)isr130, 0xEE);
  /* The first 4 MiB identity-mapped, user-accessible (the test is about delivery, not
   * protection), on 4 KiB pages so that each table has its own entry. */
  for (uint32_t i = 0; i < 1024; ++i) pt[i] = (i << 12) | PTE_P | PTE_W | PTE_U;
  pd[0] = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n orl $0x80010000, %%eax\n mov %%eax, %%cr0" ::"r"(pd)
      : "eax", "memory");
  puts("vmlab delivery-faults kernel\n");
  __asm__ volatile("mov %%esp, %%eax\n mov %0, %%esp\n" ::"r"(stack_a + sizeof stack_a)
                   : "eax", "memory");
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

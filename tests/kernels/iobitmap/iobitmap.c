/*
 * The I/O permission bitmap and IOPL test kernel (SDM Vol. 1, 19.5): user code probes
 * ports that its TSS bitmap allows and denies, then probes again with IOPL 3, and the
 * kernel prints which probes raised #GP. The last probe of each round follows a system
 * call that returns, so the IOPL must survive a kernel entry and its IRET. Native, QEMU and every
 * monitor must agree (the monitors keep the real IOPL at 0 and have no bitmap of their own: they
 * must decide with the guest's). Nothing is behind the probed ports (0x80-0x87, 0x400), so what
 * they read is not printed, only whether the access was allowed.
 */
#include "probe.h"

/* A 32-bit TSS with a bitmap for ports 0-0x3FF and the terminating 0xFF byte. */
static struct {
  uint32_t prev, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp,
      esi, edi, es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
  uint8_t bitmap[0x400 / 8 + 1];
} __attribute__((packed, aligned(16))) tss;

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t user_buffer[16];

#define PROBES 10
static volatile uint32_t faulted[2][PROBES];
static volatile uint32_t phase;

static void set_port(uint16_t port, int denied) {
  if (denied) {
    tss.bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
  } else {
    tss.bitmap[port / 8] &= (uint8_t) ~(1u << (port % 8));
  }
}

/* The library's GDT layout (same selectors), with this TSS in the TSS slot: LGDT, LTR.
 * (Not SGDT and a patch of the library's table: on a classic CPU SGDT in ring 1 shows
 * the monitor's GDT, a Popek-Goldberg hole.) */
static uint64_t gdt[6];
static void install_tss(void) {
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC); /* ring-0 code */
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC); /* ring-0 data */
  gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC); /* ring-3 code */
  gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC); /* ring-3 data */
  gdt[5] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0);
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0" ::"m"(gdtr));
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (uint32_t)(kernel_stack + sizeof kernel_stack);
  tss.iomap_base = (uint16_t)((uint32_t)tss.bitmap - (uint32_t)&tss);
  for (unsigned i = 0; i < sizeof tss.bitmap; ++i) tss.bitmap[i] = 0xFF;
  set_port(0x80, 0);
  set_port(0x84, 0);
  set_port(0x85, 0);
  set_port(0x87, 0); /* 0x81 and 0x86 stay denied */
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

/* Ring 3: probe number k is `insn` with EAX 0, EDX `port` and ESI, EDI at the buffer;
 * faulted[phase][k] records whether it raised #GP. */
#define USER_PROBE(k, insn, port)                           \
  do {                                                      \
    uint32_t a = 0, d = (port);                             \
    uint8_t *si = user_buffer, *di = user_buffer;           \
    __asm__ volatile(PROBE_BEGIN insn PROBE_END             \
                     : "+a"(a), "+d"(d), "+S"(si), "+D"(di) \
                     :                                      \
                     : "memory");                           \
    faulted[phase][k] = probe.faulted;                      \
  } while (0)
static void user_probes(void) {
  USER_PROBE(0, "outb %%al, %%dx", 0x80);  /* allowed */
  USER_PROBE(1, "outb %%al, %%dx", 0x81);  /* denied */
  USER_PROBE(2, "inb %%dx, %%al", 0x80);   /* allowed */
  USER_PROBE(3, "inl %%dx, %%eax", 0x84);  /* 0x86 denied */
  USER_PROBE(4, "inw %%dx, %%ax", 0x84);   /* 0x84, 0x85 allowed */
  USER_PROBE(5, "outsb", 0x80);            /* allowed */
  USER_PROBE(6, "insb", 0x80);             /* allowed */
  USER_PROBE(7, "outb %%al, %%dx", 0x400); /* beyond the bitmap */
  USER_PROBE(8, "outb %%al, $0x80", 0);    /* allowed, imm8 form */
  /* A system call that returns: the IOPL must survive the kernel entry and its IRET. */
  __asm__ volatile("int $0x80" ::"a"(1));
  USER_PROBE(9, "outb %%al, %%dx", 0x81); /* the IOPL decides */
  __asm__ volatile("int $0x80" ::"a"(0));
  for (;;) {
  }
}

static void enter_user(uint32_t iopl) {
  __asm__ volatile(
      "mov %0, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n"
      "push %0\n push %1\n"
      "pushf\n andl $0xFFFFCFFF, (%%esp)\n orl %4, (%%esp)\n"
      "push %2\n push %3\n iret" ::"i"(SEL_UDATA),
      "r"(user_stack + sizeof user_stack), "i"(SEL_UCODE), "r"(user_probes), "r"(iopl << 12)
      : "eax", "memory");
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 13 && (f->cs & 3) == 3 && probe_catch(f)) return;
  if (f->vector == 0x80 && f->eax == 1) return; /* back to user mode */
  if (f->vector == 0x80) {
    puts(phase == 0 ? "IOPL 0, bitmap:" : "IOPL 3:");
    for (unsigned i = 0; i < PROBES; ++i) {
      puts(faulted[phase][i] ? " GP" : " ok");
    }
    puts("\n");
    if (phase == 0) {
      phase = 1;
      enter_user(3);
    }
    exit_machine(0);
  }
  puts("unexpected vector ");
  puthex(f->vector);
  puts(" at ");
  puthex(f->eip);
  puts("\n");
  exit_machine(1);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  /* The 8259As quiet: under QEMU the PIT runs on host time, and a timer interrupt that
   * arrives while ring-3 code runs with IF set would reach a vector this kernel has no
   * gate for (the BIOS's IRQ 0 is vector 8), so the console would depend on timing. */
  pic_mask_all();
  puts("vmlab iobitmap test kernel\n");
  tables_init();
  install_tss();
  enter_user(0);
}

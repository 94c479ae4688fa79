/* The shared test-kernel library: see klib.h. */
#include "klib.h"

#define COM1 0x3F8
#define EXIT_PORT 0xF4

void console_init(void) {
  outb(COM1 + 1, 0x00); /* no UART interrupts: the console polls */
  outb(COM1 + 3, 0x80); /* DLAB to set the divisor */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFOs on and cleared */
}

void putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (uint8_t)c);
}

void puts(const char* s) {
  while (*s) putc(*s++);
}

void puthex(uint32_t v) {
  puts("0x");
  for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 0xF]);
}

void putdec(uint32_t v) {
  char buf[11];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putc(buf[--n]);
}

void exit_machine(uint32_t status) {
  outl(EXIT_PORT, status);
  for (;;) __asm__ volatile("cli; hlt");
}

void unexpected_vector(const struct frame* f) {
  puts("unexpected vector ");
  putdec(f->vector);
  puts(" error ");
  puthex(f->error);
  puts(" at ");
  puthex(f->eip);
  putc('\n');
  exit_machine(1);
}

static uint64_t gdt[6];
static struct {
  uint32_t prev, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp,
      esi, edi, es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
} __attribute__((packed, aligned(16))) tss;
static uint64_t idt[256];
const uint64_t* klib_gdt(void) {
  return gdt;
}
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
         (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 |
         (uint64_t)(base >> 24) << 56;
}

static void set_gate(int n, void (*fn)(void), uint8_t type_attr) {
  uint32_t a = (uint32_t)fn;
  idt[n] = (uint64_t)(a & 0xFFFF) | (uint64_t)SEL_KCODE << 16 | (uint64_t)type_attr << 40 |
           (uint64_t)(a >> 16) << 48;
}

extern void isr0(void), isr6(void), isr13(void), isr14(void), isr32(void), isr128(void);
extern void isr64(void), isr65(void), isr66(void), isr67(void), isr68(void), isr69(void);

void tables_init(void) {
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC); /* ring-0 code */
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC); /* ring-0 data */
  gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC); /* ring-3 code */
  gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC); /* ring-3 data */
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (uint32_t)(kernel_stack + sizeof kernel_stack);
  tss.iomap_base = sizeof tss; /* no I/O bitmap: ring 3 gets no port access */
  gdt[5] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0); /* available 32-bit TSS */

  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt},
                            idtr = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile(
      "lgdt %0\n"
      "ljmp %1, $1f\n"
      "1: mov %2, %%ax\n"
      "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
      "ltr %w3" ::"m"(gdtr),
      "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
      : "eax", "memory");

  set_gate(0, isr0, 0x8E); /* interrupt gates, DPL 0 */
  set_gate(6, isr6, 0x8E);
  set_gate(13, isr13, 0x8E);
  set_gate(14, isr14, 0x8E);
  set_gate(32, isr32, 0x8E);
  set_gate(64, isr64, 0x8E); /* 0x40-0x45: local APIC tests */
  set_gate(65, isr65, 0x8E);
  set_gate(66, isr66, 0x8E);
  set_gate(67, isr67, 0x8E);
  set_gate(68, isr68, 0x8E);
  set_gate(69, isr69, 0x8E);
  set_gate(128, isr128, 0xEE); /* DPL 3: ring 3 may INT 0x80 */
  __asm__ volatile("lidt %0" ::"m"(idtr));
}

void pic_init(uint8_t master_mask) {
  outb(0x20, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
  outb(0xA0, 0x11);
  outb(0x21, 0x20); /* ICW2: vectors 0x20 and 0x28 */
  outb(0xA1, 0x28);
  outb(0x21, 0x04); /* ICW3: the slave on IRQ2 */
  outb(0xA1, 0x02);
  outb(0x21, 0x01); /* ICW4: 8086 mode */
  outb(0xA1, 0x01);
  outb(0x21, master_mask);
  outb(0xA1, 0xFF);
}

void pit_init(uint32_t hz) {
  const uint32_t divisor = 1193182 / hz;
  outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
  outb(0x40, divisor & 0xFF);
  outb(0x40, (divisor >> 8) & 0xFF);
}

void enter_ring3(void (*entry)(void), void* stack_top) {
  __asm__ volatile(
      "mov %0, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n"
      "push %0\n push %1\n"
      "pushf\n orl $0x200, (%%esp)\n" /* IF on in ring 3 */
      "push %2\n push %3\n iret" ::"i"(SEL_UDATA),
      "r"(stack_top), "i"(SEL_UCODE), "r"(entry)
      : "eax", "memory");
  __builtin_unreachable();
}

int cmdline_has(const struct multiboot_info* mbi, const char* word) {
  if (!(mbi->flags & 4)) return 0;
  const char* p = (const char*)mbi->cmdline;
  while (*p && *p != ' ') ++p; /* skip the image path, as QEMU and GRUB put it first */
  while (*p) {
    while (*p == ' ') ++p;
    const char* w = word;
    const char* q = p;
    while (*w && *q == *w) ++q, ++w;
    if (!*w && (*q == ' ' || !*q)) return 1;
    while (*p && *p != ' ') ++p;
  }
  return 0;
}

/*
 * The hole-far test kernel's ring-3 half (issue 12, items 3 and 12): user code makes the
 * far transfers of hole_far.c into the gap below the hypervisor hole and into the hole,
 * through a DPL-3 code segment based at 0x800 (whose page-granular cut ends 0x800 bytes
 * short of the hole), and returns there, and reads, writes, pushes and pops through a
 * DPL-3 expand-down segment whose range reaches the hole. Natively (and under VT) every
 * one works; under ring compression (trap on the classic CPU, bt) the monitor performs the
 * transfers and executes the accesses from ring 3 as it does from the kernel
 * (docs/isolation.md). Ring 3 cannot print (no I/O privilege): it records what it saw, and
 * the kernel prints after the system call that ends ring 3.
 */
#include "probe.h"

#define SEL_UFAR 0x33  /* ring-3 code, base 0x800, 4 GiB, G set: cut 0x800 bytes short */
#define SEL_UDOWN 0x3B /* ring-3 expand-down data, B set, base 0, limit 0xF0000FFF */

static uint64_t gdt2[8] __attribute__((aligned(8)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_gap[1024] __attribute__((aligned(4096))); /* 0xFBC00000.. */
static uint32_t pt_far[1024] __attribute__((aligned(4096))); /* 0xFD000000.. */
static uint8_t code[4096] __attribute__((aligned(4096)));    /* mapped at both */
static uint8_t user_stack[4096] __attribute__((aligned(16)));

static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr;

struct seen {
  const char* what;
  uint32_t faulted, vector, error, value;
};
static struct seen seen[16];
static uint32_t nseen;

static void record(const char* what, uint32_t v) {
  if (nseen < sizeof seen / sizeof seen[0]) {
    seen[nseen++] = (struct seen){what, probe.faulted, probe.vector, probe.error, v};
  }
}

static void print_seen(void) {
  for (uint32_t i = 0; i < nseen; ++i) {
    puts(seen[i].what);
    puts(" -> ");
    if (seen[i].faulted) {
      puts("vector ");
      putdec(seen[i].vector);
      puts(" error ");
      puthex(seen[i].error);
    } else {
      puthex(seen[i].value);
    }
    putc('\n');
  }
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    f->cs = SEL_UCODE; /* a fault in the stub has CS = SEL_UFAR */
    return;
  }
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    print_seen();
    puts("hole_far_user: done\n");
    exit_machine(0);
  }
  puts("unexpected vector ");
  putdec(f->vector);
  puts(" error ");
  puthex(f->error);
  puts(" at ");
  puthex(f->eip);
  putc('\n');
  exit_machine(1);
}

static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
         (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 |
         (uint64_t)(base >> 24) << 56;
}

/* The stub: mov $marker, %eax; lret. */
static void put_stub(uint32_t at, uint32_t marker) {
  code[at] = 0xB8;
  code[at + 1] = (uint8_t)marker;
  code[at + 2] = (uint8_t)(marker >> 8);
  code[at + 3] = (uint8_t)(marker >> 16);
  code[at + 4] = (uint8_t)(marker >> 24);
  code[at + 5] = 0xCB;
}

static uint32_t call_far(uint32_t off) {
  uint32_t v = 0;
  farptr.off = off;
  farptr.sel = SEL_UFAR;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "lcall *%[p]\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [p] "m"(farptr)
                   : "esi", "memory");
  return v;
}

static uint32_t jump_far(uint32_t off) {
  uint32_t v = 0;
  farptr.off = off;
  farptr.sel = SEL_UFAR;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl $0x1B\n"
                   "pushl $1f\n"
                   "ljmp *%[p]\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [p] "m"(farptr)
                   : "esi", "memory");
  return v;
}

static uint32_t return_far(uint32_t off) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl $0x1B\n"
                   "pushl $1f\n"
                   "pushl $0x33\n"
                   "pushl %[off]\n"
                   "lret\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [off] "r"(off)
                   : "esi", "memory");
  return v;
}

static uint32_t return_iret(uint32_t off) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl $0x1B\n"
                   "pushl $1f\n"
                   "pushfl\n"
                   "pushl $0x33\n"
                   "pushl %[off]\n"
                   "iret\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [off] "r"(off)
                   : "esi", "memory");
  return v;
}

static uint32_t push_pop_down(uint32_t esp, uint32_t value) {
  uint32_t out = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "mov %%ss, %%di\n"
                   "mov %w[ss], %%ss\n"
                   "mov %[esp], %%esp\n"
                   "pushl %[v]\n"
                   "popl %[out]\n" PROBE_END
                   "mov %%di, %%ss\n"
                   "mov %%esi, %%esp\n"
                   : [out] "+a"(out)
                   : [ss] "r"((uint32_t)SEL_UDOWN), [esp] "r"(esp), [v] "r"(value)
                   : "esi", "edi", "memory");
  return out;
}

static void user_main(void) {
  /* Offsets relative to base 0x800: 0xFBFFF000 is linear 0xFBFFF800 (the gap),
   * 0xFCFFF800 is 0xFD000000 (the hole). */
  record("ring 3 lcall *m16:32 0x33:0xFBFFF000 (gap)  ", call_far(0xFBFFF000));
  record("ring 3 lcall *m16:32 0x33:0xFCFFF800 (hole) ", call_far(0xFCFFF800));
  record("ring 3 ljmp  *m16:32 0x33:0xFD000400 (hole) ", jump_far(0xFD000400));
  record("ring 3 lret  0x33:0xFBFFF400 (gap)          ", return_far(0xFBFFF400));
  record("ring 3 iret  0x33:0xFCFFF800 (hole)         ", return_iret(0xFCFFF800));
  record("ring 3 lcall *m16:32 0x33:0xFD000800 (none) ", call_far(0xFD000800));
  record("ring 3 read  0x3B:0xFD000000 (hole)         ",
         probe_read_seg(SEL_UDOWN, 0xFD000000, SEL_UDATA));
  probe_write_seg(SEL_UDOWN, 0xFD000010, 0x5A5A5A5Au, SEL_UDATA);
  record("ring 3 write 0x3B:0xFD000010 (hole)         ", 0x5A5A5A5Au);
  record("ring 3 read  0x23:0xFD000010                ",
         probe_read_seg(SEL_UDATA, 0xFD000010, SEL_UDATA));
  record("ring 3 push/pop ss 0x3B, esp 0xFD000100     ", push_pop_down(0xFD000100, 0x0BADF00D));
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr;
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("hole_far_user: ring-3 far transfers past the cut CS limit, expand-down segments\n");
  const uint64_t* old = klib_gdt();
  for (uint32_t i = 0; i < 6; ++i) gdt2[i] = old[i];
  gdt2[SEL_UFAR >> 3] = desc(0x800, 0xFFFFF, 0xFA, 0xC);
  gdt2[SEL_UDOWN >> 3] = desc(0, 0xF0000, 0xF6, 0xC);
  gdtr.limit = sizeof gdt2 - 1;
  gdtr.base = (uint32_t)gdt2;
  __asm__ volatile("lgdt %0" ::"m"(gdtr) : "memory");

  put_stub(0x000, 0xC0DE0000u); /* at 0xFD000000: in the hole */
  put_stub(0x400, 0xC0DE0400u); /* at 0xFD000400 */
  put_stub(0x800, 0xC0DE0800u); /* at 0xFBFFF800: the gap */
  put_stub(0xC00, 0xC0DE0C00u); /* at 0xFBFFFC00 */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pd[0] = (uint32_t)pt_low | 7;
  pd[0xFBC00000u >> 22] = (uint32_t)pt_gap | 7;
  pd[0xFD000000u >> 22] = (uint32_t)pt_far | 7;
  pt_gap[1023] = (uint32_t)code | 7;
  pt_far[0] = (uint32_t)code | 7;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");
  /* Every IRQ masked: ring 3 runs with IF set, and QEMU's BIOS leaves the PIT running. */
  pic_init(0xFF);
  /* Under QEMU, SeaBIOS leaves the PIT ticking with IRQ 0 unmasked, and ring 3 runs with
     IF on: a tick would arrive on vector 8 at a point that depends on the host's timing
     (a loaded machine cut the comparison short). Every PIC line is masked first. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

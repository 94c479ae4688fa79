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

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    f->cs = SEL_UCODE; /* a fault in the stub has CS = SEL_UFAR */
    return;
  }
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    probe_print_recorded();
    puts("hole_far_user: done\n");
    exit_machine(0);
  }
  unexpected_vector(f);
}

static void user_main(void) {
  /* Offsets relative to base 0x800: 0xFBFFF000 is linear 0xFBFFF800 (the gap),
   * 0xFCFFF800 is 0xFD000000 (the hole). */
  probe_record("ring 3 lcall *m16:32 0x33:0xFBFFF000 (gap)  ",
               probe_call_far(SEL_UFAR, 0xFBFFF000));
  probe_record("ring 3 lcall *m16:32 0x33:0xFCFFF800 (hole) ",
               probe_call_far(SEL_UFAR, 0xFCFFF800));
  probe_record("ring 3 ljmp  *m16:32 0x33:0xFD000400 (hole) ",
               probe_jump_far(SEL_UCODE, SEL_UFAR, 0xFD000400));
  probe_record("ring 3 lret  0x33:0xFBFFF400 (gap)          ",
               probe_return_far(SEL_UCODE, SEL_UFAR, 0xFBFFF400));
  probe_record("ring 3 iret  0x33:0xFCFFF800 (hole)         ",
               probe_return_iret(SEL_UCODE, SEL_UFAR, 0xFCFFF800));
  probe_record("ring 3 lcall *m16:32 0x33:0xFD000800 (none) ",
               probe_call_far(SEL_UFAR, 0xFD000800));
  probe_record("ring 3 read  0x3B:0xFD000000 (hole)         ",
               probe_read_seg(SEL_UDOWN, 0xFD000000, SEL_UDATA));
  probe_write_seg(SEL_UDOWN, 0xFD000010, 0x5A5A5A5Au, SEL_UDATA);
  probe_record("ring 3 write 0x3B:0xFD000010 (hole)         ", 0x5A5A5A5Au);
  probe_record("ring 3 read  0x23:0xFD000010                ",
               probe_read_seg(SEL_UDATA, 0xFD000010, SEL_UDATA));
  probe_record("ring 3 push/pop ss 0x3B, esp 0xFD000100     ",
               probe_push_pop_ss(SEL_UDOWN, 0xFD000100, 0x0BADF00D));
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
  gdt2[SEL_UFAR >> 3] = seg_desc(0x800, 0xFFFFF, 0xFA, 0xC);
  gdt2[SEL_UDOWN >> 3] = seg_desc(0, 0xF0000, 0xF6, 0xC);
  gdtr.limit = sizeof gdt2 - 1;
  gdtr.base = (uint32_t)gdt2;
  __asm__ volatile("lgdt %0" ::"m"(gdtr) : "memory");

  probe_put_stub(code + 0x000, 0xC0DE0000u); /* at 0xFD000000: in the hole */
  probe_put_stub(code + 0x400, 0xC0DE0400u); /* at 0xFD000400 */
  probe_put_stub(code + 0x800, 0xC0DE0800u); /* at 0xFBFFF800: the gap */
  probe_put_stub(code + 0xC00, 0xC0DE0C00u); /* at 0xFBFFFC00 */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pd[0] = (uint32_t)pt_low | 7;
  pd[0xFBC00000u >> 22] = (uint32_t)pt_gap | 7;
  pd[0xFD000000u >> 22] = (uint32_t)pt_far | 7;
  pt_gap[1023] = (uint32_t)code | 7;
  pt_far[0] = (uint32_t)code | 7;
  paging_on(pd);
  /* Every IRQ masked: ring 3 runs with IF set, and QEMU's BIOS leaves the PIT running. */
  pic_mask_all();
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

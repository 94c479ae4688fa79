/*
 * The hole-far test kernel (issue 12, items 3 and 12): what the cut segment limits of ring
 * compression (trap on the classic CPU, bt) still refuse. The guest maps a page of its own
 * code at the last page below the hypervisor hole (0xFBFFF000) and inside it
 * (0xFC000000, the monitor's GDT page, and 0xFD000000), with paging on, and
 *   - far-calls and far-jumps (direct ptr16:32, and through m16:32) to a code segment
 *     based at 0x800, 4 GiB, G set, whose cut limit ends 0x800 bytes short of the hole:
 *     the targets lie in that gap and in the hole; the code there loads a marker into EAX
 *     and returns far;
 *   - returns there (far RET and IRET), and calls code at the linear addresses of the
 *     monitor's own IDT and of bt's translation cache (the guest's page runs);
 *   - keeps the guest's own checks: a target page it does not map (#PF), a target past
 *     its own limit (#GP; QEMU reports the selector as its error code, the SDM 0, so
 *     only the vector is shown), a DPL-3 target from ring 0 (#GP(selector));
 *   - loads expand-down data segments whose valid range reaches into the hole (32-bit,
 *     B set, and 16-bit, B clear, based just below the hole) and reads and writes through
 *     them (and pushes and pops with one as SS), then reads the guest's page back
 *     through a flat segment (its own limit still refuses offsets at or below it:
 *     hole_segments, since QEMU checks no data segment limit);
 *   - checks that the monitor's tables still work (its selectors load and address).
 * Natively (and under VT, which keeps no hole) every transfer and access works
 * (native.expected; QEMU prints the same), and under ring compression (trap on the
 * classic CPU, bt) too since issue 12: the monitor performs the transfers and executes
 * the accesses (docs/isolation.md).
 */
#include "probe.h"

#define SEL_CODE 0x18   /* code, base 0x800, 4 GiB, G set: cut 0x800 bytes short */
#define SEL_DOWN32 0x20 /* expand-down, B set, G set, base 0, limit 0xF0000FFF */
#define SEL_DOWN16 0x28 /* expand-down, B clear, base 0xFBFF8000, limit 0xFFF */
#define SEL_FLAT 0x30   /* flat data, 4 GiB */
#define SEL_SHORT 0x38  /* code, base 0xFBFF0000, byte limit 0x1FFFF: ends in the hole */
#define SEL_USER 0x40   /* code, base 0x800, 4 GiB, DPL 3: not a ring-0 target */

static uint64_t gdt[9];
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) gdtr = {sizeof gdt - 1, 0};

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_gap[1024] __attribute__((aligned(4096)));  /* 0xFBC00000.. */
static uint32_t pt_hole[1024] __attribute__((aligned(4096))); /* 0xFC000000.. */
static uint32_t pt_far[1024] __attribute__((aligned(4096)));  /* 0xFD000000.. */
static uint8_t code[4096] __attribute__((aligned(4096)));     /* mapped at all three */

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    f->cs = SEL_KCODE; /* a fault in the stub has CS = SEL_CODE */
    f->es = SEL_KDATA;
    return;
  }
  unexpected_vector(f);
}

static uint32_t call_direct_gap(void) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "lcall $0x18, $0xFBFFF000\n" PROBE_END : "+a"(v)::"memory");
  return v;
}

static uint32_t call_direct_hole(void) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "lcall $0x18, $0xFCFFF800\n" PROBE_END : "+a"(v)::"memory");
  return v;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("hole_far: far transfers past the cut CS limit, expand-down segments into the hole\n");
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_CODE >> 3] = seg_desc(0x800, 0xFFFFF, 0x9A, 0xC);
  gdt[SEL_DOWN32 >> 3] = seg_desc(0, 0xF0000, 0x96, 0xC);
  gdt[SEL_DOWN16 >> 3] = seg_desc(0xFBFF8000, 0xFFF, 0x96, 0x0);
  gdt[SEL_FLAT >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_SHORT >> 3] = seg_desc(0xFBFF0000, 0x1FFFF, 0x9A, 0x4);
  gdt[SEL_USER >> 3] = seg_desc(0x800, 0xFFFFF, 0xFA, 0xC);
  gdtr.base = (uint32_t)gdt;
  __asm__ volatile("lgdt %0" ::"m"(gdtr));

  probe_put_stub(code + 0x000, 0xC0DE0000u); /* at 0xFC000000 and 0xFD000000: in the hole */
  probe_put_stub(code + 0x800, 0xC0DE0800u); /* at 0xFBFFF800: the gap */
  probe_put_stub(code + 0xC00, 0xC0DE0C00u); /* at 0xFBFFFC00 and 0xFD000C00 */
  probe_put_stub(code + 0xFFA, 0xC0DE0FFAu); /* the page's last 6 bytes: at 0xFC00FFFA */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pd[0] = (uint32_t)pt_low | 3;
  pd[0xFBC00000u >> 22] = (uint32_t)pt_gap | 3;
  pd[0xFC000000u >> 22] = (uint32_t)pt_hole | 3;
  pd[0xFD000000u >> 22] = (uint32_t)pt_far | 3;
  pt_gap[1023] = (uint32_t)code | 3;
  pt_hole[0] = (uint32_t)code | 3;
  pt_far[0] = (uint32_t)code | 3;
  pt_hole[0xF] = (uint32_t)code | 3;   /* 0xFC00F000: the last page of the monitor's GDT */
  pt_hole[0x11] = (uint32_t)code | 3;  /* 0xFC011000: the monitor's IDT page */
  pt_hole[0x100] = (uint32_t)code | 3; /* 0xFC100000: bt's translation cache */
  paging_on(pd);

  /* Offsets relative to base 0x800: 0xFBFFF000 is linear 0xFBFFF800 (the gap),
   * 0xFBFFF800 is 0xFC000000 and 0xFCFFF800 is 0xFD000000 (the hole). */
  probe_print("lcall 0x18:0xFBFFF000 (gap)           ", call_direct_gap());
  probe_print("lcall 0x18:0xFCFFF800 (hole)          ", call_direct_hole());
  probe_print("lcall *m16:32 0x18:0xFBFFF400 (gap)   ", probe_call_far(SEL_CODE, 0xFBFFF400));
  probe_print("lcall *m16:32 0x18:0xFBFFF800 (hole)  ", probe_call_far(SEL_CODE, 0xFBFFF800));
  probe_print("ljmp  *m16:32 0x18:0xFBFFF000 (gap)   ",
              probe_jump_far(SEL_KCODE, SEL_CODE, 0xFBFFF000));
  probe_print("ljmp  *m16:32 0x18:0xFD000400 (hole)  ",
              probe_jump_far(SEL_KCODE, SEL_CODE, 0xFD000400));

  /* Returns into the gap and the hole. */
  probe_print("lret  0x18:0xFBFFF000 (gap)           ",
              probe_return_far(SEL_KCODE, SEL_CODE, 0xFBFFF000));
  probe_print("lret  0x18:0xFCFFF800 (hole)          ",
              probe_return_far(SEL_KCODE, SEL_CODE, 0xFCFFF800));
  probe_print("iret  0x18:0xFBFFF400 (gap)           ",
              probe_return_iret(SEL_KCODE, SEL_CODE, 0xFBFFF400));
  probe_print("iret  0x18:0xFD000400 (hole)          ",
              probe_return_iret(SEL_KCODE, SEL_CODE, 0xFD000400));
  /* The monitor's own pages are the guest's here: its IDT and bt's translation cache. */
  probe_print("lcall 0x18:0xFC010800 (monitor IDT)   ", probe_call_far(SEL_CODE, 0xFC010800));
  probe_print("lcall 0x18:0xFC0FF800 (bt TC)         ", probe_call_far(SEL_CODE, 0xFC0FF800));
  /* The guest's own checks stand: a page it does not map, its own limit, its DPL. */
  probe_print("lcall 0x18:0xFD000800 (unmapped)      ", probe_call_far(SEL_CODE, 0xFD000800));
  probe_print("lcall 0x38:0x00010000 (hole)          ", probe_call_far(SEL_SHORT, 0x10000));
  probe_print("lcall 0x38:0x0001FFFA (its last bytes)", probe_call_far(SEL_SHORT, 0x1FFFA));
  /* (The vector only: QEMU gives the selector as the error code, the SDM 0.) */
  probe_call_far(SEL_SHORT, 0x20000);
  puts("lcall 0x38:0x00020000 (past its limit) -> ");
  if (probe.faulted) {
    puts("vector ");
    putdec(probe.vector);
  }
  putc('\n');
  probe_print("lcall 0x40:0xFBFFF000 (DPL 3)         ", probe_call_far(SEL_USER, 0xFBFFF000));

  /* Expand-down, B set: offsets 0xF0001000..0xFFFFFFFF. */
  probe_print("read  0x20:0xF0001000 (unmapped)      ",
              probe_read_seg(SEL_DOWN32, 0xF0001000, SEL_KDATA));
  probe_print("push/pop ss 0x20, esp 0xFD000100      ",
              probe_push_pop_ss(SEL_DOWN32, 0xFD000100, 0x0BADF00D));
  probe_print("read  0x20:0xFBFFF800 (gap)           ",
              probe_read_seg(SEL_DOWN32, 0xFBFFF800, SEL_KDATA));
  probe_print("read  0x20:0xFD000000 (hole)          ",
              probe_read_seg(SEL_DOWN32, 0xFD000000, SEL_KDATA));
  probe_write_seg(SEL_DOWN32, 0xFD000010, 0x5A5A5A5Au, SEL_KDATA);
  probe_print("write 0x20:0xFD000010 (hole)          ", 0x5A5A5A5Au);
  /* Expand-down, B clear, base 0xFBFF8000: offsets 0x1000..0xFFFF, the top 0x8000 in the
   * hole (its first page is the monitor's GDT page, here the guest's). */
  probe_print("read  0x28:0x00007800 (gap)           ",
              probe_read_seg(SEL_DOWN16, 0x7800, SEL_KDATA));
  probe_write_seg(SEL_DOWN16, 0x8014, 0x00CFFA00u, SEL_KDATA);
  probe_print("write 0x28:0x00008014 (hole)          ", 0x00CFFA00u);
  probe_print("read  0x28:0x00008014 (hole)          ",
              probe_read_seg(SEL_DOWN16, 0x8014, SEL_KDATA));
  /* The guest's page, read back through a flat segment. */
  probe_print("read  0x30:0xFD000010                 ",
              probe_read_seg(SEL_FLAT, 0xFD000010, SEL_KDATA));
  probe_print("read  0x30:0xFC000014                 ",
              probe_read_seg(SEL_FLAT, 0xFC000014, SEL_KDATA));
  probe_print("code page [4] (0x10)                  ", ((volatile uint32_t*)code)[4]);
  probe_print("code page [5] (0x14)                  ", ((volatile uint32_t*)code)[5]);
  probe_print("code page [63] (0xFC)                 ", ((volatile uint32_t*)code)[63]);
  /* The monitor's tables are intact (the guest's writes above went to the guest's page
   * at the linear address of the monitor's GDT, and its calls ran the guest's code there):
   * data and code selectors still load and work. */
  {
    static volatile uint32_t cell;
    uint32_t v = 0;
    __asm__ volatile(
        "mov %w[kd], %%ds\n"
        "mov %w[kd], %%es\n"
        "movl $0x600DF00D, %[cell]\n"
        "mov %w[kd], %%fs\n"
        "movl %%fs:%[cell], %[v]\n"
        : [v] "=r"(v), [cell] "+m"(cell)
        : [kd] "r"((uint32_t)SEL_KDATA)
        : "memory");
    probe_print("tables intact: ds/es/fs 0x10          ", v);
  }
  puts("hole_far: done\n");
  exit_machine(0);
}

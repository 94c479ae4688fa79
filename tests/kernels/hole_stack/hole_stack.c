/*
 * The hole_stack test kernel (issue 12, items 12 and the far-transfer leftovers): the ring-0
 * stack of the TSS (SS0:ESP0) lies in the linear range the monitors reserve for themselves
 * under ring compression (the top 64 MiB), at the addresses of the monitor's IDT page
 * (0xFC011000) and TSS page (0xFC010000), where the kernel maps pages of its own. From ring
 * 3: an INT 0x80 (an interrupt gate) and a far CALL through a DPL-3 call gate with one
 * parameter; each handler records ESP and the frame the processor pushed and returns (IRET,
 * RET 4) from that stack (ring 3 records its ESP after each). Last, a far CALL through a
 * 16-bit call gate with one word of parameter, whose frame is words (SDM Vol. 2, CALL),
 * to a code segment based so that the gate's 16-bit offset reaches the handler, which
 * returns with a 16-bit RET 2 from that stack: its IP and SP are 16 bits, so ring 3 comes
 * back below 64 KiB, at the caller's return address and stack pointer truncated and
 * zero-extended (SDM Vol. 2, RET; the kernel put an INT 0x81 there), where it reports the
 * EIP and ESP it came back with. The kernel then reads the frames back from its own pages
 * at their low (identity) addresses. Natively the pushes land in the guest's pages; under ring
 * compression they must too, never on the monitor's (HoleStackHostile asserts the
 * monitor's pages unchanged). Every mode prints native's console, and QEMU's.
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_GATE 0x30 /* call gate, DPL 3 -> SEL_KCODE:gate_stub, 1 parameter */
#define SEL_GATE16 0x38 /* 16-bit call gate, DPL 3 -> SEL_KCODE64K:gate16_stub, 1 parameter */
/* Ring-0 code based at the 64 KiB below gate16_stub: a 16-bit gate's offset has 16 bits. */
#define SEL_KCODE64K 0x40
#define GDT_ENTRIES 9
#define HOLE_IDT 0xFC011000u
#define HOLE_TSS 0xFC010000u

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(16))); /* (int_stub moves its ESP0) */
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_hole[1024] __attribute__((aligned(4096)));
/* The kernel's pages at HOLE_IDT and HOLE_TSS. */
static uint32_t page_idt[1024] __attribute__((aligned(4096)));
static uint32_t page_tss[1024] __attribute__((aligned(4096)));

/* What the handlers saw: ESP at entry and the frame's words (read through SS:ESP). */
volatile uint32_t seen_esp[4], seen_frame[4][5];
volatile uint32_t kernel_top;
volatile uint32_t user_esp_after[2]; /* ring 3's ESP after each return */

extern char int_stub[], gate_stub[], gate16_stub[], back16_stub[], after_lcall16[];
__asm__(
    ".text\n"
    /* INT 0x80: EIP, CS, EFLAGS, ESP, SS. */
    "int_stub: mov %esp, seen_esp\n"
    " mov (%esp), %eax\n mov %eax, seen_frame\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+4\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+8\n"
    " mov 12(%esp), %eax\n mov %eax, seen_frame+12\n"
    " mov 16(%esp), %eax\n mov %eax, seen_frame+16\n"
    " movl $0xFC010800, tss+4\n"
    " iret\n"
    /* The call gate: EIP, CS, the parameter, ESP, SS. */
    "gate_stub: mov %esp, seen_esp+4\n"
    " mov (%esp), %eax\n mov %eax, seen_frame+20\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+24\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+28\n"
    " mov 12(%esp), %eax\n mov %eax, seen_frame+32\n"
    " mov 16(%esp), %eax\n mov %eax, seen_frame+36\n"
    " movl $0xFC011C00, tss+4\n"
    " lret $4\n"
    /* The 16-bit call gate: IP, CS, the parameter, SP, SS, a word each; back to ring 3
     * with a 16-bit RET 2 from the hole stack (the next entry from ring 3 finds its stack
     * in the kernel's own page). */
    "gate16_stub: mov %esp, seen_esp+8\n"
    " movzwl (%esp), %eax\n mov %eax, seen_frame+40\n"
    " movzwl 2(%esp), %eax\n mov %eax, seen_frame+44\n"
    " movzwl 4(%esp), %eax\n mov %eax, seen_frame+48\n"
    " movzwl 6(%esp), %eax\n mov %eax, seen_frame+52\n"
    " movzwl 8(%esp), %eax\n mov %eax, seen_frame+56\n"
    " mov kernel_top, %eax\n mov %eax, tss+4\n"
    " lretw $2\n"
    /* INT 0x81 from where the 16-bit return took ring 3: EIP, CS, EFLAGS, ESP, SS. */
    "back16_stub: mov %esp, seen_esp+12\n"
    " mov (%esp), %eax\n mov %eax, seen_frame+60\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+64\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+68\n"
    " mov 12(%esp), %eax\n mov %eax, seen_frame+72\n"
    " mov 16(%esp), %eax\n mov %eax, seen_frame+76\n"
    " call finish\n");

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static void show16(const char* what, uint32_t i, const uint32_t* page) {
  puts(what);
  puts(": esp ");
  puthex(seen_esp[i]);
  puts(", frame");
  for (uint32_t w = 0; w < 5; ++w) {
    putc(' ');
    puthex(seen_frame[i][w]);
  }
  puts("\n  in the kernel's own page:");
  const uint16_t* words = (const uint16_t*)page;
  const uint32_t at = (seen_esp[i] & 0xFFFu) / 2;
  for (uint32_t w = 0; w < 5; ++w) {
    putc(' ');
    puthex(words[at + w]);
  }
  putc('\n');
}

static void show(const char* what, uint32_t i, const uint32_t* page) {
  puts(what);
  puts(": esp ");
  puthex(seen_esp[i]);
  puts(", frame");
  for (uint32_t w = 0; w < 5; ++w) {
    putc(' ');
    puthex(seen_frame[i][w]);
  }
  puts("\n  in the kernel's own page:");
  const uint32_t at = (seen_esp[i] & 0xFFFu) / 4;
  for (uint32_t w = 0; w < 5; ++w) {
    putc(' ');
    puthex(page[at + w]);
  }
  putc('\n');
}

void finish(void) {
  /* The user code's EIP and ESP differ between builds only; print them from the page. */
  show("int 0x80 with ESP0 0xfc011800 (the monitor's IDT page)", 0, page_idt);
  show("lcall 0x33 with ESP0 0xfc010800 (the monitor's TSS page)", 1, page_tss);
  show16("lcall 0x3b through a 16-bit gate with ESP0 0xfc011c00 (the monitor's IDT page)", 2,
         page_idt);
  /* Ring 3's return address and stack pointer are build-dependent: say how they relate. */
  const uint32_t landing = (uint32_t)after_lcall16 & 0xFFFFu;
  puts("the 16-bit RET 2 took ring 3 to the caller's IP, 64 KiB below its EIP: ");
  puts(seen_frame[3][0] == landing + 2 ? "yes" : "no");
  puts(", CS ");
  puthex(seen_frame[3][1]);
  puts(", ESP ");
  puthex(seen_frame[3][3]);
  puts(" (SP + 2, zero-extended), SS ");
  puthex(seen_frame[3][4]);
  putc('\n');
  puts("ring 3's ESP after the IRET ");
  puthex(user_esp_after[0]);
  puts(", after the RET 4 ");
  puthex(user_esp_after[1]);
  putc('\n');
  puts("hole_stack: done\n");
  exit_machine(0);
}

static void user_main(void) {
  __asm__ volatile("int $0x80\n mov %%esp, user_esp_after" ::: "eax", "memory");
  /* The second transfer finds its ring-0 stack on the TSS page. */
  static struct {
    uint32_t off;
    uint16_t sel;
  } __attribute__((packed)) gate = {0, SEL_GATE | 3}, gate16 = {0, SEL_GATE16 | 3};
  __asm__ volatile(
      "mov %%esp, %%ecx\n pushl $0x5A5A0001\n lcall *%0\n mov %%esp, user_esp_after+4\n"
      "mov %%ecx, %%esp" ::"m"(gate)
      : "eax", "ecx", "memory");
  /* The third finds its ring-0 stack on the IDT page again, through a 16-bit gate: one word
   * of parameter, 0x5A02. */
  __asm__ volatile("pushl $0x5A02\n lcall *%0\n .globl after_lcall16\n after_lcall16: nop" ::"m"(
                       gate16)
                   : "memory");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, HOLE_IDT + 0x800);
  gdt[SEL_GATE >> 3] = own_gate(SEL_KCODE, (uint32_t)gate_stub, 0xEC) | (uint64_t)1 << 32;
  const uint32_t base64k = (uint32_t)gate16_stub & 0xFFFF0000u;
  gdt[SEL_KCODE64K >> 3] = seg_desc(base64k, 0xFFFFF, 0x9A, 0xC);
  gdt[SEL_GATE16 >> 3] =
      own_gate(SEL_KCODE64K, (uint32_t)gate16_stub - base64k, 0xE4) | (uint64_t)1 << 32;
  idt[0x80] = own_gate(SEL_KCODE, (uint32_t)int_stub, 0xEE);
  idt[0x81] = own_gate(SEL_KCODE, (uint32_t)back16_stub, 0xEE);
  /* Where the 16-bit return takes ring 3 (below 64 KiB, mapped for ring 3): INT 0x81. */
  volatile uint8_t* landing = (volatile uint8_t*)((uint32_t)after_lcall16 & 0xFFFFu);
  landing[0] = 0xCD;
  landing[1] = 0x81;
  kernel_top = (uint32_t)(kernel_stack + sizeof kernel_stack);
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pd[0] = (uint32_t)pt_low | 7;
  pd[HOLE_IDT >> 22] = (uint32_t)pt_hole | 3;
  pt_hole[(HOLE_IDT >> 12) & 0x3FF] = (uint32_t)page_idt | 3;
  pt_hole[(HOLE_TSS >> 12) & 0x3FF] = (uint32_t)page_tss | 3;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");
  puts("hole_stack: ring-0 stacks in the monitor's linear range\n");
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

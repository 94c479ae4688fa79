/*
 * The hole_frame test kernel (issue 12, item 12): exceptions and INT n taken by the kernel
 * itself (no privilege change, so no stack switch) while its ESP lies in the linear range
 * the monitors reserve for themselves under ring compression (the top 64 MiB). The
 * processor pushes the frame at SS:ESP (SDM Vol. 3A, 6.12.1, figure 6-4, "no privilege-
 * level change"), here on the kernel's own pages at 0xFC000000 (the monitor's shadow GDT
 * under classic and bt), 0xFC100000 (bt's translation cache, its first bytes) and
 * 0xFFFFF000, or across 4 GiB: with ESP 0, 4 or 8 the pushes wrap from linear 0 to
 * 0xFFFFFFFC (a flat expand-up stack, whose offsets wrap at 4 GiB). Last, an ENTER whose
 * frame walks ESP below 0 (ENTER checks its new ESP against the SS limit, here 4 GiB) and a
 * #UD under that frame; a POP SS whose selector is in the hole; a far CALL (direct, and
 * through a call gate) whose return address is pushed there, and its far RET. Each handler records ESP and the frame's words, read through
 * SS:ESP, moves the saved EIP past a faulting instruction and returns with IRET from
 * there; the kernel prints them, the ESP after the IRET, and the same words read back from
 * its own pages at their identity addresses (the EIP there is the one the handler moved).
 * The frame's EIP is printed relative to the instruction (a fault saves the faulting
 * instruction's address, INT n the next one's: +2). Natively the pushes land on the
 * kernel's pages; under ring compression they must too, never on the monitor's
 * (HoleStackHostile asserts the monitor's pages unchanged). Every mode prints native's
 * console, and QEMU's.
 */
#include "own_tables.h"

#define SEL_GATE 0x30 /* call gate, DPL 0 -> SEL_KCODE:far_target */
#define GDT_ENTRIES 7
#define HOLE_BASE 0xFC000000u
#define TOP_PAGE 0xFFFFF000u
#define HOLE_TC 0xFC100000u /* bt's translation cache: its %gs selector and re-entry */
#define BAD_DS 0xF8 /* past the GDT's limit: MOV DS raises #GP(0xF8) */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_base[1024] __attribute__((aligned(4096)));
static uint32_t pt_top[1024] __attribute__((aligned(4096)));
/* The kernel's pages at linear 0, HOLE_BASE and TOP_PAGE. */
static uint32_t page_zero[1024] __attribute__((aligned(4096)));
static uint32_t page_base[1024] __attribute__((aligned(4096)));
static uint32_t page_top[1024] __attribute__((aligned(4096)));
static uint32_t page_tc[1024] __attribute__((aligned(4096)));

/* What the last handler saw: ESP at entry and the frame's words (read through SS:ESP). */
volatile uint32_t seen_esp, seen_frame[4];
volatile uint32_t esp_after; /* ESP after the IRET */

volatile uint32_t enter_esp, leave_esp, leave_ebp; /* around ENTER's frame */

extern char ud_stub[], int_stub[], gp_stub[];
extern char far_back[], far_target[], gate_back[];
extern char at_ud[], at_int_tc[], at_int_top[], at_gp[], at_int_wrap[], at_int_zero[], at_enter_ud[];
__asm__(
    ".text\n"
    /* #UD: EIP, CS, EFLAGS; the saved EIP is the UD2's, which is 2 bytes long. */
    "ud_stub: mov %esp, seen_esp\n"
    " mov (%esp), %eax\n mov %eax, seen_frame\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+4\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+8\n"
    " addl $2, (%esp)\n"
    " iret\n"
    /* INT 0x81: EIP (the next instruction's), CS, EFLAGS. */
    "int_stub: mov %esp, seen_esp\n"
    " mov (%esp), %eax\n mov %eax, seen_frame\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+4\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+8\n"
    " iret\n"
    /* #GP: error code, EIP (the MOV DS's, 2 bytes long), CS, EFLAGS. */
    "gp_stub: mov %esp, seen_esp\n"
    " mov (%esp), %eax\n mov %eax, seen_frame\n"
    " mov 4(%esp), %eax\n mov %eax, seen_frame+4\n"
    " mov 8(%esp), %eax\n mov %eax, seen_frame+8\n"
    " mov 12(%esp), %eax\n mov %eax, seen_frame+12\n"
    " add $4, %esp\n"
    " addl $2, (%esp)\n"
    " iret\n");

/* Runs `insn` (labelled `label`) with ZF and PF set and the other arithmetic flags clear
 * (XOR; not POPF, which ring compression's classic CPU runs without a trap), EAX = BAD_DS
 * and ESP = `esp`, then records the ESP the handler's IRET left and takes the kernel's
 * stack back. */
#define AT_ESP(esp, label, insn)                                                  \
  __asm__ volatile("xor %%eax, %%eax\n mov %%esp, %%ebx\n mov %0, %%esp\n"          \
                   "mov %1, %%eax\n" label ": " insn "\n"                          \
                   "mov %%esp, esp_after\n mov %%ebx, %%esp\n" ::"r"(esp),         \
                   "i"(BAD_DS)                                                    \
                   : "eax", "ebx", "cc", "memory")

/* The page and index where linear `lin` lands, read back through the kernel's own map. */
static uint32_t own_word(uint32_t lin) {
  const uint32_t* page = (lin >> 12) == 0                   ? page_zero
                         : (lin >> 12) == (HOLE_BASE >> 12) ? page_base
                         : (lin >> 12) == (HOLE_TC >> 12)   ? page_tc
                                                            : page_top;
  return page[(lin & 0xFFFu) / 4];
}

static void show(const char* what, uint32_t esp, const char* insn, unsigned words) {
  puts(what);
  puts(" with ESP ");
  puthex(esp);
  puts(": handler's esp ");
  puthex(seen_esp);
  puts(", frame");
  for (unsigned w = 0; w < words; ++w) {
    putc(' ');
    /* The saved EIP, relative to the instruction. */
    if (w == words - 3) {
      puts("eip+");
      putdec(seen_frame[w] - (uint32_t)insn);
    } else {
      puthex(seen_frame[w]);
    }
  }
  puts("\n  in the kernel's own pages:");
  for (unsigned w = 0; w < words; ++w) {
    const uint32_t v = own_word(seen_esp + 4 * w);
    putc(' ');
    if (w == words - 3) {
      puts("eip+");
      putdec(v - (uint32_t)insn);
    } else {
      puthex(v);
    }
  }
  puts("\n  ESP after the IRET ");
  puthex(esp_after);
  putc('\n');
  seen_esp = 0;
  for (unsigned w = 0; w < 4; ++w) seen_frame[w] = 0;
}

void isr_dispatch(struct frame* f) { unexpected_vector(f); }

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  idt[6] = own_gate(SEL_KCODE, (uint32_t)ud_stub, 0x8E);
  idt[13] = own_gate(SEL_KCODE, (uint32_t)gp_stub, 0x8E);
  idt[0x81] = own_gate(SEL_KCODE, (uint32_t)int_stub, 0x8E);
  gdt[SEL_GATE >> 3] = own_gate(SEL_KCODE, (uint32_t)far_target, 0x8C);
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pt_low[0] = (uint32_t)page_zero | 3;
  pd[0] = (uint32_t)pt_low | 3;
  pd[HOLE_BASE >> 22] = (uint32_t)pt_base | 3;
  pt_base[(HOLE_BASE >> 12) & 0x3FF] = (uint32_t)page_base | 3;
  pt_base[(HOLE_TC >> 12) & 0x3FF] = (uint32_t)page_tc | 3;
  pd[TOP_PAGE >> 22] = (uint32_t)pt_top | 3;
  pt_top[(TOP_PAGE >> 12) & 0x3FF] = (uint32_t)page_top | 3;
  paging_on(pd);
  puts("hole_frame: same-ring frames in the monitor's linear range\n");

  AT_ESP(HOLE_BASE + 0x10, "at_ud", "ud2");
  show("ud2", HOLE_BASE + 0x10, at_ud, 3);
  AT_ESP(HOLE_TC + 0x10, "at_int_tc", "int $0x81");
  show("int 0x81", HOLE_TC + 0x10, at_int_tc, 3);
  AT_ESP(TOP_PAGE + 0x10, "at_int_top", "int $0x81");
  show("int 0x81", TOP_PAGE + 0x10, at_int_top, 3);
  AT_ESP(0u, "at_int_zero", "int $0x81");
  show("int 0x81", 0u, at_int_zero, 3);
  AT_ESP(4u, "at_int_wrap", "int $0x81");
  show("int 0x81", 4u, at_int_wrap, 3);
  AT_ESP(8u, "at_gp", "mov %%eax, %%ds");
  show("mov ds, 0xf8", 8u, at_gp, 4);
  /* ENTER whose frame walks ESP below 0 (random guest seed 7143 of tests/robustness/
   * differential.py: ENTER in a loop): it checks the new ESP against the SS limit, which
   * natively (4 GiB) admits it; then a #UD with the frame under it, and LEAVE back. */
  __asm__ volatile(
      "xor %%eax, %%eax\n mov %%esp, %%ebx\n mov %%ebp, %%edx\n"
      "mov $0x100, %%esp\n mov %%esp, %%ebp\n"
      "enter $0x200, $1\n mov %%esp, enter_esp\n"
      "at_enter_ud: ud2\n mov %%esp, esp_after\n"
      "leave\n mov %%esp, leave_esp\n mov %%ebp, leave_ebp\n"
      "mov %%ebx, %%esp\n mov %%edx, %%ebp\n" ::
          : "eax", "ebx", "edx", "cc", "memory");
  puts("enter 0x200, 1 with ESP 0x00000100: ESP ");
  puthex(enter_esp);
  puts(", frame");
  for (uint32_t w = 0; w < 2; ++w) {
    putc(' ');
    puthex(own_word(enter_esp + 0x200 + 4 * w));
  }
  puts("; after LEAVE ESP ");
  puthex(leave_esp);
  puts(" EBP ");
  puthex(leave_ebp);
  putc('\n');
  show("ud2 under it", enter_esp, at_enter_ud, 3);
  /* POP SS reads its selector from the hole (the kernel's data selector, 0x10). */
  page_top[0x10 / 4] = SEL_KDATA;
  __asm__ volatile("mov %%esp, %%ebx\n mov %0, %%esp\n pop %%ss\n mov %%esp, esp_after\n"
                   "mov %%ebx, %%esp\n" ::"r"(TOP_PAGE + 0x10)
                   : "ebx", "memory");
  puts("pop ss with ESP 0xfffff010: ESP after ");
  puthex(esp_after);
  putc('\n');
  /* A far CALL pushes CS and EIP in the hole; the far RET pops them. (The CS image is
   * not printed: the classic CPU's far CALL in ring 1 pushes RPL 1, a Popek-Goldberg
   * difference of its own, docs/modes/trap-and-emulate.md.) */
  __asm__ volatile("mov %%esp, %%ebx\n mov %0, %%esp\n lcall $0x08, $far_target\n"
                   "far_back: mov %%esp, esp_after\n mov %%ebx, %%esp\n jmp 1f\n"
                   "far_target: mov %%esp, seen_esp\n mov (%%esp), %%eax\n"
                   " mov %%eax, seen_frame\n lret\n1:\n" ::"r"(TOP_PAGE + 0x20)
                   : "eax", "ebx", "memory");
  puts("lcall 0x08 with ESP 0xfffff020: callee's esp ");
  puthex(seen_esp);
  puts(", EIP pushed the return address+");
  putdec(seen_frame[0] - (uint32_t)far_back);
  puts(", ESP after the far RET ");
  puthex(esp_after);
  putc('\n');
  /* The same through a call gate to the kernel's own ring. */
  __asm__ volatile("mov %%esp, %%ebx\n mov %0, %%esp\n lcall $0x30, $0\n"
                   "gate_back: mov %%esp, esp_after\n mov %%ebx, %%esp\n" ::"r"(TOP_PAGE + 0x30)
                   : "eax", "ebx", "memory");
  puts("lcall 0x30 (a call gate) with ESP 0xfffff030: callee's esp ");
  puthex(seen_esp);
  puts(", EIP pushed the return address+");
  putdec(seen_frame[0] - (uint32_t)gate_back);
  puts(", ESP after the far RET ");
  puthex(esp_after);
  putc('\n');
  puts("hole_frame: done\n");
  exit_machine(0);
}

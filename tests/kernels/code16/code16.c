/*
 * The code16 test kernel (issue 12): guest kernel code in a 16-bit code segment (CS.D = 0)
 * at CPL 0, as APM and PnP BIOS thunks and 16-bit call gates run it. Entered from 32-bit
 * code by a far CALL, it runs 16-bit stack operations (PUSH and POP of words, PUSH CS, a
 * near CALL and RET 2, LOOP on CX), port I/O, CLI and STI, a far CALL through a 16-bit call
 * gate (a frame of words, returned from by a 16-bit RETF), INT 0x40 through a 16-bit
 * interrupt gate to a 16-bit handler and a 16-bit IRET to itself; a #GP (a selector past the
 * GDT limit) and a #PF (a page not present) through 16-bit trap gates, whose 16-bit handlers
 * record the frame of words (error code, IP, CS, FLAGS), skip the instruction and return
 * with IRET; the selectors a ring-compressing monitor keeps for itself (0xFFE8-0xFFF8),
 * past this GDT's limit: #GP(selector) for MOV DS and a far CALL, ZF clear for LAR; then
 * back to 32-bit code with a 32-bit RETF (66 CB). A second 16-bit segment,
 * based at 0x200000, is entered at IP 0xFFFE: two NOPs, and IP wraps to 0, where a 32-bit
 * RETF returns (what lies at 0x210000 is UD2). Last, a 16-bit IRET (66 CF) from 32-bit code
 * into the 16-bit segment, which comes back by a far JMP to 32-bit code. The kernel prints
 * what the 16-bit code recorded. Natively, QEMU and every mode print the same console
 * (expected.txt), but for the classic CPU, where PUSH CS and the call gate's return address
 * show the real RPL 1 (classic.expected; docs/modes/trap-and-emulate.md): under bt the 16-bit code is interpreted one instruction at a time
 * (modes/binary-translation/interpret16.cpp).
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_C16 0x30    /* ring-0 16-bit code, base = the window */
#define SEL_C16W 0x38   /* ring-0 16-bit code, base 0x200000 (the IP wrap) */
#define SEL_GATE16 0x40 /* 16-bit call gate, DPL 0 -> SEL_C16:gate_entry */
#define GDT_ENTRIES 9
#define WRAP_BASE 0x200000u
#define NOT_PRESENT 0x003FF000u

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(16)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));

/* What the 16-bit code recorded, a word each. */
volatile uint32_t r16[40]; /* (the handlers write 14-20) */
volatile uint32_t skip16, esp_before;

extern char c16_begin[], c16_end[], c16_entry[], gate_entry[], h40_16[], h_gp16[], h_pf16[];
extern char after_gate[], after_int[], at_gp[], at_pf[], after_iret[], iret_entry[], back32[];
__asm__(
    ".text\n"
    ".p2align 4\n"
    "c16_begin:\n"
    ".code16\n"
    /* Entered by a 32-bit far CALL: CS:EIP, two dwords, on the 32-bit stack. */
    "c16_entry:\n"
    " addr32 mov %esp, r16\n"              /* 0: ESP at entry */
    " pushal\n"
    " mov $0x1234, %ax\n push %ax\n pushw $0x5678\n pop %bx\n pop %cx\n"
    " addr32 mov %bx, r16+4\n addr32 mov %cx, r16+8\n" /* 1, 2: 0x5678, 0x1234 */
    " pushw %cs\n pop %dx\n addr32 mov %dx, r16+12\n" /* 3: CS */
    " mov $5, %cx\n xor %ax, %ax\n"
    "1: add %cx, %ax\n loop 1b\n"
    " addr32 mov %ax, r16+16\n"            /* 4: 5+4+3+2+1 */
    " pushw $0x1111\n call near16\n addr32 mov %ax, r16+20\n" /* 5: what near16 read */
    " in $0x21, %al\n addr32 mov %al, r16+24\n" /* 6: the PIC's mask */
    " mov $0x3F8, %dx\n mov $0x31, %al\n out %al, %dx\n mov $0x36, %al\n out %al, %dx\n"
    " mov $0x0A, %al\n out %al, %dx\n"    /* "16\n" on COM1 */
    " cli\n sti\n"
    /* The 16-bit call gate: IP and CS, a word each. */
    " addr32 mov %esp, esp_before\n"
    " lcall $0x40, $0\n"
    "after_gate:\n"
    /* INT 0x40 through a 16-bit interrupt gate. */
    " int $0x40\n"
    "after_int:\n"
    /* #GP and #PF through 16-bit trap gates. */
    " addr32 movl $2, skip16\n mov $0x7FF8, %ax\n"
    "at_gp: mov %ax, %es\n"
    " addr32 mov r16+56, %eax\n addr32 mov %eax, r16+108\n"  /* 27: 14 kept */
    " addr32 mov r16+60, %eax\n addr32 mov %eax, r16+112\n"  /* 28: 15 */
    " addr32 mov r16+64, %eax\n addr32 mov %eax, r16+116\n"  /* 29: 16 */
    " addr32 mov r16+68, %eax\n addr32 mov %eax, r16+120\n"  /* 30: 17 */
    " addr32 movl $3, skip16\n mov $0x3FF000, %ebx\n"
    "at_pf: mov (%ebx), %ax\n"
    /* The monitor's selectors under ring compression (0xFFE8, 0xFFF0, 0xFFF8), past this
     * GDT's limit: a DS load and a far CALL are #GP(selector), LAR clears ZF. */
    " addr32 movl $2, skip16\n mov $0xFFE8, %ax\n mov %ax, %ds\n"
    " addr32 mov r16+56, %ax\n addr32 mov %ax, r16+92\n"      /* 23 */
    " addr32 movl $5, skip16\n lcall $0xFFF0, $0\n"
    " addr32 mov r16+56, %ax\n addr32 mov %ax, r16+96\n"      /* 24 */
    " mov $0xFFF8, %ax\n mov $0x1234, %bx\n lar %ax, %bx\n setz %cl\n"
    " addr32 mov %cl, r16+100\n addr32 mov %bx, r16+104\n"    /* 25, 26 */
    /* A 16-bit IRET to the next instruction (FLAGS, CS, IP, a word each). */
    " pushf\n pushw %cs\n call 2f\n2: pop %ax\n add $(after_iret - 2b), %ax\n push %ax\n iret\n"
    "after_iret:\n"
    " popal\n"
    " addr32 mov %esp, r16+28\n"           /* 7: ESP again */
    " lretl\n"                             /* 66 CB: back to the 32-bit caller */
    /* A near CALL's target: the word pushed before the call, then RET 2. */
    "near16: mov %esp, %ebp\n mov 2(%ebp), %ax\n retw $2\n"
    /* The 16-bit call gate's target: SP's move and the frame's words, then a 16-bit RETF. */
    "gate_entry: addr32 mov %esp, r16+32\n" /* 8: ESP in the gate */
    " mov %esp, %ebp\n mov (%ebp), %ax\n addr32 mov %ax, r16+36\n" /* 9: IP */
    " mov 2(%ebp), %ax\n addr32 mov %ax, r16+40\n"              /* 10: CS */
    " lret\n"
    /* INT 0x40's handler: IP, CS, FLAGS. */
    "h40_16: mov %esp, %ebp\n"
    " mov (%ebp), %ax\n addr32 mov %ax, r16+44\n"               /* 11 */
    " mov 2(%ebp), %ax\n addr32 mov %ax, r16+48\n"              /* 12 */
    " mov 4(%ebp), %ax\n addr32 mov %ax, r16+52\n"              /* 13 */
    " iret\n"
    /* #GP: error code, IP, CS, FLAGS; IP moves past the instruction. */
    "h_gp16: mov %esp, %ebp\n"
    " mov (%ebp), %ax\n addr32 mov %ax, r16+56\n"               /* 14 */
    " mov 2(%ebp), %ax\n addr32 mov %ax, r16+60\n"              /* 15 */
    " mov 4(%ebp), %ax\n addr32 mov %ax, r16+64\n"              /* 16 */
    " mov 6(%ebp), %ax\n addr32 mov %ax, r16+68\n"              /* 17 */
    " addr32 mov skip16, %ax\n add %ax, 2(%ebp)\n add $2, %esp\n iret\n"
    "h_pf16: mov %esp, %ebp\n"
    " mov (%ebp), %ax\n addr32 mov %ax, r16+72\n"               /* 18 */
    " mov 2(%ebp), %ax\n addr32 mov %ax, r16+76\n"              /* 19 */
    " mov %cr2, %eax\n addr32 mov %eax, r16+80\n"              /* 20: CR2 */
    " addr32 mov skip16, %ax\n add %ax, 2(%ebp)\n add $2, %esp\n iret\n"
    /* Entered by a 16-bit IRET from 32-bit code: back by a far JMP to 32-bit code. */
    "iret_entry: addr32 mov %esp, r16+84\n"  /* 21 */
    " pushw %cs\n pop %ax\n addr32 mov %ax, r16+88\n" /* 22 */
    " ljmpl $0x08, $back32\n"
    ".code32\n"
    "c16_end:\n");

static uint32_t window(void) { return (uint32_t)c16_begin & 0xFFFF0000u; }

static void word(const char* what, uint32_t i) {
  puts(what);
  puthex(r16[i] & 0xFFFF);
}

static void ip(const char* what, uint32_t i, const char* label) {
  puts(what);
  const uint32_t at = ((uint32_t)label - window()) & 0xFFFF;
  const uint32_t v = r16[i] & 0xFFFF;
  if (v >= at) {
    puts("+");
    puthex(v - at);
  } else {
    puts("-");
    puthex(at - v);
  }
}

void isr_dispatch(struct frame* f) { unexpected_vector(f); }

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  const uint32_t w = window();
  gdt[SEL_C16 >> 3] = seg_desc(w, 0xFFFF, 0x9A, 0x0);
  gdt[SEL_C16W >> 3] = seg_desc(WRAP_BASE, 0xFFFF, 0x9A, 0x0);
  gdt[SEL_GATE16 >> 3] = own_gate(SEL_C16, (uint32_t)gate_entry - w, 0x84);
  idt[0x40] = own_gate(SEL_C16, (uint32_t)h40_16 - w, 0x86);
  idt[13] = own_gate(SEL_C16, (uint32_t)h_gp16 - w, 0x87);
  idt[14] = own_gate(SEL_C16, (uint32_t)h_pf16 - w, 0x87);
  /* The IP wrap: NOP NOP at 0x20FFFE, a 32-bit RETF at 0x200000, UD2 at 0x210000. */
  volatile uint8_t* wrap = (volatile uint8_t*)WRAP_BASE;
  wrap[0xFFFE] = 0x90;
  wrap[0xFFFF] = 0x90;
  wrap[0x10000] = 0x0F;
  wrap[0x10001] = 0x0B;
  wrap[0] = 0x66;
  wrap[1] = 0xCB;
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pt_low[NOT_PRESENT >> 12] = 0;
  pd[0] = (uint32_t)pt_low | 3;
  paging_on(pd);
  __asm__ volatile("sti");
  puts("code16: guest kernel code in a 16-bit code segment\n");
  puts("the 16-bit code within one 64 KiB window: ");
  puts((uint32_t)c16_end - w <= 0xFFFF ? "yes" : "no");
  putc('\n');
  static struct {
    uint32_t off;
    uint16_t sel;
  } __attribute__((packed)) entry = {0, SEL_C16}, wrapped = {0xFFFE, SEL_C16W};
  entry.off = (uint32_t)c16_entry - w;
  uint32_t esp_call = 0;
  __asm__ volatile("mov %%esp, %0\n lcall *%1" : "=m"(esp_call) : "m"(entry) : "memory");
  puts("far CALL to 16-bit code: ESP at entry ESP-8: ");
  puts(r16[0] == esp_call - 8 ? "yes" : "no");
  putc('\n');
  word("PUSH 0x1234, PUSH 0x5678, POP, POP:", 1);
  word(",", 2);
  word("; PUSH CS: ", 3);
  putc('\n');
  word("LOOP: ", 4);
  word("; near CALL, RET 2: ", 5);
  word("; IN 0x21: ", 6);
  putc('\n');
  puts("16-bit call gate: SP moved by ");
  putdec(esp_before - r16[8]);
  ip(", IP after_gate", 9, after_gate);
  word(", CS ", 10);
  putc('\n');
  ip("INT 0x40 through a 16-bit interrupt gate: IP after_int", 11, after_int);
  word(", CS ", 12);
  word(", FLAGS ", 13);
  putc('\n');
  word("#GP in 16-bit code: error ", 27);
  ip(", IP at_gp", 28, at_gp);
  word(", CS ", 29);
  word(", FLAGS ", 30);
  putc('\n');
  word("#PF in 16-bit code: error ", 18);
  ip(", IP at_pf", 19, at_pf);
  puts(", CR2 ");
  puthex(r16[20]);
  putc('\n');
  word("the monitor's selectors: MOV DS, 0xffe8: #GP ", 23);
  word("; CALL FAR 0xfff0:0: #GP ", 24);
  word("; LAR 0xfff8: ZF ", 25);
  word(", BX ", 26);
  putc('\n');
  puts("16-bit IRET, 32-bit RETF: ESP back where it was: ");
  puts(r16[7] == r16[0] ? "yes" : "no");
  putc('\n');
  uint32_t from_wrap = 0;
  __asm__ volatile("mov $0x600D, %%eax\n lcall *%1\n mov %%eax, %0"
                   : "=r"(from_wrap)
                   : "m"(wrapped)
                   : "eax", "memory");
  puts("IP 0xfffe in a 16-bit segment: wrapped to 0 and returned: ");
  puts(from_wrap == 0x600D ? "yes" : "no");
  putc('\n');
  /* Into 16-bit code by a 16-bit IRET (66 CF), back by a far JMP. */
  __asm__ volatile(
      "mov %%esp, esp_before\n"
      "pushfw\n pushw %0\n pushw %1\n iretw\n"
      ".globl back32\n back32:\n" ::"i"(SEL_C16),
      "r"((uint16_t)((uint32_t)iret_entry - w))
      : "eax", "memory");
  puts("16-bit IRET from 32-bit code into 16-bit code: ESP moved by ");
  putdec(esp_before - r16[21]);
  puts(" (3 words popped: 0 net)");
  word(", CS ", 22);
  putc('\n');
  puts("code16: done\n");
  exit_machine(0);
}

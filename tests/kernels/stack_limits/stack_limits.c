/*
 * The stack_limits test kernel (issue 12): the guest's own stack-segment limit where the
 * monitor moves the stack itself. Under ring compression the real SS cache holds the
 * shadow's descriptor, cut below the hypervisor hole (or loaded empty for an expand-down
 * segment that reaches it), and the monitor pops and pushes for the guest: POP SS, IRET
 * and far RET of the guest kernel (emulated under classic after their #GP, callouts under
 * bt) and the event injector's frames. Natively each pop and push is checked against SS
 * (SDM Vol. 3A, 5.3 and 6.12.1; Vol. 2, POP, IRET, RET): #SS(0) on the current stack, and
 * #SS(SS0) for an interrupt from ring 3 whose TSS stack has no room. Each case below runs
 * with SS a small expand-up segment (limit 0xFFF) or a 16-bit expand-down one (limit
 * 0xFFF, so offsets 0x1000-0xFFFF) and ESP just past its end, with plausible bytes there
 * (a selector, a return frame) so that a monitor that skipped the check would carry on;
 * and once with room (no fault). The #SS handler runs in a conforming ring-0 code segment
 * (so that from ring 3 it stays in ring 3, on the user stack, where the kernel's stack
 * cannot take the frame), records its error code, ESP and the CS image's RPL, puts the
 * TSS's stack back and enters the kernel with INT 0x81, which resumes after the case.
 * Every mode prints native's console (not QEMU's, whose TCG processor does not make these
 * checks: CMakeLists.txt).
 */
#include "own_tables.h"

#define SEL_SMALL 0x30  /* ring-0 data, expand-up, byte-granular limit 0xFFF, 32-bit */
#define SEL_DOWN16 0x38 /* ring-0 data, expand-down, limit 0xFFF, 16-bit (B = 0) */
#define SEL_KCONF 0x40  /* ring-0 conforming code, flat */
#define GDT_ENTRIES 9

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(16))); /* (ss_stub puts its stack back) */
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));

/* What the #SS handler saw (0 in ss_hit: no #SS). */
volatile uint32_t ss_hit, ss_error, ss_esp, ss_rpl;
/* Where INT 0x81 resumes: the kernel's ESP and the address after the case. */
volatile uint32_t saved_esp, resume, kernel_top;

extern char ss_stub[], resume_stub[];
__asm__(
    ".text\n"
    /* #SS: error code, EIP, CS, EFLAGS (and ESP, SS from ring 3, which stays in ring 3). */
    "ss_stub: movl $1, ss_hit\n"
    " mov %esp, ss_esp\n"
    " mov (%esp), %eax\n mov %eax, ss_error\n"
    " mov 8(%esp), %eax\n and $3, %eax\n mov %eax, ss_rpl\n"
    " movl $0x10, tss+8\n mov kernel_top, %eax\n mov %eax, tss+4\n"
    " int $0x81\n"
    /* INT 0x81 (DPL 3): the kernel's data segments and stack back, then the resume point. */
    "resume_stub: mov $0x10, %eax\n mov %eax, %ds\n mov %eax, %es\n mov %eax, %ss\n"
    " mov saved_esp, %esp\n jmp *resume\n");

void isr_dispatch(struct frame* f) { unexpected_vector(f); }

/* Runs `body` (which may fault with #SS) with the kernel's stack saved; resumes after it
 * either way, with SS and ESP the kernel's. */
#define CASE(body)                                                              \
  __asm__ volatile("movl $0, ss_hit\n mov %%esp, saved_esp\n movl $1f, resume\n" \
                   "xor %%eax, %%eax\n" body "\n"                                \
                   "1: mov $0x10, %%eax\n mov %%eax, %%ss\n mov saved_esp, %%esp\n" :: \
                       : "eax", "cc", "memory")

/* Low memory around 0x1000 and 0xFFFE, where the cases' stacks end. */
static void put16(uint32_t at, uint16_t v) {
  __asm__ volatile("movw %w1, (%0)" ::"r"(at), "r"(v) : "memory");
}
static void put32(uint32_t at, uint32_t v) {
  __asm__ volatile("movl %1, (%0)" ::"r"(at), "r"(v) : "memory");
}

/* `top`: print the handler's ESP below it (the user stack, whose address is the build's). */
static void report(const char* what, uint32_t top) {
  puts(what);
  if (ss_hit) {
    puts(": #SS error ");
    puthex(ss_error);
    puts(", handler's esp ");
    if (top) {
      puts("the user stack's top - ");
      putdec(top - ss_esp);
    } else {
      puthex(ss_esp);
    }
    puts(" in ring ");
    putdec(ss_rpl);
  } else {
    puts(": no fault");
  }
  putc('\n');
}

void finish(void) {
  report("int 0x80 from ring 3 with SS0 0x30 (limit 0xfff), ESP0 0x1010",
         (uint32_t)(user_stack + sizeof user_stack));
  puts("stack_limits: done\n");
  exit_machine(0);
}

static void user_main(void) {
  __asm__ volatile("int $0x80" ::: "memory");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  kernel_top = (uint32_t)(kernel_stack + sizeof kernel_stack);
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, kernel_top);
  gdt[SEL_SMALL >> 3] = seg_desc(0, 0xFFF, 0x92, 0x4);
  gdt[SEL_DOWN16 >> 3] = seg_desc(0, 0xFFF, 0x96, 0x0);
  gdt[SEL_KCONF >> 3] = seg_desc(0, 0xFFFFF, 0x9E, 0xC);
  idt[12] = own_gate(SEL_KCONF, (uint32_t)ss_stub, 0x8E);
  idt[0x81] = own_gate(SEL_KCODE, (uint32_t)resume_stub, 0xEE);
  puts("stack_limits: the guest's own SS limit where the monitor moves the stack\n");

  /* POP SS reads [SS:ESP]: 0x1000 is past the limit 0xFFF; a selector lies there. */
  put32(0x1000, SEL_SMALL);
  CASE("mov $0x30, %%eax\n mov %%eax, %%ss\n mov $0x1000, %%esp\n pop %%ss");
  report("pop ss with SS 0x30 (limit 0xfff), ESP 0x1000", 0);
  put32(0xFFC, SEL_SMALL);
  CASE("mov $0x30, %%eax\n mov %%eax, %%ss\n mov $0xffc, %%esp\n pop %%ss");
  report("pop ss with SS 0x30 (limit 0xfff), ESP 0xffc", 0);

  /* IRET pops EIP, CS, EFLAGS: at 0xFFC the CS and EFLAGS dwords are past the limit. */
  put32(0x1000, SEL_KCODE);
  put32(0x1004, 0x2);
  CASE("mov $0x30, %%eax\n mov %%eax, %%ss\n mov $0xffc, %%esp\n movl $1f, 0xffc\n iret");
  report("iret with SS 0x30 (limit 0xfff), ESP 0xffc", 0);
  put32(0xFF4, SEL_KCODE);
  put32(0xFF8, 0x2);
  CASE("mov $0x30, %%eax\n mov %%eax, %%ss\n mov $0xff0, %%esp\n movl $1f, 0xff0\n iret");
  report("iret with SS 0x30 (limit 0xfff), ESP 0xff0", 0);

  /* A far RET pops EIP and CS: at 0xFFC the CS dword is past the limit. */
  put32(0x1000, SEL_KCODE);
  CASE("mov $0x30, %%eax\n mov %%eax, %%ss\n mov $0xffc, %%esp\n movl $1f, 0xffc\n lret");
  report("lret with SS 0x30 (limit 0xfff), ESP 0xffc", 0);

  /* The 16-bit expand-down stack holds offsets 0x1000-0xFFFF: a 4-byte POP SS at SP
   * 0xFFFE reaches 0x10001. */
  put16(0xFFFE, SEL_DOWN16);
  CASE("mov $0x38, %%eax\n mov %%eax, %%ss\n mov $0xfffe, %%esp\n pop %%ss");
  report("pop ss with SS 0x38 (expand-down, 16-bit, limit 0xfff), SP 0xfffe", 0);
  put32(0xFFF0, SEL_DOWN16);
  CASE("mov $0x38, %%eax\n mov %%eax, %%ss\n mov $0xfff0, %%esp\n pop %%ss");
  report("pop ss with SS 0x38 (expand-down, 16-bit, limit 0xfff), SP 0xfff0", 0);

  /* From ring 3: INT 0x80's frame (SS, ESP, EFLAGS, CS, EIP) goes to SS0:ESP0, where the
   * first push (at 0x100C) is past the limit: #SS(SS0), taken in ring 3 (conforming). */
  tss.ss0 = SEL_SMALL;
  tss.esp0 = 0x1010;
  saved_esp = kernel_top;
  resume = (uint32_t)finish;
  enter_ring3(user_main, user_stack + sizeof user_stack);
}

/*
 * The realmode test kernel (issue 12): a Multiboot kernel drops to real-address mode and
 * comes back, as real kernels do for BIOS calls, reboots and SMP trampolines (SDM Vol. 3A,
 * 9.9.2 "Switching Back to Real-Address Mode"): from 32-bit code, a far JMP to a 16-bit
 * code segment with a 64 KiB limit, 16-bit data segments with 64 KiB limits loaded, an IVT
 * pointer loaded with LIDT, CR0.PE cleared, and a far JMP that loads CS with a real-mode
 * paragraph. The real-mode code runs from a copy at 0x8000 (CS = 0x0800, DS = SS = 0):
 *  - prints through COM1 itself (polling the line status register);
 *  - takes INT 0x60 through its own IVT entry (FLAGS, CS, IP on the stack, IF cleared);
 *  - takes a #DE (DIV by zero) whose handler records the faulting IP and skips it;
 *  - takes the PIT's IRQ 0 (vector 0x20 as klib programmed the PIC) through the IVT while
 *    halted, and acknowledges it;
 *  - makes two far CALLs to the same code through two segment:offset pairs (0x0800 and
 *    0x0700), which see their own CS, and returns with RETF;
 *  - reads and writes a kernel variable above 1 MiB through FS, whose 4 GiB limit from
 *    protected mode survived the real-mode load of FS with 0 ("unreal mode");
 *  - writes through a CS override (real mode checks no segment type);
 * then sets PE and far-jumps to 32-bit code, which reloads the segments, the IDT and the
 * stack and prints what the real-mode code recorded. Native, trap --npt (the VT CPU's
 * "unrestricted guest") and QEMU print the same console (expected.txt); the modes that do
 * not virtualize real mode stop cleanly at the MOV to CR0, exit 74, with a message that
 * names the mode (stop_expected.txt, stop_message_*.txt).
 */
#include "own_tables.h"

#define RM_BASE 0x8000u /* where the real-mode code runs */
#define RES 0x600u      /* the results, below the code (DS = 0) */
#define SEL_C16 0x30    /* 16-bit code, base RM_BASE, limit 0xFFFF */
#define SEL_D16 0x38    /* 16-bit data, base 0, limit 0xFFFF */
#define GDT_ENTRIES 8

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));

/* A kernel variable above 1 MiB, which real mode reaches only through the unreal FS. */
volatile uint32_t above_1m = 0x600DF00Du;
uint32_t saved_esp;
struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) saved_idtr;

extern char rm_begin[], rm_end[], pm16_entry[], rm_entry[], after_int60[], at_div[], farproc[];
void rm_thunk(void);

/* The thunk's 32-bit half, in the kernel: out to the 16-bit segment, and back. */
__asm__(
    ".text\n"
    ".global rm_thunk\n"
    "rm_thunk:\n"
    " pushal\n"
    " mov %esp, saved_esp\n"
    " sidt saved_idtr\n"
    " cli\n"
    " ljmp $0x30, $(pm16_entry - rm_begin)\n"
    ".global rm_return32\n"
    "rm_return32:\n" /* CS = 0x08 again, by the real-mode code's far JMP */
    " mov $0x10, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %fs\n mov %ax, %gs\n"
    " mov %ax, %ss\n mov saved_esp, %esp\n"
    " lidt saved_idtr\n"
    " popal\n"
    " ret\n");

/* The code copied to RM_BASE. Every address in it is an offset from rm_begin (CS-relative)
 * or RM_BASE plus that offset (DS-relative, DS = 0). */
__asm__(
    ".text\n"
    ".set RMB, 0x8000\n"
    ".p2align 4\n"
    ".global rm_begin\n"
    "rm_begin:\n"
    ".code16\n"
    /* 16-bit protected mode, CS = SEL_C16: 64 KiB data segments, FS flat 4 GiB. */
    ".global pm16_entry\n"
    "pm16_entry:\n"
    " mov $0x38, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n mov %ax, %gs\n"
    " mov $0x10, %ax\n mov %ax, %fs\n"
    " mov $0x7000, %esp\n"
    " lidt (RMB + ivt_pointer - rm_begin)\n"
    " mov %cr0, %eax\n and $0xFFFFFFFE, %eax\n mov %eax, %cr0\n"
    " ljmp $0x0800, $(rm_entry - rm_begin)\n"
    /* Real-address mode. */
    ".global rm_entry\n"
    "rm_entry:\n"
    " xor %ax, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n mov $0x7000, %sp\n"
    " cld\n"
    " mov %cs, %ax\n mov %ax, 0x600\n"
    " mov %cr0, %eax\n mov %eax, 0x63C\n"
    " mov $(RMB + s_hello - rm_begin), %si\n call rm_puts\n"
    /* The IVT: #DE, IRQ 0 at vector 0x20, INT 0x60. */
    " movw $(h_de - rm_begin), 0x0\n movw $0x0800, 0x2\n"
    " movw $(h_irq0 - rm_begin), 0x80\n movw $0x0800, 0x82\n"
    " movw $(h_int60 - rm_begin), 0x180\n movw $0x0800, 0x182\n"
    /* INT 0x60 with IF and CF set: the handler returns 0xBEEF in AX. */
    " xor %ax, %ax\n sti\n stc\n int $0x60\n"
    ".global after_int60\n"
    "after_int60:\n"
    " cli\n mov %ax, 0x604\n"
    /* #DE: 1234 / 0. */
    " mov $1234, %ax\n xor %bl, %bl\n"
    ".global at_div\n"
    "at_div: div %bl\n"
    /* IRQ 0: unmask it, wait halted until the handler counted one, mask it again. */
    " movw $0, 0x61C\n"
    " in $0x21, %al\n and $0xFE, %al\n out %al, $0x21\n"
    " sti\n"
    "1: hlt\n cmpw $0, 0x61C\n je 1b\n"
    " cli\n"
    " in $0x21, %al\n or $0x01, %al\n out %al, $0x21\n"
    /* Far calls to farproc as 0x0800:x and as 0x0700:x+0x1000 (the same linear address). */
    " lcall $0x0800, $(farproc - rm_begin)\n mov %ax, 0x620\n"
    " lcall $0x0700, $(farproc - rm_begin + 0x1000)\n mov %ax, 0x640\n"
    /* Unreal mode: FS loaded with 0 keeps its 4 GiB limit. */
    " xor %ax, %ax\n mov %ax, %fs\n"
    " mov 0x6F0, %ebx\n"
    " addr32 mov %fs:(%ebx), %eax\n mov %eax, 0x62C\n"
    " addr32 movl $0xCAFEF00D, %fs:(%ebx)\n"
    /* A write through CS. */
    " movw $0x5A5A, %cs:(cs_var - rm_begin)\n mov %cs:(cs_var - rm_begin), %ax\n"
    " mov %ax, 0x634\n"
    " mov $(RMB + s_bye - rm_begin), %si\n call rm_puts\n"
    " mov %sp, 0x638\n"
    /* Back to protected mode: PE, then a far JMP to 32-bit code. */
    " mov %cr0, %eax\n or $1, %al\n mov %eax, %cr0\n"
    " .byte 0x66, 0xEA\n .long rm_return32\n .word 0x08\n"
    /* DS:SI, a NUL-terminated string, to COM1. */
    "rm_puts: push %ax\n push %dx\n"
    "2: lodsb\n test %al, %al\n jz 4f\n mov %al, %ah\n mov $0x3FD, %dx\n"
    "3: in %dx, %al\n test $0x20, %al\n jz 3b\n"
    " mov $0x3F8, %dx\n mov %ah, %al\n out %al, %dx\n jmp 2b\n"
    "4: pop %dx\n pop %ax\n ret\n"
    /* INT 0x60: the frame (IP, CS, FLAGS) and the handler's own FLAGS. */
    "h_int60: mov %sp, %bp\n"
    " mov (%bp), %ax\n mov %ax, 0x610\n"
    " mov 2(%bp), %ax\n mov %ax, 0x60C\n"
    " mov 4(%bp), %ax\n mov %ax, 0x608\n"
    " pushf\n pop %ax\n mov %ax, 0x64C\n"
    " mov $0xBEEF, %ax\n iret\n"
    /* #DE: the faulting IP and CS; IP moves past the 2-byte DIV. */
    "h_de: mov %sp, %bp\n"
    " mov (%bp), %ax\n mov %ax, 0x614\n"
    " mov 2(%bp), %ax\n mov %ax, 0x618\n"
    " addw $2, (%bp)\n iret\n"
    "h_irq0: push %ax\n incw 0x61C\n mov $0x20, %al\n out %al, $0x20\n pop %ax\n iret\n"
    /* The far CALL's target: its own CS in AX, the return address from the stack. */
    ".global farproc\n"
    "farproc: mov %sp, %bp\n"
    " mov (%bp), %ax\n mov %ax, 0x628\n"
    " mov 2(%bp), %ax\n mov %ax, 0x624\n"
    " mov %cs, %ax\n lret\n"
    "cs_var: .word 0\n"
    "ivt_pointer: .word 0x3FF\n .long 0\n"
    "s_hello: .asciz \"real mode: hello from CS 0x0800, through COM1\\n\"\n"
    "s_bye: .asciz \"real mode: back to protected mode\\n\"\n"
    ".code32\n"
    ".global rm_end\n"
    "rm_end:\n");

/* A pointer to low physical memory (paging is off), hidden from the compiler, which
 * otherwise takes a constant address below 4 KiB for a null pointer's neighbour. */
static volatile uint8_t* low(uint32_t addr) {
  volatile uint8_t* p;
  __asm__("" : "=r"(p) : "0"(addr));
  return p;
}
static uint16_t word_at(uint32_t off) {
  return *(volatile uint16_t*)low(RES + off);
}
static uint32_t dword_at(uint32_t off) {
  return *(volatile uint32_t*)low(RES + off);
}

void isr_dispatch(struct frame* f) { unexpected_vector(f); }

static void yes(int b) {
  puts(b ? "yes\n" : "no\n");
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  gdt[6] = seg_desc(RM_BASE, 0xFFFF, 0x9A, 0x0);
  gdt[7] = seg_desc(0, 0xFFFF, 0x92, 0x0);
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  pic_init(0xFF);
  pit_init(100);
  puts("realmode: to real-address mode and back\n");
  const uint32_t size = (uint32_t)(rm_end - rm_begin);
  puts("the real-mode code fits below the Multiboot area: ");
  yes(RM_BASE + size <= 0x9000u);
  volatile uint8_t* const code = low(RM_BASE);
  for (uint32_t i = 0; i < size; ++i) code[i] = (uint8_t)rm_begin[i];
  volatile uint8_t* const res = low(RES);
  for (uint32_t i = 0; i < 0x100; ++i) res[i] = 0;
  *(volatile uint32_t*)(res + 0xF0) = (uint32_t)&above_1m;
  rm_thunk();
  puts("back in protected mode: CS ");
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  puthex(cs);
  puts("\nCS in real mode: ");
  puthex(word_at(0x00));
  puts(", CR0.PE there: ");
  puthex(dword_at(0x3C) & 1);
  puts("\nINT 0x60: AX ");
  puthex(word_at(0x04));
  puts(", frame IP after_int60+");
  puthex((uint32_t)(word_at(0x10) - (uint16_t)(after_int60 - rm_begin)));
  puts(" CS ");
  puthex(word_at(0x0C));
  puts(" FLAGS.IF,CF ");
  puthex(word_at(0x08) & 0x201);
  puts(", the handler's IF ");
  puthex(word_at(0x4C) & 0x200);
  puts("\n#DE: frame IP at_div+");
  puthex((uint32_t)(word_at(0x14) - (uint16_t)(at_div - rm_begin)));
  puts(" CS ");
  puthex(word_at(0x18));
  puts("\nIRQ 0 through the IVT while halted: ");
  yes(word_at(0x1C) >= 1);
  puts("far CALL 0x0800:farproc: CS ");
  puthex(word_at(0x20));
  puts("; 0x0700:farproc+0x1000: CS ");
  puthex(word_at(0x40));
  puts(", return CS ");
  puthex(word_at(0x24));
  puts("\nunreal mode: FS:[EBX] above 1 MiB read ");
  puthex(dword_at(0x2C));
  puts(", the variable after the write ");
  puthex(above_1m);
  puts("\nwrite through CS: ");
  puthex(word_at(0x34));
  puts("\nSP at the end: ");
  puthex(word_at(0x38));
  puts("\nrealmode: done\n");
  exit_machine(0);
}

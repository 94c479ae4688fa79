/*
 * The small library every test kernel in tests/kernels/ shares: port I/O, a polled COM1
 * console, the exit port, and flat GDT/TSS/IDT set-up with one C dispatcher for all
 * interrupt vectors (boot.S holds the entry stubs).
 */
#ifndef VMLAB_TEST_KLIB_H
#define VMLAB_TEST_KLIB_H

#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28

/* The frame boot.S builds for isr_dispatch: segment registers, PUSHA, vector, error code,
 * then what the CPU pushed (user ESP and SS only on a change from ring 3). */
struct frame {
  uint32_t es, ds;
  uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags, user_esp, user_ss;
};

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v) {
  __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint16_t inw(uint16_t port) {
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint32_t inl(uint16_t port) {
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

/* Paging on with the page directory `pd` (CR3, then CR0.PG): the kernel runs on,
 * identity-mapped. */
static inline void paging_on(const uint32_t* pd) {
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");
}

void console_init(void);
void putc(char c);
void puts(const char* s);
void puthex(uint32_t v);
void putdec(uint32_t v);
_Noreturn void exit_machine(uint32_t status);

/* A segment descriptor (SDM Vol. 3A 3.4.5): `flags` is G, D/B, L, AVL (bits 55-52). */
uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
/* GDT (ring-0 and ring-3 flat code/data, a TSS) and an IDT whose listed vectors (0, 6,
 * 13, 14, 0x20, 0x40-0x45, 0x80) go to isr_dispatch; 0x80 is callable from ring 3. */
void tables_init(void);
/* The GDT tables_init() built (6 entries), for a kernel that copies it into a bigger one
 * (SGDT reports the monitor's table under ring compression). */
const uint64_t* klib_gdt(void);
void pic_init(uint8_t master_mask);
/* Masks every line of both PICs (OCW1), without reprogramming them: a kernel that runs with
 * IF set and wants no PIC interrupt. Under QEMU, SeaBIOS leaves the PIT ticking with IRQ 0
 * unmasked on vector 8, and a tick would arrive at a point that depends on the host's
 * timing. (Inline, as outb: a kernel's instructions are as if it wrote the two ports.) */
static inline void pic_mask_all(void) {
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
}
void pit_init(uint32_t hz);
/* Switches to ring 3 at `entry` with the stack `stack_top`, IF set. */
_Noreturn void enter_ring3(void (*entry)(void), void* stack_top);

/* Each kernel defines its handler. */
void isr_dispatch(struct frame* f);
/* A handler's last resort: prints "unexpected vector V error E at EIP" and ends the run
 * with status 1. */
_Noreturn void unexpected_vector(const struct frame* f);

/* Compares the command line's words after the image path with `word`. */
int cmdline_has(const struct multiboot_info* mbi, const char* word);

#endif

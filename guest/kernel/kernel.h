/*
 * Declarations shared across the kernel, grouped by the file that defines them,
 * so this header reads as a table of contents.
 */
#ifndef VMLAB_GUEST_KERNEL_H
#define VMLAB_GUEST_KERNEL_H

#include "../common/fmt.h"
#include "pv_ops.h"
#include "x86.h"

#define HZ 100          /* PIT interrupts per second                     */
#define QUANTUM_TICKS 2 /* round-robin time slice, in PIT ticks          */

/* kprintf.c */
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char* fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void* memset(void* dst, int c, u32 n);
void* memcpy(void* dst, const void* src, u32 n);
u32 strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, u32 n);

/* gdt.c */
extern u16 kernel_cs, kernel_ds;
void gdt_init(void);
void tss_set_esp0(u32 esp0); /* a plain store: used by the native table */

/* idt.c */
void idt_init(void);

/* trap.c: counters, printed as the "kstat" line when init exits */
struct kstat {
  u32 ticks;       /* PIT interrupts                                  */
  u32 preemptions; /* time slices that ran out in user mode           */
  u32 switches;    /* context switches (swtch to another process)     */
  u32 syscalls;
  u32 hidden_faults; /* page faults resolved by the kernel (COW, zero)  */
  u32 true_faults;   /* faults reported to a process (catch or kill)    */
};
extern struct kstat kstat;
void trap(struct trapframe* tf);

/* pic.c */
void pic_init(void);
void pic_eoi(u32 irq);

/* pit.c */
void pit_init(u32 hz);

/* uart.c */
void uart_init(void);
void uart_enable_rx_irq(void);
void uart_write(const char* buf, u32 len);
void uart_intr(void);
int uart_read(char* buf, u32 len); /* blocks until at least one byte */
/* Console input from elsewhere than the UART (the PV console ring): the room left in the
 * input buffer, bytes into it (the rest dropped), and the refill hook uart_read calls
 * after it has taken bytes (set under PV). */
u32 console_rx_room(void);
void console_rx(const char* buf, u32 n);
extern void (*console_refill)(void);

/* cmdline.c: the Multiboot command line becomes init's argv */
#define MAX_ARGS 16
#define MAX_ARG_BYTES 256
void cmdline_init(const char* multiboot_cmdline);
extern const char* boot_argv[MAX_ARGS + 1];
extern const char* boot_cmdline;

/* pv_boot.c: the paravirtual boot path (start-info in place of Multiboot) */
void kmain_pv(u32 start_info_va) __attribute__((noreturn));
int pv_hostile_run(void); /* the `hostile` workload's refusals; -1 when not PV */

/* bench.c */
int sys_bench(u32 op, u32 iters, u32 arg, u32 cycles_out);

/* lapic.c: the `tpr` workload's loop; 0, -1 or BENCH_NO_APIC* (common/abi.h) */
int lapic_tpr_loop(u32 iters, u64* cycles);

#endif

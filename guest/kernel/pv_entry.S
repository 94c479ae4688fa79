/*
 * pv_entry.S: the kernel's entry and exit under paravirtualization
 * (docs/modes/paravirt.md, "Exceptions and events").
 *
 * The frames are the ones trapentry.S builds (struct trapframe), so trap()
 * serves both. What differs is the virtual interrupt flag, a byte in the
 * shared-info page (upcall_mask) rather than EFLAGS.IF:
 *  - Exceptions are bounced here by the monitor, which masks events on the way
 *    in, as an interrupt gate clears IF.
 *  - The system call (INT 0x80) comes straight from the hardware through a trap
 *    gate, without the monitor: its stub masks events itself (a window of a few
 *    instructions in which an event upcall may nest; it finds the kernel's
 *    state untouched and returns).
 *  - The event upcall (timer) comes from the monitor with events masked.
 *  - pv_trap_return unmasks events when it goes back to user mode, or to kernel
 *    code that had them on (the monitor put the virtual IF into the saved
 *    EFLAGS), and handles any event that arrived meanwhile before the IRET, as
 *    the native IRET would take a pending interrupt at once.
 */
#include "pv_abi.h"

#define TF_VECTOR 48
#define TF_CS 60
#define TF_EFLAGS 64
#define SI_UPCALL_PENDING 0
#define SI_UPCALL_MASK 1
#define EFLAGS_IF 0x200
#define PV_UPCALL_VECTOR 0x100

.macro PV_TRAP_NO_ERROR vector
pv_trap_entry_\vector:
  pushl $0
  pushl $\vector
  jmp pv_trap_common
.endm

.macro PV_TRAP_WITH_ERROR vector
pv_trap_entry_\vector:
  pushl $\vector
  jmp pv_trap_common
.endm

  .text
PV_TRAP_NO_ERROR 0
PV_TRAP_NO_ERROR 1
PV_TRAP_NO_ERROR 2
PV_TRAP_NO_ERROR 3
PV_TRAP_NO_ERROR 4
PV_TRAP_NO_ERROR 5
PV_TRAP_NO_ERROR 6
PV_TRAP_NO_ERROR 7
PV_TRAP_WITH_ERROR 8
PV_TRAP_NO_ERROR 9
PV_TRAP_WITH_ERROR 10
PV_TRAP_WITH_ERROR 11
PV_TRAP_WITH_ERROR 12
PV_TRAP_WITH_ERROR 13
PV_TRAP_WITH_ERROR 14
PV_TRAP_NO_ERROR 15
PV_TRAP_NO_ERROR 16
PV_TRAP_WITH_ERROR 17
.irp v, 18,19,20,21,22,23,24,25,26,27,28,29,30,31
PV_TRAP_NO_ERROR \v
.endr

  .globl pv_syscall_entry
pv_syscall_entry:
  pushl $0
  pushl $0x80
  jmp pv_trap_common

  .globl pv_upcall_entry
pv_upcall_entry:
  pushl $0
  pushl $PV_UPCALL_VECTOR
  jmp pv_trap_common

pv_trap_common:
  cld
  pushal
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  movl $PV_RING1_DS, %eax /* the ABI's kernel data selector: no MOV from SS */
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %fs
  movw %ax, %gs
  movl pv_shared, %eax
  movb $1, SI_UPCALL_MASK(%eax) /* events off in the kernel */
  pushl %esp                    /* pv_trap(struct trapframe *) */
  call pv_trap
  addl $4, %esp

/* Also where a new process starts under PV (pv->user_return, proc.c). */
  .globl pv_trap_return
pv_trap_return:
  movl pv_shared, %eax
  testl $3, TF_CS(%esp)
  jnz 1f                        /* to user mode: events on */
  testl $EFLAGS_IF, TF_EFLAGS(%esp)
  jz 2f                         /* to kernel code that had them off */
1:
  movb $0, SI_UPCALL_MASK(%eax)
  cmpb $0, SI_UPCALL_PENDING(%eax)
  je 2f
  movb $1, SI_UPCALL_MASK(%eax) /* an event came while they were off: handle it */
  pushl %esp
  call pv_handle_events
  addl $4, %esp
  jmp pv_trap_return
2:
  popl %gs
  popl %fs
  popl %es
  popl %ds
  popal
  addl $8, %esp /* vector and error code */
  iret

  .section .rodata
  .balign 4
  .globl pv_trap_vectors
pv_trap_vectors:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
  .long pv_trap_entry_\v
.endr
.irp v, 24,25,26,27,28,29,30,31
  .long pv_trap_entry_\v
.endr

/*
 * trapentry.S: the way into the kernel for every exception, interrupt and
 * system call, and the way back out (trap_return).
 *
 * Each stub makes the stack look the same: exceptions without a CPU error code
 * push a 0 in its place, then every stub pushes its vector number. trap_common
 * saves the rest of the trap frame (struct trapframe in x86.h), switches the
 * data segments to the kernel's, and calls trap(frame).
 *
 * The kernel data selector is taken from SS, which the CPU has just loaded from
 * TSS.SS0 (or which already was the kernel's): that works whatever ring the
 * kernel runs in, without hard-coding a selector here.
 */

.macro TRAP_NO_ERROR vector
  .globl trap_entry_\vector
trap_entry_\vector:
  pushl $0
  pushl $\vector
  jmp trap_common
.endm

.macro TRAP_WITH_ERROR vector
  .globl trap_entry_\vector
trap_entry_\vector:
  pushl $\vector
  jmp trap_common
.endm

  .text
/* Vectors with a CPU-pushed error code: 8, 10-14, 17 (SDM 3A table 6-1). */
TRAP_NO_ERROR 0
TRAP_NO_ERROR 1
TRAP_NO_ERROR 2
TRAP_NO_ERROR 3
TRAP_NO_ERROR 4
TRAP_NO_ERROR 5
TRAP_NO_ERROR 6
TRAP_NO_ERROR 7
TRAP_WITH_ERROR 8
TRAP_NO_ERROR 9
TRAP_WITH_ERROR 10
TRAP_WITH_ERROR 11
TRAP_WITH_ERROR 12
TRAP_WITH_ERROR 13
TRAP_WITH_ERROR 14
TRAP_NO_ERROR 15
TRAP_NO_ERROR 16
TRAP_WITH_ERROR 17
.irp v, 18,19,20,21,22,23,24,25,26,27,28,29,30,31
TRAP_NO_ERROR \v
.endr
/* 32..47: the sixteen PIC interrupt lines. */
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
TRAP_NO_ERROR \v
.endr

  .globl trap_syscall_entry
trap_syscall_entry:
  pushl $0
  pushl $0x80
  jmp trap_common

trap_common:
  cld /* the C ABI wants DF = 0; a user program may have set it */
  pushal
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  movl %ss, %eax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %fs
  movw %ax, %gs
  pushl %esp /* trap(struct trapframe *) */
  call trap
  addl $4, %esp

/* Also where a new process starts: sched.c builds a frame that "returns" here. */
  .globl trap_return
trap_return:
  popl %gs
  popl %fs
  popl %es
  popl %ds
  popal
  addl $8, %esp /* vector and error code */
  iret

  .section .rodata
  .balign 4
  .globl trap_vectors
trap_vectors:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
  .long trap_entry_\v
.endr
.irp v, 24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
  .long trap_entry_\v
.endr

/*
 * The user-program entry point. The kernel's exec left argc and argv on the
 * stack (kernel/exec.c); main(argc, argv)'s return value becomes the exit status.
 */
  .section .text.start, "ax"
  .globl _start
_start:
  xorl %ebp, %ebp
  call main
  pushl %eax
  call exit
1:
  jmp 1b

/*
 * void swtch(u32 *save_esp, u32 new_esp)
 *
 * Switches kernel stacks: saves the callee-saved registers (the C calling
 * convention says the caller already saved the others) on the current stack,
 * stores ESP in *save_esp, loads new_esp and pops the same registers from the
 * other stack. The `ret` then continues wherever that stack last called swtch,
 * or, for a new process, at the address sched.c put there (trap_return).
 * The address space (CR3) and TSS.esp0 are switched by the caller, via pv_ops.
 */
  .text
  .globl swtch
swtch:
  movl 4(%esp), %eax
  movl 8(%esp), %edx
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, (%eax)
  movl %edx, %esp
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret

/*
 * int ucatch_set(struct ucatch *pad)
 *
 * Like setjmp(): records where to resume (our return address, ESP as it will
 * be after we return, and the callee-saved registers) and returns 0. When a
 * later fault is caught by the kernel (SYS_catch), the process resumes as if
 * this call returned again, now with CATCH_FLAG | vector in EAX.
 */
  .text
  .globl ucatch_set
ucatch_set:
  movl 4(%esp), %eax
  movl (%esp), %ecx
  movl %ecx, 0(%eax)  /* eip: our return address */
  leal 4(%esp), %ecx
  movl %ecx, 4(%eax)  /* esp: the caller's ESP after `ret` */
  movl %ebp, 8(%eax)
  movl %ebx, 12(%eax)
  movl %esi, 16(%eax)
  movl %edi, 20(%eax)
  xorl %eax, %eax
  ret

/* Entry of the hostile PV kernel: the Multiboot header (the loader needs it), the vmlab
 * PV note, and the PV entry protocol (ring 1, paging on, ESI = the start-info page). */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)

    .section .note.vmlab, "a", @note
    .align 4
    .long 6, 4, 1       /* name size, descriptor size, type 1: the ABI version */
    .asciz "vmlab"
    .align 4
    .long 1

    .section .bss
    .align 16
stack:
    .skip 16384
stack_top:

    .section .text
    .global _start
_start:
    mov $stack_top, %esp
    push %esi           /* the start-info page */
    push %eax           /* the PV magic */
    call kmain
1:  jmp 1b

/* touch(addr): one load that may fault; the page-fault handler resumes after it with
 * EAX = 0xFFFFFFFF. */
    .global touch, touch_resume
touch:
    mov 4(%esp), %eax
    mov (%eax), %eax
touch_resume:
    ret

/* The page-fault handler the trap table names: drop the error code, resume after the
 * load in touch(). The monitor bounced the fault here in ring 1, on this stack. */
    .global pf_entry
pf_entry:
    add $4, %esp
    movl $touch_resume, (%esp)
    mov $0xFFFFFFFF, %eax
    iret

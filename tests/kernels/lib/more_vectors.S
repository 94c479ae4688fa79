/* More interrupt entry stubs for the test kernels that need them (#TS, #NP, #SS and the
 * software vectors 0x81-0x85), with the same frame layout as boot.S's stubs so that one
 * isr_dispatch serves both. klib's tables_init() does not install them: a kernel puts
 * them in its IDT itself (klib_set_gate in the kernel's own code). */
    .macro xstub_noerr n
    .global isr\n
isr\n:
    push $0
    push $\n
    jmp xisr_common
    .endm
    .macro xstub_err n
    .global isr\n
isr\n:
    push $\n
    jmp xisr_common
    .endm

    .section .text
    xstub_err 10
    xstub_err 11
    xstub_err 12
    xstub_noerr 129
    xstub_noerr 130
    xstub_noerr 131
    xstub_noerr 132
    xstub_noerr 133

xisr_common:
    pusha
    push %ds
    push %es
    mov $0x10, %ax       /* kernel data selector */
    mov %ax, %ds
    mov %ax, %es
    push %esp            /* struct frame * */
    call isr_dispatch
    add $4, %esp
    pop %es
    pop %ds
    popa
    add $8, %esp         /* vector and error code */
    iret

/* More interrupt entry stubs for the test kernels that need them (#TS, #NP, #SS and the
 * software vectors 0x81-0x85), with the same frame layout as boot.S's stubs so that one
 * isr_dispatch serves both. klib's tables_init() does not install them: a kernel puts
 * them in its IDT itself (own_gate, own_tables.h). boot.S's isr_common
 * builds the frame and calls isr_dispatch. */
    .macro xstub_noerr n
    .global isr\n
isr\n:
    push $0
    push $\n
    jmp isr_common
    .endm
    .macro xstub_err n
    .global isr\n
isr\n:
    push $\n
    jmp isr_common
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

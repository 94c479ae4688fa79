/* Multiboot 1 entry of the smoke-test kernel (Multiboot spec 0.6.96, section 3.1). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
boot_stack:
    .skip 16384
boot_stack_top:

    .section .text
    .global _start
_start:
    mov $boot_stack_top, %esp
    push %ebx            /* Multiboot information structure */
    push %eax            /* Multiboot magic */
    call kmain
1:  cli
    hlt
    jmp 1b

/* Interrupt entry stubs: each pushes a dummy error code where the CPU pushes none,
 * then the vector, so the C handler sees one frame layout. */
    .macro stub_noerr n
    .global isr\n
isr\n:
    push $0
    push $\n
    jmp isr_common
    .endm
    .macro stub_err n
    .global isr\n
isr\n:
    push $\n
    jmp isr_common
    .endm

    stub_noerr 0
    stub_noerr 6
    stub_err 13
    stub_err 14
    stub_noerr 32
    stub_noerr 64
    stub_noerr 65
    stub_noerr 66
    stub_noerr 67
    stub_noerr 68
    stub_noerr 69
    stub_noerr 128

/* The common entry (more_vectors.S's stubs jump here too). */
    .global isr_common
isr_common:
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

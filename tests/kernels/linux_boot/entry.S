/* The 32-bit entry of a Linux boot-protocol kernel (Documentation/arch/x86/boot.rst,
 * "32-bit Boot Protocol"): the first byte of the protected-mode kernel, loaded at 1 MiB.
 * The registers the protocol defines are saved before anything changes them; the C code
 * checks them. The loader loads only the file: this kernel clears its own bss, as Linux's
 * decompressor does. */
    .section .text.entry, "ax"
    .global linux_entry
linux_entry:
    mov %esi, entry_regs + 0
    mov %ebx, entry_regs + 4
    mov %edi, entry_regs + 8
    mov %ebp, entry_regs + 12
    movw %cs, entry_regs + 16
    movw %ds, entry_regs + 20
    movw %es, entry_regs + 24
    movw %ss, entry_regs + 28
    mov %cr0, %eax
    mov %eax, entry_regs + 32
    mov $boot_stack_top, %esp
    pushf
    pop %eax
    mov %eax, entry_regs + 36
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    call linux_main
1:  cli
    hlt
    jmp 1b

    .section .data
    .global entry_regs
    .align 4
entry_regs:
    .skip 40

    .section .bss
    .align 16
boot_stack:
    .skip 8192
boot_stack_top:

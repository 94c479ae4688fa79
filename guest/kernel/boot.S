/*
 * boot.S: the Multiboot entry point. This and pv_ops_native.c are the only places
 * where privileged instructions appear (tests/check_privileged.py checks it).
 *
 * The loader enters at the *physical* address of _start (the ELF entry is set to
 * it by kernel.ld) with paging off, flat segments, EAX = boot magic and
 * EBX = physical address of the Multiboot information. The kernel is linked at
 * KERNBASE + 1 MiB, so until paging is on every absolute address is translated
 * with V2P().
 *
 * Steps (Multiboot): check the boot protocol; zero .bss; build a boot page directory that
 * maps the first 16 MiB twice (at 0, so the next instruction still runs, and at
 * KERNBASE); turn paging on; jump to the high half; call kmain(). vm.c later
 * replaces this boot mapping with the real one.
 */
#include "multiboot.h"
#include "pv_abi.h"

#define KERNBASE 0xC0000000
#define V2P(x) ((x) - KERNBASE)
#define BOOT_PT_COUNT 4 /* 4 page tables x 4 MiB = 16 MiB */
#define COM1 0x3F8

  .section .multiboot, "a"
  .balign 4
  .long MULTIBOOT_HEADER_MAGIC
  .long MULTIBOOT_HEADER_FLAGS
  .long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

  .section .text.boot, "ax"
  .globl _start
_start:
  /* The protocol check comes first: a PV guest enters here in ring 1, where CLI
   * is privileged. */
  cmpl $MULTIBOOT_BOOT_MAGIC, %eax
  jne boot_other
  cli
  cld
boot_multiboot:
  movl %ebx, %ebp /* keep the Multiboot info pointer */

  /* Zero .bss: the boot page tables and the boot stack live there. */
  movl $V2P(bss_start), %edi
  movl $V2P(bss_end), %ecx
  subl %edi, %ecx
  xorl %eax, %eax
  rep stosb

  /* Boot page tables: entry i maps physical page i, present + writable. */
  movl $V2P(boot_pt), %edi
  movl $0x003, %eax
  movl $(BOOT_PT_COUNT * 1024), %ecx
1:
  movl %eax, (%edi)
  addl $4, %edi
  addl $4096, %eax
  loop 1b

  /* Boot page directory: PDE k and PDE 768+k both point to boot_pt[k]. */
  movl $V2P(boot_pd), %edi
  movl $(V2P(boot_pt) + 0x003), %eax
  xorl %ecx, %ecx
2:
  movl %eax, (%edi,%ecx,4)
  movl %eax, (768 * 4)(%edi,%ecx,4)
  addl $4096, %eax
  incl %ecx
  cmpl $BOOT_PT_COUNT, %ecx
  jne 2b

  movl $V2P(boot_pd), %eax
  movl %eax, %cr3
  movl %cr0, %eax
  orl $0x80010000, %eax /* CR0.PG | CR0.WP (kernel writes honour COW) */
  movl %eax, %cr0

  movl $boot_high, %eax /* an absolute, high address */
  jmp *%eax

boot_high:
  movl $boot_stack_top, %esp
  xorl %eax, %eax /* boot protocol 0 = Multiboot (kmain.c) */
  pushl %ebp      /* kmain(protocol, boot_info_phys) */
  pushl %eax
  call kmain
  jmp boot_halt

/*
 * Not Multiboot. The paravirtual entry (docs/pv-abi.md, "Boot"): the monitor
 * enters here in ring 1 with paging on (its bootstrap tables map RAM at
 * KERNBASE and this low region at its own address), EAX = PV_BOOT_MAGIC and
 * ESI = the virtual address of the start-info page; .bss is already zero. No
 * privileged instruction may run on this path. Anything else is an unknown
 * protocol, reported on COM1.
 */
boot_other:
  cmpl $PV_BOOT_MAGIC, %eax
  je boot_pv
  cli
  cld
  movl $V2P(boot_msg_unknown), %esi
  call boot_early_puts
boot_halt:
  hlt
  jmp boot_halt

boot_pv:
  cld
  movl $boot_stack_top, %esp
  movl $boot_pv_high, %eax /* an absolute, high address */
  jmp *%eax
boot_pv_high:
  pushl %esi /* kmain(protocol 1 = PV, start-info virtual address) */
  pushl $1
  call kmain
boot_pv_stuck:
  jmp boot_pv_stuck

/* Polled output on COM1 before anything is set up; ESI = physical string. */
boot_early_puts:
  movw $(COM1 + 5), %dx
3:
  inb %dx, %al
  testb $0x20, %al /* LSR.THRE: transmitter ready */
  jz 3b
  lodsb
  testb %al, %al
  jz 4f
  movw $COM1, %dx
  outb %al, %dx
  jmp boot_early_puts
4:
  ret

  .section .rodata
boot_msg_unknown:
  .asciz "vmlab-guest: unknown boot protocol (EAX is neither Multiboot nor PV magic)\r\n"

  .section .bss
  .balign 4096
boot_pd:
  .skip 4096
boot_pt:
  .skip 4096 * BOOT_PT_COUNT
boot_stack:
  .skip 16384
boot_stack_top:

/* The paravirtual note (docs/pv-abi.md, "The kernel's note"): this kernel can boot under
 * --mode pv. An ELF note: name size, descriptor size, type, the name, the ABI version. */
    .section .note.vmlab, "a", @note
    .align 4
    .long 6, 4, PV_NOTE_TYPE_ABI
    .asciz "vmlab"
    .align 4
    .long PV_ABI_VERSION

/*
 * Multiboot 1 (the GNU Multiboot Specification 0.6.96, sections 3.1 and 3.3):
 * the header the loader looks for and the information structure it passes in EBX.
 */
#ifndef VMLAB_GUEST_MULTIBOOT_H
#define VMLAB_GUEST_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define MULTIBOOT_BOOT_MAGIC 0x2BADB002 /* in EAX at entry */
/* Header flags: bit 0 = align modules on pages, bit 1 = give us memory info. */
#define MULTIBOOT_HEADER_FLAGS 0x00000003

/*
 * Entry magic of the paravirtual boot protocol (a start-info page, as Xen PV
 * guests have). Reserved here: the PV table lands with the paravirt issue.
 */
#define PV_BOOT_MAGIC 0x564D4C50 /* "PLMV": vmlab paravirtual */

#ifndef __ASSEMBLER__
#include "../common/types.h"

#define MBI_FLAG_MEM 0x001
#define MBI_FLAG_CMDLINE 0x004
#define MBI_FLAG_MMAP 0x040

struct multiboot_info {
  u32 flags;
  u32 mem_lower, mem_upper; /* KiB below 1 MiB / above 1 MiB */
  u32 boot_device;
  u32 cmdline; /* physical address of a C string */
  u32 mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
};

struct multiboot_mmap_entry {
  u32 size; /* of the rest of this entry: the next one is at +size+4 */
  u64 base, length;
  u32 type; /* 1 = available RAM */
} __attribute__((packed));
#endif

#endif

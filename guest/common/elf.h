/*
 * The few ELF32 definitions the kernel's program loader needs (from the System V
 * ABI, "ELF header" and "Program header").
 */
#ifndef VMLAB_GUEST_ELF_H
#define VMLAB_GUEST_ELF_H

#include "types.h"

#define ELF_MAGIC 0x464C457Fu /* "\x7FELF" read as a little-endian word */
#define PT_LOAD 1
#define PF_W 2

struct elf32_ehdr {
  u32 magic;
  u8 ident_rest[12];
  u16 type, machine;
  u32 version, entry, phoff, shoff, flags;
  u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
  u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#endif

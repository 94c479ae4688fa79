#!/usr/bin/env python3
"""Wraps a flat protected-mode image (objcopy -O binary of a kernel linked at 1 MiB) in
the real-mode setup of a Linux boot-protocol 2.15 bzImage (Documentation/arch/x86/boot.rst,
"The real-mode kernel header"): a boot sector and one setup sector holding the setup header
at 0x1F1, then the image. Only the fields a 32-bit boot loader reads are set.

    make_bzimage.py FLAT OUT
"""
import struct
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    flat = open(sys.argv[1], "rb").read()
    setup = bytearray(1024)
    setup[0x1F1] = 1                                   # setup_sects
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)       # boot_flag
    setup[0x200:0x202] = bytes([0xEB, 0x6A])           # jump: the header ends at 0x26C
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020F)       # protocol 2.15
    setup[0x211] = 0x01                                # loadflags: LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, 0x100000)     # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)   # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x1000)       # kernel_alignment
    setup[0x234] = 0                                   # not relocatable
    struct.pack_into("<I", setup, 0x238, 0x7FF)        # cmdline_size
    struct.pack_into("<Q", setup, 0x258, 0x100000)     # pref_address
    struct.pack_into("<I", setup, 0x260, 0x100000)     # init_size (linux_boot.ld checks it)
    with open(sys.argv[2], "wb") as out:
        out.write(setup)
        out.write(flat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

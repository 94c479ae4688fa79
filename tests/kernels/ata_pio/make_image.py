#!/usr/bin/env python3
"""Writes the ata_pio test image: 512 sectors, byte i = (i * 31 + i // 512 * 7) & 0xFF."""
import sys

size = 512 * 512
with open(sys.argv[1], "wb") as f:
    f.write(bytes((i * 31 + (i // 512) * 7) & 0xFF for i in range(size)))

/*
 * The 8042 keyboard controller, polled (ports 0x60 and 0x64), for the test kernels that
 * drive it (keyboard, ps2_mouse): a byte when the output buffer fills within 5000 status
 * reads (-1 otherwise), commands and data after the input buffer empties, the command
 * byte, and a byte as two hex digits.
 */
#pragma once

#include "klib.h"

static inline int read_byte(void) {
  for (int i = 0; i < 5000; ++i) {
    if (inb(0x64) & 0x01) return inb(0x60);
  }
  return -1;
}

static inline void wait_input_empty(void) {
  for (int i = 0; i < 5000 && (inb(0x64) & 0x02); ++i) {
  }
}

static inline void ctl(uint8_t c) {
  wait_input_empty();
  outb(0x64, c);
}

static inline void data(uint8_t d) {
  wait_input_empty();
  outb(0x60, d);
}

static inline int ctr_read(void) {
  ctl(0x20);
  return read_byte();
}

static inline void ctr_write(uint8_t v) {
  ctl(0x60);
  data(v);
}

static inline void hex2(uint32_t v) {
  static const char hex[] = "0123456789abcdef";
  putc(hex[(v >> 4) & 15]);
  putc(hex[v & 15]);
}

/*
 * Fixed-width types shared by the kernel and the user programs.
 *
 * The guest is freestanding: no libc. gcc still provides <stdint.h>, <stddef.h>,
 * <stdarg.h> and <stdbool.h> in freestanding mode, so we use those and add short
 * aliases that keep the low-level code readable.
 */
#ifndef VMLAB_GUEST_TYPES_H
#define VMLAB_GUEST_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t i32;
typedef int64_t i64;

#endif

// The hypervisor hole: the top 64 MiB of every 32-bit address space the monitors build,
// 0xFC000000 to 0xFFFFFFFF, where a monitor keeps the structures the processor must reach
// while the guest runs (its GDT, TSS, IDT; bt's translation cache), mapped supervisor-
// only and cut out of the guest's segments, as Xen keeps itself in the top 64 MB of every
// 32-bit guest's address space (Barham et al. 2003, section 2). This is its one map: the
// base, and the layout of each monitor that uses it.
//
//   ring compression (classic trap, bt; engine/vmm/kit/deprivileged_segments.h)
//     +0x000000  shadow GDT            16 pages, 8192 descriptors
//     +0x010000  monitor TSS           1 page
//     +0x011000  monitor IDT           1 page
//     +0x020000  shadow LDT            16 pages
//   binary translation (modes/binary-translation/translation_cache.h), beside them
//     +0x040000  translator data (%gs) 1 page, then the 512 KiB hash table
//     +0x100000  translation cache     2 MiB
//   paravirtualization (modes/paravirt/pv_monitor.h), its own address spaces
//     +0x000000  monitor GDT           1 page
//     +0x001000  monitor IDT           1 page
//     +0x002000  monitor TSS           1 page
// The VT monitor needs no hole: its guest runs on its own tables at its own privilege.
#pragma once

#include <cstdint>

namespace vmlab::vmm::hole {

inline constexpr uint32_t kBase = 0xFC000000u;
// The last byte below it: where every segment the guest may load ends.
inline constexpr uint32_t kLastGuestByte = kBase - 1;
// Its first page-directory slot (1008): the hole's slots are the monitor's.
inline constexpr uint32_t kFirstPde = kBase >> 22;

// Ring compression's structures (DeprivilegedSegments).
inline constexpr uint32_t kShadowGdt = kBase;
inline constexpr uint32_t kShadowGdtPages = 16;
inline constexpr uint32_t kMonitorTss = kBase + 0x10000;
inline constexpr uint32_t kMonitorIdt = kBase + 0x11000;
inline constexpr uint32_t kShadowLdt = kBase + 0x20000;
inline constexpr uint32_t kShadowLdtPages = 16;

// Binary translation's: the %gs data and hash table, then the translation cache.
inline constexpr uint32_t kTranslatorData = kBase + 0x40000;
inline constexpr uint32_t kTranslationCache = kBase + 0x100000;
inline constexpr uint32_t kTranslationCacheSize = 2u << 20;

// Paravirtualization's (the domain builder's GDT, IDT, TSS).
inline constexpr uint32_t kPvGdt = kBase;
inline constexpr uint32_t kPvIdt = kBase + 0x1000;
inline constexpr uint32_t kPvTss = kBase + 0x2000;

static_assert(kShadowGdt + kShadowGdtPages * 4096 == kMonitorTss);
static_assert(kMonitorIdt < kShadowLdt);
static_assert(kShadowLdt + kShadowLdtPages * 4096 <= kTranslatorData);
static_assert(uint64_t{kTranslationCache} + kTranslationCacheSize <= 0x100000000ull);

}  // namespace vmlab::vmm::hole

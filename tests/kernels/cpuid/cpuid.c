/*
 * What CPUID tells a kernel (issue 12, item 15): the vendor and the family, model and
 * stepping of the modeled processor (SDM Vol. 2A, CPUID, leaves 0 and 1), and, in a
 * virtual machine whose monitor intercepts CPUID, the "hypervisor present" bit (leaf 1,
 * ECX bit 31) and the hypervisor leaf 40000000H with its signature, as under KVM and Xen;
 * then the extended leaves 80000000H-80000004H: the processor's brand string.
 */
#include "klib.h"

static void cpuid(uint32_t leaf, uint32_t r[4]) {
  r[0] = leaf;
  __asm__ volatile("cpuid" : "+a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]));
}

static void put12(uint32_t a, uint32_t b, uint32_t c) {
  const uint32_t w[3] = {a, b, c};
  const char* s = (const char*)w;
  for (int i = 0; i < 12; ++i) putc(s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '.');
}

void isr_dispatch(struct frame* f) {
  (void)f;
  exit_machine(1);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  uint32_t r[4];
  cpuid(0, r);
  puts("vendor: ");
  put12(r[1], r[3], r[2]);
  puts(", max basic leaf ");
  putdec(r[0]);
  putc('\n');
  cpuid(1, r);
  puts("family ");
  putdec(((r[0] >> 8) & 0xF) == 0xF ? 0xF + ((r[0] >> 20) & 0xFF) : (r[0] >> 8) & 0xF);
  puts(", model ");
  putdec(((r[0] >> 4) & 0xF) | ((r[0] >> 12) & 0xF0));
  puts(", stepping ");
  putdec(r[0] & 0xF);
  puts(", hypervisor bit ");
  putdec(r[2] >> 31);
  putc('\n');
  cpuid(0x40000000, r);
  puts("leaf 40000000h: eax ");
  puthex(r[0]);
  puts(", signature ");
  put12(r[1], r[2], r[3]);
  putc('\n');
  /* The extended leaves: the highest, leaf 80000001H's feature flags, the brand string. */
  cpuid(0x80000000u, r);
  const uint32_t max_extended = r[0];
  puts("max extended leaf ");
  puthex(max_extended);
  if (max_extended >= 0x80000004u) {
    cpuid(0x80000001u, r);
    puts(", 80000001h ecx ");
    puthex(r[2]);
    puts(" edx ");
    puthex(r[3]);
    uint32_t brand[13] = {0}; /* 48 bytes, NUL-terminated by the processor */
    for (uint32_t i = 0; i < 3; ++i) cpuid(0x80000002u + i, brand + 4 * i);
    puts("\nbrand [");
    for (const char* c = (const char*)brand; *c != 0; ++c) putc(*c >= 0x20 && *c < 0x7F ? *c : '.');
    puts("]");
  }
  putc('\n');
  exit_machine(0);
}

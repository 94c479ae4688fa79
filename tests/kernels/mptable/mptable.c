/*
 * The MP configuration table a kernel booted by qemu-system-i386 -kernel finds: the MP
 * floating pointer structure (Intel MultiProcessor Specification 1.4, chapter 4: "_MP_",
 * 16 bytes on a 16-byte boundary, searched in the first KiB of the EBDA, the last KiB of
 * base memory, then the BIOS ROM at 0xF0000-0xFFFFF, in that order), its checksums, and
 * every entry of the configuration table it points to (processors, buses, I/O APICs, I/O
 * and local interrupt assignments). xv6 and many teaching kernels find their local APIC,
 * I/O APIC and ISA interrupt routing there. It prints what it read on COM1, so that its
 * console is byte-identical under vmlab and QEMU (tests/kernels/compare_with_qemu.sh).
 */
#include "klib.h"

void isr_dispatch(struct frame* f) {
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

/* GCC takes constant addresses below 4 KiB for null-pointer arithmetic; hide the base. */
static const volatile uint8_t* phys(uint32_t a) {
  __asm__("" : "+r"(a));
  return (const volatile uint8_t*)a;
}
static uint32_t rd8(uint32_t a) { return *phys(a); }
static uint32_t rd16(uint32_t a) { return rd8(a) | rd8(a + 1) << 8; }
static uint32_t rd32(uint32_t a) { return rd16(a) | rd16(a + 2) << 16; }

static uint8_t sum(uint32_t a, uint32_t len) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < len; ++i) s = (uint8_t)(s + rd8(a + i));
  return s;
}

static void field(const char* name, uint32_t v) {
  puts(name);
  puts("=");
  puthex(v);
  puts(" ");
}

static void text(const char* name, uint32_t a, uint32_t len) {
  puts(name);
  puts("='");
  for (uint32_t i = 0; i < len; ++i) {
    const uint32_t c = rd8(a + i);
    char s[2] = {(char)(c >= 0x20 && c < 0x7F ? c : '.'), 0};
    puts(s);
  }
  puts("' ");
}

/* The floating pointer in [base, base + len): its address, or 0. */
static uint32_t scan(uint32_t base, uint32_t len) {
  for (uint32_t a = base; a + 16 <= base + len; a += 16) {
    if (rd8(a) == '_' && rd8(a + 1) == 'M' && rd8(a + 2) == 'P' && rd8(a + 3) == '_' &&
        sum(a, 16) == 0) {
      return a;
    }
  }
  return 0;
}

static uint32_t cpuid1_eax, cpuid1_edx;

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("mptable test\n");
  uint32_t ebx, ecx;
  __asm__ volatile("cpuid" : "=a"(cpuid1_eax), "=b"(ebx), "=c"(ecx), "=d"(cpuid1_edx) : "a"(1));
  const uint32_t ebda = rd16(0x40E) << 4;
  const uint32_t base_end = rd16(0x413) * 1024;
  uint32_t mp = 0;
  const char* where = "nowhere";
  if (ebda && (mp = scan(ebda, 1024))) {
    where = "the EBDA's first KiB";
  } else if ((mp = scan(base_end - 1024, 1024))) {
    where = "the last KiB of base memory";
  } else if ((mp = scan(0xF0000, 0x10000))) {
    where = "the BIOS ROM";
  }
  puts("floating pointer in ");
  puts(where);
  puts("\n");
  if (!mp) exit_machine(1);
  field("length", rd8(mp + 8));
  field("spec", rd8(mp + 9));
  field("feature1", rd8(mp + 11));
  field("feature2", rd8(mp + 12));
  field("feature3-5", rd8(mp + 13) | rd8(mp + 14) << 8 | rd8(mp + 15) << 16);
  puts("\n");
  const uint32_t t = rd32(mp + 4);
  if (!t) {
    puts("no configuration table (a default configuration)\n");
    exit_machine(0);
  }
  puts("table ");
  puts(t >= 0xF0000 ? "in the BIOS ROM" : t >= 0x9FC00 && t < 0xA0000 ? "in the EBDA" : "elsewhere");
  puts(t > mp ? ", after the pointer\n" : ", before the pointer\n");
  text("signature", t, 4);
  const uint32_t len = rd16(t + 4);
  field("length", len);
  field("spec", rd8(t + 6));
  field("checksum ok", sum(t, len) == 0);
  puts("\n");
  text("oem", t + 8, 8);
  text("product", t + 16, 12);
  field("oem table", rd32(t + 28));
  field("oem size", rd16(t + 32));
  puts("\n");
  const uint32_t count = rd16(t + 34);
  field("entries", count);
  field("lapic", rd32(t + 36));
  field("ext length", rd16(t + 40));
  field("ext checksum", rd8(t + 42));
  puts("\n");
  uint32_t e = t + 44;
  for (uint32_t i = 0; i < count && e < t + len; ++i) {
    const uint32_t type = rd8(e);
    putdec(i);
    puts(": ");
    switch (type) {
      case 0:
        puts("processor ");
        field("apic id", rd8(e + 1));
        field("version", rd8(e + 2));
        field("flags", rd8(e + 3));
        /* The BIOS's CPUID leaf 1 (the models differ: QEMU's qemu32 has more features). */
        field("signature is cpuid.1.eax", rd32(e + 4) == cpuid1_eax);
        field("features are cpuid.1.edx", rd32(e + 8) == cpuid1_edx);
        e += 20;
        break;
      case 1:
        puts("bus ");
        field("id", rd8(e + 1));
        text("type", e + 2, 6);
        e += 8;
        break;
      case 2:
        puts("ioapic ");
        field("id", rd8(e + 1));
        field("version", rd8(e + 2));
        field("flags", rd8(e + 3));
        field("address", rd32(e + 4));
        e += 8;
        break;
      case 3:
      case 4:
        puts(type == 3 ? "intsrc " : "lintsrc ");
        field("type", rd8(e + 1));
        field("flags", rd16(e + 2));
        field("bus", rd8(e + 4));
        field("irq", rd8(e + 5));
        field(type == 3 ? "ioapic" : "lapic", rd8(e + 6));
        field("pin", rd8(e + 7));
        e += 8;
        break;
      default:
        puts("unknown type ");
        puthex(type);
        puts("\n");
        exit_machine(1);
    }
    puts("\n");
  }
  field("bytes used", e - t);
  puts("\n");
  exit_machine(0);
}

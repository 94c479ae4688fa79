/*
 * The Multiboot modules test kernel: boots with modules (vmlab run --initrd, as
 * qemu-system-i386 -kernel -initrd) and prints what the boot loader handed over, in a form
 * that does not depend on where the loader put things, so that its console is
 * byte-identical under vmlab and QEMU (tests/kernels/compare_with_qemu.sh):
 *   - the information flags it relies on: mods (bit 3) and cmdline (bit 2), Multiboot
 *     Specification 0.6.96 section 3.3;
 *   - the command line, the module count, and for each module its string, its size, a
 *     checksum of its bytes, and whether it starts on a page boundary (the kernel's header
 *     sets flag bit 0, which asks for page-aligned modules) after the kernel's end;
 *   - that the information structure, the module list and every string lie outside the
 *     kernel's segments and the modules;
 *   - that the kernel's data segment at 0x8000-0x9FFF, where loaders like to put the
 *     information structure, holds exactly what the ELF file has.
 */
#include "klib.h"

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};

struct mb_module {
  uint32_t start, end, string, reserved;
};

#ifdef LOW_SEGMENT
/* modules_low_kernel only (its own kernel.ld): QEMU's option ROM does not boot a kernel
 * with a segment in conventional memory, so the kernel compared with QEMU has none. */
#define LOW_BYTES 0x1FE0 /* after the Multiboot header, up to 0x9FFF */
/* A pattern in the file (not bss), so the loader has to copy it. */
#define P4(x) x, x + 1, x + 2, x + 3
#define P16(x) P4(x), P4(x + 4), P4(x + 8), P4(x + 12)
__attribute__((section(".lowdata"), used)) static const uint32_t low[LOW_BYTES / 4] = {
    P16(0xA5000000u), P16(0xA5000010u)};
extern char __low_end[];
#endif

extern char __user_end[];
#define LOW_START 0x8000u

static uint32_t str_len(const char* s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  return n;
}

/* True when [a, a + n) overlaps [b, e). */
static int overlaps(uint32_t a, uint32_t n, uint32_t b, uint32_t e) {
  return a < e && b < a + n;
}

static int in_kernel_or_modules(const struct mb_info* mbi, uint32_t a, uint32_t n) {
  if (overlaps(a, n, 0x100000, (uint32_t)__user_end)) return 1;
#ifdef LOW_SEGMENT
  if (overlaps(a, n, LOW_START, (uint32_t)__low_end)) return 1;
#endif
  const struct mb_module* mods = (const struct mb_module*)mbi->mods_addr;
  for (uint32_t i = 0; i < mbi->mods_count; ++i) {
    if (overlaps(a, n, mods[i].start, mods[i].end)) return 1;
  }
  return 0;
}

static void check_outside(const struct mb_info* mbi, const char* what, uint32_t a, uint32_t n,
                          uint32_t* bad) {
  if (in_kernel_or_modules(mbi, a, n)) {
    puts("overlap: ");
    puts(what);
    puts("\n");
    ++*bad;
  }
}

/* No interrupts are enabled; a fault would stop the machine with a non-zero status. */
void isr_dispatch(struct frame* f) {
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

void kmain(uint32_t magic, const struct mb_info* mbi) {
  console_init();
  puts("vmlab modules test kernel\n");
  uint32_t bad = 0;
  if (magic != 0x2BADB002) {
    puts("bad magic ");
    puthex(magic);
    puts("\n");
    exit_machine(1);
  }
  puts("flags: mods ");
  puts(mbi->flags & 8 ? "yes" : "no");
  puts(", cmdline ");
  puts(mbi->flags & 4 ? "yes" : "no");
  puts("\n");
  const char* cmdline = (const char*)mbi->cmdline;
  /* The command line starts with the image path, which differs between the runs. */
  const char* args = cmdline;
  while (*args && *args != ' ') ++args;
  puts("arguments:");
  puts(args);
  puts("\n");
  check_outside(mbi, "information structure", (uint32_t)mbi, 52, &bad);
  check_outside(mbi, "command line", mbi->cmdline, str_len(cmdline) + 1, &bad);
  puts("modules: ");
  putdec(mbi->mods_count);
  puts("\n");
  const struct mb_module* mods = (const struct mb_module*)mbi->mods_addr;
  if (mbi->mods_count != 0)
    check_outside(mbi, "module list", mbi->mods_addr, mbi->mods_count * 16, &bad);
  for (uint32_t i = 0; i < mbi->mods_count; ++i) {
    const char* s = (const char*)mods[i].string;
    const uint8_t* p = (const uint8_t*)mods[i].start;
    const uint32_t size = mods[i].end - mods[i].start;
    uint32_t sum = 0;
    for (uint32_t j = 0; j < size; ++j) sum = sum * 31 + p[j];
    puts("module ");
    putdec(i);
    puts(": string '");
    puts(s); /* the file name and its arguments, as given to -initrd */
    puts("', ");
    putdec(size);
    puts(" bytes, checksum ");
    puthex(sum);
    puts(mods[i].start % 4096 == 0 ? ", page-aligned" : ", NOT page-aligned");
    puts(mods[i].start >= (uint32_t)__user_end ? ", after the kernel\n" : ", INSIDE the kernel\n");
    check_outside(mbi, "module string", mods[i].string, str_len((const char*)mods[i].string) + 1,
                  &bad);
    for (uint32_t k = 0; k < mbi->mods_count; ++k) {
      if (k != i && overlaps(mods[i].start, size, mods[k].start, mods[k].end)) {
        puts("overlap: modules\n");
        ++bad;
      }
    }
  }
#ifdef LOW_SEGMENT
  uint32_t low_ok = 1;
  const volatile uint32_t* loaded_low = (const volatile uint32_t*)low;
  if ((uint32_t)low < LOW_START || (uint32_t)__low_end > 0xA000) low_ok = 0;
  for (uint32_t i = 0; i < LOW_BYTES / 4; ++i) {
    const uint32_t want = i < 32 ? 0xA5000000u + i : 0;
    if (loaded_low[i] != want) low_ok = 0;
  }
  puts(low_ok ? "low segment at 0x8000: intact\n" : "low segment at 0x8000: CHANGED\n");
  if (!low_ok) ++bad;
#endif
  puts(bad == 0 ? "modules: ok\n" : "modules: FAILED\n");
  exit_machine(bad == 0 ? 0 : 1);
}

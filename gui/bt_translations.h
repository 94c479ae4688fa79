// BtTranslations: the translations a bt run made, read from the translations.jsonl that
// `vmlab run --mode bt --out DIR` writes (modes/binary-translation/bt_run_record.h,
// docs/trace-format.md): per fragment its guest and TC ranges and the text `vmlab bt-dump`
// prints for it. The event table shows the fragment an event's EIP lies in, as the code
// view shows a live run's.
#pragma once

#include <QString>
#include <cstdint>
#include <vector>

#include "engine/machine/result.h"
#include "engine/vmm/core/hypervisor_hole.h"

namespace vmlab::gui {

class BtTranslations {
 public:
  // Where bt's translation cache lies in the hypervisor hole (docs/architecture.md): its
  // own routines (re-entry, lookup) first, then the fragments.
  static constexpr uint32_t kTranslationCacheBase = vmm::hole::kTranslationCache;

  struct Fragment {
    uint32_t index = 0;
    uint32_t guest_start = 0, guest_bytes = 0;
    uint32_t tc_start = 0, tc_end = 0;
    QString text;  // as vmlab bt-dump prints it
    // Whether the guest still mapped the fragment's code when the run ended: when not (early
    // boot code), the guest column of `text` shows what reads there now, not what was
    // translated.
    bool guest_mapped = true;
  };

  // Reads `file`; an error names the line and what is wrong.
  static machine::Result<BtTranslations> load(const QString& file);
  // Parses the file's bytes (`name` for messages).
  static machine::Result<BtTranslations> parse(const QByteArray& bytes, const QString& name);

  // The fragment whose translated code holds `eip` (an address in the translation cache),
  // else the one whose guest code holds it; nullptr when none does.
  const Fragment* fragment_at(uint32_t eip) const;
  // The fragment that starts at guest address `guest` (a bt_translate's), else the newest
  // whose guest code holds it; nullptr when none does.
  const Fragment* fragment_of_guest(uint32_t guest) const;
  const std::vector<Fragment>& fragments() const { return fragments_; }
  // The header's counts: fragments in the cache when the run ended, and how many the file
  // holds (fewer when the newest ones filled its bound).
  uint64_t fragments_at_end() const { return total_; }
  uint64_t written() const { return fragments_.size(); }

 private:
  std::vector<Fragment> fragments_;  // in the file's order (oldest first)
  uint64_t total_ = 0;
};

}  // namespace vmlab::gui

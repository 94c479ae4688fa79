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
    // Whether the guest still mapped the fragment's code when the run ended (or when it
    // was dropped): when not (early boot code), the guest column of `text` shows what read
    // there then, not what was translated.
    bool guest_mapped = true;
    // A fragment the cache dropped before the run ended: why ("flush", "invalidate",
    // "replace") and the modeled cycle and instructions retired when it went. Empty `dropped`:
    // live at the end.
    QString dropped;
    uint64_t dropped_cycle = 0;
    uint64_t dropped_instructions = 0;
    bool live_at_end() const { return dropped.isEmpty(); }
    // Whether it may have been the code at its addresses at modeled cycle `cycle`: it was
    // not dropped before then.
    bool live_at(uint64_t cycle) const { return dropped.isEmpty() || cycle <= dropped_cycle; }
  };

  // Reads `file`; an error names the line and what is wrong.
  static machine::Result<BtTranslations> load(const QString& file);
  // Parses the file's bytes (`name` for messages).
  static machine::Result<BtTranslations> parse(const QByteArray& bytes, const QString& name);

  // The fragment whose translated code holds `eip` (an address in the translation cache),
  // else the one whose guest code holds it, that was live at modeled cycle `cycle`: of the
  // fragments there, the first dropped at or after `cycle`, else the one live at the end
  // (TC addresses are used again only after a flush, and a fragment's drop is the end of
  // its time there). nullptr when none was.
  const Fragment* fragment_at(uint32_t eip, uint64_t cycle = UINT64_MAX) const;
  // The fragment that starts at guest address `guest` (a bt_translate's) and was live at
  // `cycle` (made then or later: the first dropped at or after it, else the live one), else
  // the newest such whose guest code holds it; nullptr when none does.
  const Fragment* fragment_of_guest(uint32_t guest, uint64_t cycle = UINT64_MAX) const;
  // The fragment invalidated or replaced before `cycle` whose translated code holds `eip`
  // (the newest such): a chained jump into it still lands at its entry, over which the
  // monitor wrote a dead entry or a forwarding jump when it went. nullptr when none.
  const Fragment* retired_at(uint32_t eip, uint64_t cycle) const;
  const std::vector<Fragment>& fragments() const { return fragments_; }
  // The header's counts: fragments in the cache when the run ended, and how many the file
  // holds (fewer when the newest ones filled its bound).
  uint64_t fragments_at_end() const { return total_; }
  uint64_t written() const { return written_; }
  // Fragments the cache dropped during the run, and how many of them the file holds (0 and
  // 0 for a file of a run that did not keep them: schema 1).
  uint64_t dropped() const { return dropped_; }
  uint64_t dropped_written() const { return dropped_written_; }
  // Whether the file kept the fragments dropped during the run (its header counts them).
  bool tracks_drops() const { return tracks_drops_; }
  // Taken from a live run at a pause (gui/live_run.h) rather than read from a run directory.
  bool live() const { return live_; }
  void set_live(bool live) { live_ = live; }

 private:
  // Pick among `fragments_` those `matches` accepts, by the time rule of fragment_at.
  template <typename Match>
  const Fragment* live_then(uint64_t cycle, Match matches) const;

  std::vector<Fragment> fragments_;  // in the file's order (dropped oldest first, then live)
  uint64_t total_ = 0;
  uint64_t written_ = 0;  // the lines of fragments live at the end
  uint64_t dropped_ = 0;
  uint64_t dropped_written_ = 0;
  bool tracks_drops_ = false;
  bool live_ = false;
};

}  // namespace vmlab::gui

#include "gui/bt_translations.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>

namespace vmlab::gui {

namespace {

machine::Error error(const QString& message) {
  return machine::Error{message.toStdString(), EINVAL};
}

// A whole-number field below 2^53, or false.
bool u64(const QJsonObject& o, const char* key, uint64_t& out) {
  const QJsonValue v = o.value(QLatin1String(key));
  if (!v.isDouble()) return false;
  const double d = v.toDouble();
  if (!(d >= 0) || d > 9007199254740992.0 || d != std::floor(d)) return false;
  out = static_cast<uint64_t>(d);
  return true;
}

// A 32-bit unsigned field, or false.
bool u32(const QJsonObject& o, const char* key, uint32_t& out) {
  const QJsonValue v = o.value(QLatin1String(key));
  if (!v.isDouble()) return false;
  const double d = v.toDouble();
  if (!(d >= 0) || d > 4294967295.0 || d != std::floor(d)) return false;
  out = static_cast<uint32_t>(d);
  return true;
}

}  // namespace

machine::Result<BtTranslations> BtTranslations::load(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) {
    return error(QCoreApplication::translate("BtTranslations", "%1: cannot read (%2)")
                     .arg(file, f.errorString()));
  }
  return parse(f.readAll(), file);
}

machine::Result<BtTranslations> BtTranslations::parse(const QByteArray& bytes,
                                                      const QString& name) {
  BtTranslations t;
  const QList<QByteArray> lines = bytes.split('\n');
  bool header = false;
  for (qsizetype n = 0; n < lines.size(); ++n) {
    const QByteArray& line = lines[n];
    if (line.trimmed().isEmpty()) continue;
    const auto bad = [&](const QString& what) {
      return error(QCoreApplication::translate("BtTranslations", "%1, line %2: %3")
                       .arg(name)
                       .arg(n + 1)
                       .arg(what));
    };
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parse);
    if (parse.error != QJsonParseError::NoError || !doc.isObject()) {
      return bad(QCoreApplication::translate("BtTranslations", "not a JSON object"));
    }
    const QJsonObject o = doc.object();
    if (!header) {
      const QString schema = o.value(QStringLiteral("schema")).toString();
      if (schema != QStringLiteral("vmlab-bt-translations/2") &&
          schema != QStringLiteral("vmlab-bt-translations/1")) {
        return bad(QCoreApplication::translate("BtTranslations",
                                               "not a vmlab translations file (expected schema "
                                               "vmlab-bt-translations/2)"));
      }
      if (o.contains(QStringLiteral("dropped")) &&
          (!u64(o, "dropped", t.dropped_) || !u64(o, "dropped_written", t.dropped_written_))) {
        return bad(QCoreApplication::translate("BtTranslations",
                                               "dropped and dropped_written are not counts"));
      }
      t.tracks_drops_ = o.contains(QStringLiteral("dropped"));
      uint32_t total = 0;
      if (!u32(o, "fragments", total)) {
        return bad(QCoreApplication::translate("BtTranslations", "no fragment count"));
      }
      t.total_ = total;
      header = true;
      continue;
    }
    Fragment f;
    if (!u32(o, "index", f.index) || !u32(o, "guest_start", f.guest_start) ||
        !u32(o, "guest_bytes", f.guest_bytes) || !u32(o, "tc_start", f.tc_start) ||
        !u32(o, "tc_end", f.tc_end) || f.tc_end < f.tc_start ||
        !o.value(QStringLiteral("text")).isString()) {
      return bad(QCoreApplication::translate(
          "BtTranslations",
          "not a fragment (index, guest_start, guest_bytes, tc_start, tc_end, text)"));
    }
    f.text = o.value(QStringLiteral("text")).toString();
    if (o.contains(QStringLiteral("dropped"))) {
      f.dropped = o.value(QStringLiteral("dropped")).toString();
      if (f.dropped.isEmpty() || !u64(o, "dropped_cycle", f.dropped_cycle) ||
          !u64(o, "dropped_instructions", f.dropped_instructions)) {
        return bad(QCoreApplication::translate(
            "BtTranslations",
            "a dropped fragment without its reason, dropped_cycle or dropped_instructions"));
      }
    }
    f.guest_mapped = o.value(QStringLiteral("guest_mapped")).toBool(true);
    if (f.live_at_end()) ++t.written_;
    t.fragments_.push_back(std::move(f));
  }
  if (!header) {
    return error(
        QCoreApplication::translate("BtTranslations", "%1: empty (no header line)").arg(name));
  }
  return t;
}

template <typename Match>
const BtTranslations::Fragment* BtTranslations::live_then(uint64_t cycle, Match matches) const {
  // The first dropped at or after `cycle`, else the one live at the end.
  const Fragment* best = nullptr;
  for (const Fragment& f : fragments_) {
    if (!matches(f) || !f.live_at(cycle)) continue;
    if (best == nullptr ||
        (!f.live_at_end() && (best->live_at_end() || f.dropped_cycle < best->dropped_cycle))) {
      best = &f;
    }
  }
  return best;
}

const BtTranslations::Fragment* BtTranslations::fragment_at(uint32_t eip, uint64_t cycle) const {
  if (const Fragment* f = live_then(
          cycle, [eip](const Fragment& f) { return eip >= f.tc_start && eip < f.tc_end; })) {
    return f;
  }
  return live_then(cycle, [eip](const Fragment& f) {
    return eip >= f.guest_start && eip - f.guest_start < f.guest_bytes;
  });
}

const BtTranslations::Fragment* BtTranslations::retired_at(uint32_t eip, uint64_t cycle) const {
  const Fragment* best = nullptr;
  for (const Fragment& f : fragments_) {
    if (f.live_at_end() || f.dropped == QStringLiteral("flush") || f.dropped_cycle >= cycle ||
        eip < f.tc_start || eip >= f.tc_end) {
      continue;
    }
    if (best == nullptr || f.dropped_cycle > best->dropped_cycle) best = &f;
  }
  return best;
}

const BtTranslations::Fragment* BtTranslations::fragment_of_guest(uint32_t guest,
                                                                  uint64_t cycle) const {
  if (const Fragment* f =
          live_then(cycle, [guest](const Fragment& f) { return f.guest_start == guest; })) {
    return f;
  }
  for (auto it = fragments_.rbegin(); it != fragments_.rend(); ++it) {
    if (it->live_at(cycle) && guest >= it->guest_start && guest - it->guest_start < it->guest_bytes)
      return &*it;
  }
  return nullptr;
}

}  // namespace vmlab::gui

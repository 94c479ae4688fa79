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
      if (o.value(QStringLiteral("schema")).toString() !=
          QStringLiteral("vmlab-bt-translations/1")) {
        return bad(QCoreApplication::translate("BtTranslations",
                                               "not a vmlab translations file (expected schema "
                                               "vmlab-bt-translations/1)"));
      }
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
    f.guest_mapped = o.value(QStringLiteral("guest_mapped")).toBool(true);
    t.fragments_.push_back(std::move(f));
  }
  if (!header) {
    return error(
        QCoreApplication::translate("BtTranslations", "%1: empty (no header line)").arg(name));
  }
  return t;
}

const BtTranslations::Fragment* BtTranslations::fragment_at(uint32_t eip) const {
  for (const Fragment& f : fragments_) {
    if (eip >= f.tc_start && eip < f.tc_end) return &f;
  }
  for (const Fragment& f : fragments_) {
    if (eip >= f.guest_start && eip - f.guest_start < f.guest_bytes) return &f;
  }
  return nullptr;
}

const BtTranslations::Fragment* BtTranslations::fragment_of_guest(uint32_t guest) const {
  for (const Fragment& f : fragments_) {
    if (f.guest_start == guest) return &f;
  }
  for (auto it = fragments_.rbegin(); it != fragments_.rend(); ++it) {
    if (guest >= it->guest_start && guest - it->guest_start < it->guest_bytes) return &*it;
  }
  return nullptr;
}

}  // namespace vmlab::gui

#include "gui/resources.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace vmlab::gui {

namespace {
QString binary_dir() {
  // /proc/self/exe, not QCoreApplication::applicationDirPath(): it works without an app.
  const QFileInfo self(QStringLiteral("/proc/self/exe"));
  return self.exists() ? QFileInfo(self.symLinkTarget()).absolutePath() : QString();
}
}  // namespace

QString profiles_dir() {
  const QString env = qEnvironmentVariable("VMLAB_PROFILES_DIR");
  if (!env.isEmpty()) return env;
  const QString bin = binary_dir();
  if (!bin.isEmpty()) {
    const QString shipped = QDir(bin).filePath(QStringLiteral("../share/vmlab/profiles"));
    if (QFileInfo(shipped).isDir()) return QDir::cleanPath(shipped);
  }
  return QStringLiteral(VMLAB_GUI_PROFILES_DIR);
}

QString default_guest_kernel() {
  const QString env = qEnvironmentVariable("VMLAB_GUEST_KERNEL");
  if (!env.isEmpty()) return env;
  const QString bin = binary_dir();
  if (!bin.isEmpty()) {
    for (const char* rel : {"../share/vmlab/guest/vmlab_guest.elf", "../guest/vmlab_guest.elf"}) {
      const QString shipped = QDir(bin).filePath(QLatin1String(rel));
      if (QFileInfo(shipped).isFile()) return QDir::cleanPath(shipped);
    }
  }
  return QStringLiteral(VMLAB_GUI_GUEST_KERNEL);
}

QStringList profile_names() {
  QStringList names;
  for (const QFileInfo& f :
       QDir(profiles_dir()).entryInfoList({QStringLiteral("*.profile")}, QDir::Files, QDir::Name)) {
    names << f.completeBaseName();
  }
  return names;
}

}  // namespace vmlab::gui

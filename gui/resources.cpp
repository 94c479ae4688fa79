#include "gui/resources.h"

#include "frontend/resources.h"

namespace vmlab::gui {

QString profiles_dir() {
  return QString::fromStdString(frontend::profiles_dir());
}

QString default_guest_kernel() {
  return QString::fromStdString(frontend::default_guest_kernel());
}

QStringList profile_names() {
  QStringList names;
  for (const std::string& name : frontend::profile_names()) names << QString::fromStdString(name);
  return names;
}

}  // namespace vmlab::gui

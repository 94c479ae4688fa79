// Where vmlab-gui finds what vmlab ships: frontend/resources.h's lookup (the cost profiles
// and the guest OS image, beside the running binary first, then the build tree), as Qt
// strings for the widgets.
#pragma once

#include <QString>
#include <QStringList>

namespace vmlab::gui {

QString profiles_dir();
QString default_guest_kernel();
// Profile names (file stems), sorted.
QStringList profile_names();

}  // namespace vmlab::gui

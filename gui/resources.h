// Where vmlab-gui finds what vmlab ships (the same places as cli/resources.h, which the
// GUI cannot include: front ends do not include each other): the cost profiles and the
// guest OS image, relative to the running binary first, then the build tree.
//   profiles: $VMLAB_PROFILES_DIR, <bin>/../share/vmlab/profiles, the source tree's profiles/
//   guest:    $VMLAB_GUEST_KERNEL, <bin>/../share/vmlab/guest/vmlab_guest.elf,
//             <bin>/../guest/vmlab_guest.elf, the guest built with vmlab
#pragma once

#include <QString>
#include <QStringList>

namespace vmlab::gui {

QString profiles_dir();
QString default_guest_kernel();
// Profile names (file stems), sorted.
QStringList profile_names();

}  // namespace vmlab::gui

# Flags for code that runs on the host (everything but the guest kernels).
add_library(vmlab_host_flags INTERFACE)
target_compile_options(vmlab_host_flags INTERFACE -Wall -Wextra -Wpedantic)
if(VMLAB_WERROR)
  target_compile_options(vmlab_host_flags INTERFACE -Werror)
endif()
if(VMLAB_SANITIZE)
  target_compile_options(vmlab_host_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(vmlab_host_flags INTERFACE -fsanitize=address,undefined)
endif()

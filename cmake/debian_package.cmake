# `cpack --config build/CPackConfig.cmake` makes two Debian packages from the install components:
# wisp (the program) and libwisp-dev (everything to build against wisp). Installed under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wisp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "wisp developers <wisp@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME wisp)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)  # libssl3, libhiredis, zlib1g, libspdlog, libstdc++
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "the wisp program: `wisp serve` (the demo server), `wisp bench`, `wisp call`")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libwisp-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# One string: two would make a CMake list, and its ';' an invalid Depends field.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libssl-dev (>= 3), libhiredis-dev, zlib1g-dev, nlohmann-json3-dev (>= 3), libspdlog-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "wisp's headers and library, its CMake package (find_package(wisp)) and pkg-config file")

include(CPack)

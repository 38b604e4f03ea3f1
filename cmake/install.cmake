# What `cmake --install` and the Debian packages carry. Two components: `runtime` (the wisp
# program: package wisp) and `dev` (headers, the library, the CMake package and the pkg-config
# file: package libwisp-dev).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# wisp::testing (TestClient) reaches below the public API: it is installed with the static library
# only (with BUILD_SHARED_LIBS=ON it links the static archive and stays in the build tree).
if(NOT BUILD_SHARED_LIBS)
  set(WISP_INSTALLED_TESTING wisp_testing)
endif()
install(TARGETS ${WISP_PUBLIC_LIBRARY} ${WISP_INSTALLED_TESTING} EXPORT wispTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY include/wisp ${PROJECT_BINARY_DIR}/include/wisp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT wispTargets NAMESPACE wisp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wisp
        COMPONENT dev)
configure_package_config_file(cmake/wispConfig.cmake.in ${PROJECT_BINARY_DIR}/wispConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wisp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wispConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wispConfig.cmake ${PROJECT_BINARY_DIR}/wispConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wisp COMPONENT dev)

# A static libwisp.a needs its dependencies on the link line even without `pkg-config --static`,
# so they are Requires there; a shared one hides them (Requires.private).
if(BUILD_SHARED_LIBS)
  set(WISP_PC_PRIVATE ".private")
else()
  set(WISP_PC_PRIVATE "")
endif()
file(RELATIVE_PATH WISP_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" WISP_PC_TO_PREFIX "${WISP_PC_TO_PREFIX}")
configure_file(cmake/wisp.pc.in ${PROJECT_BINARY_DIR}/wisp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/wisp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)
install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)  # README.md links docs/*.md

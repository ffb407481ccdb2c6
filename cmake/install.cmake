# Installing clipkit like a library (issue 12): `cmake --install` lays out
#   bin/clipkit                                the CLI (linked with the static layers)
#   <libdir>/libclipkit.so.<version>, .so.<major>, .so    the C and C++ API, SONAME libclipkit.so.<major>
#   include/clipkit/*.hpp, clipkit.h, version.hpp
#   share/clipkit/models/emoji-clip, registry.json     the default model, the named models
#   <libdir>/cmake/clipkit/                     find_package(clipkit) → clipkit::clipkit
#   <libdir>/pkgconfig/clipkit.pc               pkg-config --cflags --libs clipkit
# and CPack makes a Debian package of that tree (scripts/package).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
# `make install` and cpack install what is built, without building `all` (tests,
# benchmarks) first: scripts/package builds just the CLI and libclipkit.so.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# default_model_path() climbs from the installed library to its prefix (src/model/default_model.cpp).
target_compile_definitions(clipkit_model PRIVATE CLIPKIT_INSTALL_LIBDIR="${CMAKE_INSTALL_LIBDIR}")
target_link_libraries(clipkit_model PRIVATE ${CMAKE_DL_LIBS})   # dladdr

# libclipkit.so: the layers' archives whole (their objects are PIC:
# CMAKE_POSITION_INDEPENDENT_CODE). The third-party shared libraries the layers use
# become its DT_NEEDED entries (--as-needed: only those it calls), nothing of them is in
# its interface. The version script exports only clipkit's own symbols (no static
# third-party code is linked in; the std:: and nlohmann template instances stay local).
set(clipkit_layers clipkit_core clipkit_kernels clipkit_io clipkit_text clipkit_image clipkit_model
                   clipkit_search clipkit_server clipkit_fetch clipkit_capi)
add_library(clipkit_shared SHARED ${PROJECT_SOURCE_DIR}/src/libclipkit.cpp)
# Linking the layers brings their third-party libraries. Their archives go in whole, once,
# ahead of that: CMake repeats archives in dependency order (and wraps each repetition in
# --whole-archive with $<LINK_LIBRARY:WHOLE_ARCHIVE>, defining every symbol twice); after
# the whole archives the repeated plain ones add nothing.
target_link_libraries(clipkit_shared PRIVATE ${clipkit_layers})
list(TRANSFORM clipkit_layers REPLACE "(.+)" "$<TARGET_FILE:\\1>" OUTPUT_VARIABLE clipkit_layer_files)
list(JOIN clipkit_layer_files " " clipkit_layer_files)
target_link_options(clipkit_shared PRIVATE "SHELL:-Wl,--whole-archive ${clipkit_layer_files} -Wl,--no-whole-archive")
set_target_properties(clipkit_shared PROPERTIES
  OUTPUT_NAME clipkit
  EXPORT_NAME clipkit
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/libclipkit.map)
target_link_options(clipkit_shared PRIVATE
  "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/libclipkit.map" "LINKER:--as-needed")
if(CLIPKIT_SANITIZE)
  # Sanitizer and fuzz builds (scripts/test's build-asan) test the code through the static
  # layers; the shipped library is not built there unless asked for by name.
  set_target_properties(clipkit_shared PROPERTIES EXCLUDE_FROM_ALL ON)
else()
  # Every symbol resolved at link time.
  target_link_options(clipkit_shared PRIVATE "LINKER:--no-undefined")
endif()
target_include_directories(clipkit_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(clipkit_shared INTERFACE cxx_std_20)

install(TARGETS clipkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS clipkit_shared EXPORT clipkitTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/clipkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/generated/include/clipkit/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/clipkit)
# Where default_model_path() and `clipkit pull` look: <prefix>/share/clipkit/models.
install(DIRECTORY models/emoji-clip DESTINATION share/clipkit/models)
install(FILES models/registry.json DESTINATION share/clipkit/models)

set(clipkit_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/clipkit)
install(EXPORT clipkitTargets NAMESPACE clipkit:: DESTINATION ${clipkit_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clipkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/clipkitConfig.cmake INSTALL_DESTINATION ${clipkit_cmake_dir})
# One SONAME per major version: a 0.x consumer takes any later 0.y.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/clipkitConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/clipkitConfig.cmake ${PROJECT_BINARY_DIR}/clipkitConfigVersion.cmake
  DESTINATION ${clipkit_cmake_dir})

# clipkit.pc finds its prefix relative to itself (${pcfiledir}): <libdir>/pkgconfig → "../.." for lib.
set(CLIPKIT_PC_TO_PREFIX "..")
string(REPLACE "/" ";" libdir_parts "${CMAKE_INSTALL_LIBDIR}")
foreach(part IN LISTS libdir_parts)
  if(part AND NOT part STREQUAL ".")
    string(APPEND CLIPKIT_PC_TO_PREFIX "/..")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/clipkit.pc.in ${PROJECT_BINARY_DIR}/clipkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/clipkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Debian package: `cpack -G DEB` in the build folder (scripts/package) →
# clipkit_<version>_<arch>.deb, installed under /usr, its Depends computed by
# dpkg-shlibdeps from the libraries the CLI and libclipkit.so load.
set(CLIPKIT_DEB_MAINTAINER "clipkit maintainers <maintainers@clipkit.invalid>" CACHE STRING
    "The Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clipkit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CLIP image & text embeddings, similarity and search")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CLIPKIT_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "CLIP image & text embeddings, similarity and search
 clipkit loads CLIP-family checkpoints (OpenAI .pt, Hugging Face and open_clip
 safetensors, SigLIP, Chinese-CLIP, M-CLIP) without Python or PyTorch, and embeds
 images and texts, scores labels zero-shot and searches image collections.
 .
 This package holds the clipkit command-line tool, libclipkit.so with its C and
 C++ headers, CMake package and pkg-config file, and the small emoji-clip
 default model.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")   # shlibs: a later 0.x serves programs built on this one
include(CPack)

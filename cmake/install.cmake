# Installation and export of the troupe CMake package.
#
# `cmake --install build --prefix PREFIX` installs the public headers, the libraries and
# PREFIX/lib/cmake/troupe/{troupeConfig,troupeConfigVersion,troupeTargets,FindCAF}.cmake, so
# that a consumer writes `find_package(troupe REQUIRED)` and links `troupe::framework` (one
# library) or `troupe::troupe` (all of them).

include(CMakePackageConfigHelpers)

# The installed libraries. Each is exported as troupe::<its EXPORT_NAME> and its public headers
# are <its source dir>/include. A new library (troupe_actors, troupe_net) is one more name here.
set(troupe_libraries troupe_framework troupe_protobuf troupe_net troupe_actors troupe_actors_net
  troupe_testing)

# The umbrella target: links every library, in the build tree as in the installed package.
add_library(troupe INTERFACE)
add_library(troupe::troupe ALIAS troupe)
target_link_libraries(troupe INTERFACE ${troupe_libraries})

set(troupe_components "")
set(troupe_header_dirs "")
foreach(lib IN LISTS troupe_libraries)
  get_target_property(export_name ${lib} EXPORT_NAME)
  get_target_property(source_dir ${lib} SOURCE_DIR)
  list(APPEND troupe_components ${export_name})
  list(APPEND troupe_header_dirs "${source_dir}/include/")
endforeach()
list(REMOVE_DUPLICATES troupe_header_dirs)
list(TRANSFORM troupe_components PREPEND "troupe::" OUTPUT_VARIABLE troupe_component_list)
list(JOIN troupe_component_list ", " troupe_component_list)

install(DIRECTORY ${troupe_header_dirs} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(TARGETS ${troupe_libraries} troupe
  EXPORT troupeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# troupe::net links the generated wire schema privately; a static troupe_net needs it installed.
set_target_properties(troupe_wire_proto PROPERTIES EXPORT_NAME wire_proto)
install(TARGETS troupe_wire_proto EXPORT troupeTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# troupe::actors serves its Protobuf protocols with the generated schema, linked privately too.
set_target_properties(troupe_actors_proto PROPERTIES EXPORT_NAME actors_proto)
install(TARGETS troupe_actors_proto EXPORT troupeTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(troupe_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
install(EXPORT troupeTargets NAMESPACE troupe:: DESTINATION ${troupe_config_dir})

configure_package_config_file(cmake/troupeConfig.cmake.in
  "${PROJECT_BINARY_DIR}/troupeConfig.cmake"
  INSTALL_DESTINATION ${troupe_config_dir})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
    "${PROJECT_BINARY_DIR}/troupeConfig.cmake"
    "${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake"
    cmake/FindCAF.cmake
    cmake/troupe_protobuf.cmake
  DESTINATION ${troupe_config_dir})

# The installed package: `cmake --install` this build into a fresh prefix, then build and run
# tests/consumer (a separate project using find_package(troupe)) against that prefix.
set(install_check_dir "${CMAKE_CURRENT_BINARY_DIR}/install-check")

# The consumer is built as this build is: same generator, compiler, build type, launcher, and
# under TROUPE_SANITIZE the same sanitizer flags (its static libraries need their runtime).
list(JOIN TROUPE_SANITIZE_FLAGS " " consumer_cxx_flags)
set(install_check_args
  -DSTEP_DIR=${install_check_dir}
  -DTROUPE_BUILD_DIR=${PROJECT_BINARY_DIR}
  -DCONSUMER_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/consumer
  -DCONSUMER_GENERATOR=${CMAKE_GENERATOR}
  -DCONSUMER_CXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DCONSUMER_BUILD_TYPE=${CMAKE_BUILD_TYPE}
  -DCONSUMER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
  "-DCONSUMER_CXX_FLAGS=${consumer_cxx_flags}")
set(install_check_script "${CMAKE_CURRENT_SOURCE_DIR}/install_check.cmake")

add_test(NAME install.package
  COMMAND ${CMAKE_COMMAND} -DSTEP=install ${install_check_args} -P ${install_check_script})
add_test(NAME install.consumer
  COMMAND ${CMAKE_COMMAND} -DSTEP=consumer ${install_check_args} -P ${install_check_script})
set_tests_properties(install.package PROPERTIES FIXTURES_SETUP troupe_installed TIMEOUT 120)
# Building the consumer compiles CAF's headers once: minutes under the sanitizers.
set_tests_properties(install.consumer PROPERTIES FIXTURES_REQUIRED troupe_installed TIMEOUT 600)

# Warnings and sanitizers apply to our own targets only, never to global flags.
function(autonomy_target target)
  target_include_directories(${target} PUBLIC ${AUTONOMY_ROOT})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
  # g++ 12 reports a false mismatched-new-delete on every asio awaitable frame (GCC PR 109224).
  target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  if(AUTONOMY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(AUTONOMY_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# A GoogleTest executable registered with ctest under a label (unit | integration).
function(autonomy_test name label)
  add_executable(${name} ${ARGN})
  autonomy_target(${name})
  target_link_libraries(${name} PRIVATE GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    AUTONOMY_SHARED_DIR="${AUTONOMY_ROOT}/../shared"
    AUTONOMY_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 30)
  # <label>_tests builds every test binary of a label (make test-asan-ci builds only the unit ones).
  set_property(GLOBAL APPEND PROPERTY AUTONOMY_TESTS_${label} ${name})
endfunction()
include(GoogleTest)

# Adds every immediate subfolder of the current source dir that has a CMakeLists.txt, so a
# module or test folder joins the build by existing (no shared list to edit).
macro(autonomy_add_subdirectories)
  file(GLOB _children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _children)
  foreach(_child ${_children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${_child} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_child}/CMakeLists.txt)
      add_subdirectory(${_child})
    endif()
  endforeach()
endmacro()

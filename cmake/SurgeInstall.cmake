# Install rules and the Debian package (README "Operations"). Two install components:
#   daemon  surged, /etc/surge/surge.json, the systemd units, /etc/logrotate.d/surge, examples
#   dev     the library for embedders: <surge/...> headers, static libraries, find_package(surge)
#   cmake --install build/release --prefix /usr          # both
#   cpack --config build/release/CPackConfig.cmake -G DEB # surge_*.deb and libsurge-dev_*.deb
# Checked by tests/deploy/install_test.sh, find_package_test.sh and deb_package_test.sh.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# systemd's ConfigurationDirectory=surge is /etc/surge whatever the prefix, and the unit reads
# /etc/surge/surge.json: the configuration is installed there for every prefix (GNUInstallDirs
# would say /usr/local/etc for /usr/local), so the unit and the file always agree.
set(SURGE_INSTALL_CONFDIR "/etc/surge" CACHE PATH "Where surge.json is installed (absolute)")
# Relative to the prefix: /usr/lib/systemd/system for /usr, /usr/local/lib/systemd/system for
# /usr/local; systemd searches both.
set(SURGE_INSTALL_UNITDIR "lib/systemd/system" CACHE STRING "Where the systemd units are installed")

install(TARGETS surged RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT daemon)
install(FILES config/surge.json DESTINATION ${SURGE_INSTALL_CONFDIR} COMPONENT daemon)
install(FILES deploy/logrotate.conf DESTINATION /etc/logrotate.d RENAME surge COMPONENT daemon)

# deploy/surged.service names /usr/sbin/surged (ExecStartPre, ExecStart, ExecReload). The copy
# installed names the binary where this install put it, so a --prefix other than /usr still gives
# a working unit. At install time, because `cmake --install --prefix` may change the prefix then.
install(CODE "set(surge_unit_source \"${PROJECT_SOURCE_DIR}/deploy/surged.service\")
set(surge_unit_dir \"${SURGE_INSTALL_UNITDIR}\")
set(surge_sbin_dir \"${CMAKE_INSTALL_SBINDIR}\")" COMPONENT daemon)
install(CODE [[
  cmake_path(ABSOLUTE_PATH surge_sbin_dir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}" NORMALIZE OUTPUT_VARIABLE surge_sbin)
  cmake_path(ABSOLUTE_PATH surge_unit_dir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}" NORMALIZE OUTPUT_VARIABLE surge_unit)
  string(APPEND surge_unit "/surged.service")
  file(READ "${surge_unit_source}" surge_text)
  string(REPLACE "/usr/sbin/surged" "${surge_sbin}/surged" surge_text "${surge_text}")
  message(STATUS "Installing: $ENV{DESTDIR}${surge_unit} (ExecStart=${surge_sbin}/surged)")
  file(WRITE "$ENV{DESTDIR}${surge_unit}" "${surge_text}")
  file(CHMOD "$ENV{DESTDIR}${surge_unit}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${surge_unit}")
]] COMPONENT daemon)
install(FILES deploy/surged.socket DESTINATION ${SURGE_INSTALL_UNITDIR} COMPONENT daemon)

# Examples to copy and adapt (nothing here is active until an operator puts it in place).
install(FILES deploy/sysctl.conf deploy/haproxy.cfg deploy/nginx-upstream.conf deploy/prometheus.yml
              deploy/alerts.yml deploy/grafana-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT daemon)
install(DIRECTORY deploy/kubernetes DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT daemon)

# The library: surge::surge and every surge_* library it links, found by walking its link
# closure (so a component added to src/ is exported without editing this file), each exported as
# surge::<component> like its in-tree alias. The imported packages met on the way become the
# find_dependency() calls of surgeConfig.cmake and the Depends of libsurge-dev.
function(surge_link_closure target targets_var imports_var)
  set(targets ${${targets_var}})
  set(imports ${${imports_var}})
  get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
    if(NOT TARGET "${link}")
      continue()
    endif()
    get_target_property(aliased ${link} ALIASED_TARGET)
    if(aliased)
      set(link ${aliased})
    endif()
    get_target_property(imported ${link} IMPORTED)
    if(imported)
      list(APPEND imports ${link})
    elseif(NOT link IN_LIST targets)
      list(APPEND targets ${link})
      surge_link_closure(${link} targets imports)
    endif()
  endforeach()
  list(REMOVE_DUPLICATES imports)
  set(${targets_var} ${targets} PARENT_SCOPE)
  set(${imports_var} ${imports} PARENT_SCOPE)
endfunction()

set(surge_lib_targets surge)
set(surge_lib_imports "")
surge_link_closure(surge surge_lib_targets surge_lib_imports)
foreach(target IN LISTS surge_lib_targets)
  string(REGEX REPLACE "^surge_" "" export_name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

# Imported target namespace -> (find_dependency arguments, Debian package).
set(surge_dep_Threads "Threads|libc6-dev")
set(surge_dep_Boost "Boost 1.81|libboost1.81-dev")
set(surge_dep_nlohmann_json "nlohmann_json 3.10|nlohmann-json3-dev")
set(surge_dep_spdlog "spdlog 1.10|libspdlog-dev")
set(surge_dep_prometheus-cpp "prometheus-cpp COMPONENTS core pull|prometheus-cpp-dev")
set(surge_dep_ZLIB "ZLIB|zlib1g-dev")
set(SURGE_FIND_DEPENDENCIES "")
set(surge_dev_depends "")
set(surge_seen_namespaces "")
foreach(imported IN LISTS surge_lib_imports)
  string(REGEX REPLACE "::.*$" "" namespace "${imported}")
  if(namespace IN_LIST surge_seen_namespaces)
    continue()
  endif()
  list(APPEND surge_seen_namespaces ${namespace})
  if(NOT DEFINED surge_dep_${namespace})
    message(FATAL_ERROR "SurgeInstall.cmake: the library links ${imported}; add its package to the "
                        "surge_dep_* table so find_package(surge) can find it")
  endif()
  string(REPLACE "|" ";" dep "${surge_dep_${namespace}}")
  list(GET dep 0 find_args)
  list(GET dep 1 deb_package)
  string(APPEND SURGE_FIND_DEPENDENCIES "find_dependency(${find_args})\n")
  list(APPEND surge_dev_depends ${deb_package})
endforeach()

install(TARGETS ${surge_lib_targets} EXPORT surgeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/surge DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
set(surge_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/surge)
install(EXPORT surgeTargets NAMESPACE surge:: DESTINATION ${surge_cmake_dir} COMPONENT dev)
configure_package_config_file(cmake/surgeConfig.cmake.in ${PROJECT_BINARY_DIR}/surgeConfig.cmake
                              INSTALL_DESTINATION ${surge_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/surgeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/surgeConfig.cmake ${PROJECT_BINARY_DIR}/surgeConfigVersion.cmake
        DESTINATION ${surge_cmake_dir} COMPONENT dev)

# The Debian packages: surge (the daemon) and libsurge-dev (the library).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME surge)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(SURGE_DEB_MAINTAINER "surge maintainers <surge@localhost>" CACHE STRING "Maintainer of the .deb packages")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SURGE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME surge)
# Each package's description: the summary line (CPACK_PACKAGE_DESCRIPTION_SUMMARY), then this.
string(CONCAT CPACK_COMPONENT_DAEMON_DESCRIPTION
    "The daemon, surged: configured routes (text, JSON, echo, static files) served by per-core\n"
    "workers, with rate limits, circuit breakers, load shedding and Prometheus metrics. Runs as\n"
    "the systemd service surged.service (Type=notify, SIGHUP reload, drain on SIGTERM),\n"
    "optionally socket-activated by surged.socket. Configuration: /etc/surge/surge.json.")
find_program(SURGE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SURGE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
else()
  # What dpkg-shlibdeps finds on Debian 12.
  set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "libc6, libstdc++6, libgcc-s1, libfmt9, libspdlog1.10-fmt9, \
libprometheus-cpp-core1.0, libprometheus-cpp-pull1.0, zlib1g, libdeflate0, libzstd1, libbrotli1")
endif()
# dpkg treats these as the administrator's: an upgrade never overwrites local changes silently.
file(WRITE ${PROJECT_BINARY_DIR}/deb/conffiles "${SURGE_INSTALL_CONFDIR}/surge.json\n/etc/logrotate.d/surge\n")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/deb/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsurge-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
    "The library's development files: headers <surge/...>, static libraries and the CMake\n"
    "package. find_package(surge) and link surge::surge to embed the server with your own\n"
    "handlers and middleware.")
# Linked by name (src/encoding), not as imported targets: their packages are listed here.
list(APPEND surge_dev_depends libdeflate-dev libzstd-dev libbrotli-dev)
list(JOIN surge_dev_depends ", " CPACK_DEBIAN_DEV_PACKAGE_DEPENDS)

include(CPack)

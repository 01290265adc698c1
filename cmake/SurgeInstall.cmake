include(GNUInstallDirs)
install(TARGETS surged RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES config/surge.json DESTINATION /etc/surge)

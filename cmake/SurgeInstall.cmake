include(GNUInstallDirs)
# install rules arrive with the daemon
install(FILES config/surge.json DESTINATION /etc/surge)

add_library(ordo_journal STATIC
  errc.cpp)
target_include_directories(ordo_journal PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(ordo_journal PUBLIC ordo::base PkgConfig::URING PRIVATE ordo::warnings)
add_library(ordo::journal ALIAS ordo_journal)

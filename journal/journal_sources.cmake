# Sources are globbed so that parts of the journal can be added independently.
file(GLOB ordo_journal_sources CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/io/*.cpp)
add_library(ordo_journal STATIC ${ordo_journal_sources})
target_include_directories(ordo_journal PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(ordo_journal PUBLIC ordo::base PkgConfig::URING PRIVATE ordo::warnings)
add_library(ordo::journal ALIAS ordo_journal)

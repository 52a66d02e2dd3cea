#include "tools/workload/parser.h"

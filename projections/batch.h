#pragma once
// The batch every reader is fed: journal::durable_batch (journal/durable_batch.h), named
// here as well because projections were written against this header first.

#include "journal/durable_batch.h"

namespace ordo::projections {

using journal::durable_batch;

}  // namespace ordo::projections

// SPDX-License-Identifier: Apache-2.0
#pragma once

// The post's database schema (docs/CONTRACTS.md §5): the migrations kordond applies at open.

#include "edge/store/migrations.hpp"

namespace kordon::store {

const Schema& postSchema();

}  // namespace kordon::store

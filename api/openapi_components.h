// The "components" of the OpenAPI document (api/openapi.h): the schemas of
// api/schemas/*.h, those made from the registries (Scope from
// scopes::All(), the provider key shapes from Providers()), the shared
// parameters, headers and error responses; and examples made from schemas.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace latchkey {

// {"schemas", "parameters", "headers", "responses", "securitySchemes"}.
nlohmann::json OpenApiComponents();

// An example of `schema`: its `examples[0]`; else, through `$ref`s into
// `component_schemas`, one assembled from its parts (an object of its
// properties' examples, a list of one item, an enum's first value).
nlohmann::json ExampleOf(const nlohmann::json& schema, const nlohmann::json& component_schemas);

}  // namespace latchkey

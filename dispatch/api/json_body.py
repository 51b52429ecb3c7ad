"""OpenAPI documentation of a JSON body that a route reads as raw bytes.

``/v1/eta`` hands its body unparsed to the ETA answerers (:mod:`dispatch.api.eta_answers`),
which validate it from its bytes; FastAPI therefore does not see the body's type, and
:func:`documented` puts it back in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter


def documented(body: TypeAdapter[Any]) -> dict[str, Any]:
    """``openapi_extra`` of a route whose JSON body is ``body`` (schema inlined)."""
    schema = body.json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    content = {"application/json": {"schema": inline(schema)}}
    return {"requestBody": {"required": True, "content": content}}

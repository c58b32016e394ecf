"""The API's request and response bodies, one module per route module (`api.schemas.<route>`
beside `api.routes.<route>`): pydantic models whose class names are the OpenAPI schema's
component names."""

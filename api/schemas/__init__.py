"""The API's request and response models, one module per router of `api.routes` (same name):
what each route reads and answers, as the OpenAPI document shows it."""

"""``taskyard/templates/*``: list, get and validate templates."""

from __future__ import annotations

from taskyard.app import Services
from taskyard.protocol import (
    TEMPLATES_GET,
    TEMPLATES_LIST,
    TEMPLATES_VALIDATE,
    Template,
    TemplateCatalog,
    TemplatesGetParams,
    TemplatesListParams,
    TemplatesValidateParams,
    TemplatesValidateResult,
)
from taskyard.rpc import Call, method


@method(TEMPLATES_LIST)
async def list_templates(services: Services, _: TemplatesListParams, __: Call) -> TemplateCatalog:
    return services.catalog.snapshot()


@method(TEMPLATES_GET)
async def get_template(services: Services, params: TemplatesGetParams, _: Call) -> Template:
    return services.catalog.get(params.name)


@method(TEMPLATES_VALIDATE)
async def validate(
    services: Services, params: TemplatesValidateParams, _: Call
) -> TemplatesValidateResult:
    return services.catalog.validate(params.template, params.preset, params.parameters)

"""``taskyard/templates/*``: list, get and validate templates."""

from __future__ import annotations

from typing import Any

from taskyard.protocol import (
    TemplateCatalog,
    TemplatesGetParams,
    TemplatesListParams,
    TemplatesValidateParams,
)
from taskyard.protocol import _generated as wire
from taskyard.rpc import method


@method(wire.TEMPLATES_LIST)
async def list_templates(ls: Any, _: TemplatesListParams, __: Any) -> TemplateCatalog:
    catalog: TemplateCatalog = (await ls.services()).catalog.snapshot()
    return catalog


@method(wire.TEMPLATES_GET)
async def get_template(ls: Any, params: TemplatesGetParams, _: Any) -> Any:
    return (await ls.services()).catalog.get(params.name)


@method(wire.TEMPLATES_VALIDATE)
async def validate(ls: Any, params: TemplatesValidateParams, _: Any) -> Any:
    catalog = (await ls.services()).catalog
    return catalog.validate(params.template, params.preset, params.parameters)


HANDLERS = {
    wire.TEMPLATES_LIST: list_templates,
    wire.TEMPLATES_GET: get_template,
    wire.TEMPLATES_VALIDATE: validate,
}

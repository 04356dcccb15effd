"""Small SPL documents written by the tests, in the shapes DailyMed labels use."""

from __future__ import annotations

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
LOINC = "2.16.840.1.113883.6.1"


def section(code: str, title: str, body: str = "", children: str = "") -> str:
    return (
        f'<component><section><code code="{code}" codeSystem="{LOINC}"/>'
        f"<title>{title}</title><text>{body}</text>{children}</section></component>"
    )


def ingredient(name: str, unii: str, role: str = "ACTIB", amount: str = "") -> str:
    quantity = (
        f'<quantity><numerator value="{amount}" unit="mg"/><denominator value="1" unit="1"/>'
        "</quantity>"
        if amount
        else ""
    )
    return (
        f'<ingredient classCode="{role}">{quantity}<ingredientSubstance>'
        f'<code code="{unii}" codeSystem="2.16.840.1.113883.4.9"/><name>{name}</name>'
        "</ingredientSubstance></ingredient>"
    )


def product(ndc: str, name: str, generic: str, ingredients: str, form: str = "TABLET") -> str:
    return (
        "<subject><manufacturedProduct><manufacturedProduct>"
        f'<code code="{ndc}" codeSystem="2.16.840.1.113883.6.69"/><name>{name}</name>'
        f'<formCode code="C42998" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="{form}"/>'
        f"<asEntityWithGeneric><genericMedicine><name>{generic}</name></genericMedicine>"
        f"</asEntityWithGeneric>{ingredients}</manufacturedProduct>"
        '<consumedIn><substanceAdministration><routeCode code="C38288" '
        'codeSystem="2.16.840.1.113883.3.26.1.1" displayName="ORAL"/></substanceAdministration>'
        "</consumedIn></manufacturedProduct></subject>"
    )


def spl(body: str, products: str = "", title: str = "ZENTREX (zentrexolol) tablets",
        doc_code: str = "34391-3") -> str:
    listing = (
        f'<component><section><code code="48780-1" codeSystem="{LOINC}"/>{products}'
        "</section></component>"
        if products
        else ""
    )
    return (
        f'{HEAD}<document xmlns="urn:hl7-org:v3">'
        '<id root="11111111-2222-3333-4444-555555555555"/>'
        f'<code code="{doc_code}" codeSystem="{LOINC}" displayName="HUMAN PRESCRIPTION LABEL"/>'
        f"<title>{title}</title><effectiveTime value=\"20240315\"/>"
        '<setId root="A1B2C3D4-0000-4000-8000-000000000001"/><versionNumber value="7"/>'
        "<author><assignedEntity><representedOrganization><name>Example Pharma Inc.</name>"
        "</representedOrganization></assignedEntity></author>"
        f"<component><structuredBody>{listing}{body}</structuredBody></component></document>"
    )

"""Read an admin add or change page's form as a browser would submit it, so a test can
change a field or two and post the rest (inline management forms included) untouched."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict[str, str | None] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(
                a.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select:
            self._option = {
                "value": a.get("value"),
                "selected": "selected" if "selected" in a else None,
            }
            self._text = []
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "option" and self._select and self._option is not None:
            value = self._option["value"]
            value = "".join(self._text) if value is None else value
            if self._select_first is None:
                self._select_first = value
            if self._option["selected"]:
                self.data.setdefault(self._select[0], []).append(value)
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            if not self._select_chosen and not multiple and self._select_first is not None:
                self.data.setdefault(name, []).append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The parser keeps the newline browsers drop after <textarea>.
            self.data.setdefault(self._textarea, []).append("".join(self._text).removeprefix("\n"))
            self._textarea = None


def admin_form_data(html: str, form_id: str) -> dict[str, list[str]]:
    """The fields of the form ``<form id="{form_id}">`` with their current values: what
    pressing Save without changing anything would post. The admin's change form of a
    model is ``{model_name}_form``; a list page's editable rows are ``changelist-form``."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.data, f"no form {form_id} on the page"
    return reader.data

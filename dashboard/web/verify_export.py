"""``/verify/export/``: anyone uploads a compliance export and learns whether it is as
Cocreate signed it, and if not, why (dashboard/export_signing.py)."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.export_signing import export_verify

MAX_BYTES = 50 * 1024 * 1024


class ExportVerifyForm(forms.Form):
    file = forms.FileField(
        label="Export file",
        help_text="A compliance export (JSON or CSV) from Cocreate, at most 50 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1_048_576} MB.")
        head = upload.read(64).lstrip()
        upload.seek(0)
        if not (head.startswith(b"{") or head.startswith(b"record_type,")):
            raise forms.ValidationError("Upload a JSON or CSV compliance export from Cocreate.")
        return upload


def verify_export(request: HttpRequest) -> HttpResponse:
    form = ExportVerifyForm(request.POST, request.FILES) if request.method == "POST" else None
    result = None
    if form is not None and form.is_valid():
        result = export_verify(data=form.cleaned_data["file"].read())
    status = 400 if form is not None and form.errors else 200
    return render(
        request,
        "dashboard/verify_export.html",
        {"form": form or ExportVerifyForm(), "result": result},
        status=status,
    )

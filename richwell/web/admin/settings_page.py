"""Admin: system settings; each change audited with before/after."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from richwell.services.platform import settings
from richwell.services.platform.errors import DomainError
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm


class SettingsForm(PortalForm):
    """CSRF only; the fields come from the settings registry."""


@bp.route("/settings", methods=["GET", "POST"])
def settings_page():
    form = SettingsForm()
    errors: dict[str, list[str]] = {}
    values = settings.all_values()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("The form expired; try again.", "error")
            return redirect(url_for("admin.settings_page"))
        changes: dict[str, object] = {}
        for key, spec in settings.SPECS.items():
            if spec.kind == "bool":
                changes[key] = request.form.get(key) == "on"
            elif key in request.form:  # a field not sent is left as it is (blank is a value)
                changes[key] = request.form[key]
        try:
            changed = settings.update(current_user, changes)
        except DomainError as error:
            errors = error.fields
            # What was typed stays in the fields, next to its error.
            shown: dict[str, object] = {**values, **{k: request.form[k] for k in changes
                                                     if settings.SPECS[k].kind != "bool"}}
            return render_template("admin/settings.html", form=form, specs=settings.SPECS,
                                   values=shown, errors=errors), 400
        flash(f"{len(changed)} setting(s) changed." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.settings_page"))
    return render_template("admin/settings.html", form=form, specs=settings.SPECS, values=values,
                           errors=errors)

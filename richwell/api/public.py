"""Public API (no credentials): the active programs and their curricula."""
from __future__ import annotations

import marshmallow as ma
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from richwell.api.common import MAX_ID, Blueprint, PageArgsSchema, page_schema, paginate
from richwell.extensions import db
from richwell.models import Program, Semester, Subject
from richwell.services.errors import NotFound

bp = Blueprint("api_public", __name__, tag="Public", url_prefix="/api/v1/public",
               description="Open to anyone: programs and their subjects.")


class ProgramSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"example": "BSIT"})
    name = ma.fields.String(required=True)
    years = ma.fields.Integer(required=True)


class _CodeSchema(ma.Schema):
    code = ma.fields.String()


class CurriculumSubjectSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)
    year_level = ma.fields.Integer(required=True)
    semester = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in Semester]))
    is_major = ma.fields.Boolean(required=True)
    prerequisites = ma.fields.List(ma.fields.Pluck(_CodeSchema, "code"), required=True,
                                   metadata={"description": "codes of the prerequisite subjects"})


_SEMESTER_ORDER = case({s.value: i for i, s in enumerate(Semester)}, value=Subject.semester, else_=len(Semester))


@bp.route("/programs/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(ProgramSchema))
def programs(args):
    """Active programs

    The programs the school offers now, by code; 20 per page.
    """
    statement = select(Program).where(Program.is_active.is_(True)).order_by(Program.code, Program.id)
    return paginate(statement, args["page"])


@bp.route(f"/programs/<int(min=1, max={MAX_ID}):program_id>/subjects/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(CurriculumSubjectSchema))
@bp.alt_response(404, response="NOT_FOUND")
def program_subjects(args, program_id: int):
    """Subjects of an active program

    The curriculum in order: year level, semester, code; each with its prerequisites' codes.
    """
    program = db.session.get(Program, program_id)
    if program is None or not program.is_active:
        raise NotFound("That program does not exist.")
    statement = (select(Subject).where(Subject.program_id == program.id)
                 .options(selectinload(Subject.prerequisites))
                 .order_by(Subject.year_level, _SEMESTER_ORDER, Subject.code, Subject.id))
    return paginate(statement, args["page"])

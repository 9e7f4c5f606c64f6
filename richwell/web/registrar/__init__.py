"""Registrar (and head registrar) pages. Each module registers its views on the one blueprint."""
from richwell.web.registrar import (  # noqa: F401
    continuing,
    curriculum,
    documents,
    enrollment,
    grades,
    home,
    schedules,
    sections,
    student_records,
    terms,
    transferees,
)
from richwell.web.registrar.blueprint import bp

__all__ = ["bp"]

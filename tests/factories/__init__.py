"""Test data builders, one module per area; everything re-exported here."""
from tests.factories.admissions import *  # noqa: F401,F403
from tests.factories.api import *  # noqa: F401,F403
from tests.factories.curriculum import *  # noqa: F401,F403
from tests.factories.grading import *  # noqa: F401,F403
from tests.factories.payments import *  # noqa: F401,F403
from tests.factories.people import *  # noqa: F401,F403
from tests.factories.subject_enrollment import *  # noqa: F401,F403
